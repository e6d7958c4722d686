"""Render once, serve from memory.

Content only changes with a deploy, so every page and fragment is rendered
(and compressed) the first time it is asked for, then kept. The keys are
bounded (endpoint, a known slug or tag, page or fragment), never raw URLs, so
odd query strings cannot grow the cache. A page request does no template work.
"""

from flask import Flask, Response, current_app, render_template, request

from .encoding import Encoded, encode, respond
from .htmx import VARY, wants_fragment
from .replay import REPLAYABLE

HTML = "text/html; charset=utf-8"
# Browsers revalidate every time (a cheap 304 thanks to the ETag); a shared
# cache (CDN, reverse proxy) may serve its copy for five minutes.
PAGE_CACHE_CONTROL = "public, max-age=0, s-maxage=300, must-revalidate"


def init_app(app: Flask) -> None:
    app.extensions["rendered"] = {}


def rendered(key: tuple, template: str, content_type: str, **context) -> Encoded:
    cache: dict = current_app.extensions["rendered"]
    entry = cache.get(key)
    if entry is None:
        # Two threads may both render on a cold start; both produce the same bytes.
        entry = cache[key] = encode(render_template(template, **context).encode(), content_type)
    return entry


def cached(key: tuple, template: str, content_type: str, canonical_query: str = "", **context) -> Response:
    """A rendered body from memory. At its canonical URL the answer may also be
    kept by app/replay.py; other spellings (?utm_source=…) are served, not kept."""
    if request.query_string.decode("latin-1") == canonical_query:
        request.environ[REPLAYABLE] = True
    return respond(rendered(key, template, content_type, **context), content_type, PAGE_CACHE_CONTROL)


def page_or_fragment(key: tuple, page: str, fragment: str, canonical_query: str = "", **context) -> Response:
    """The full page, or for an htmx partial request the fragment, from memory."""
    as_fragment = wants_fragment()
    template = fragment if as_fragment else page
    response = cached((*key, as_fragment), template, HTML, canonical_query, as_fragment=as_fragment, **context)
    response.vary.update(VARY)
    return response
