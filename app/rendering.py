"""Render once, serve from memory.

Content only changes with a deploy, so every page and fragment is rendered
the first time it is asked for and kept as bytes with its ETag. The keys are
bounded (endpoint, a known slug or tag, page or fragment), never raw URLs, so
odd query strings cannot grow the cache.
"""

import hashlib
from dataclasses import dataclass

from flask import Flask, Response, current_app, render_template, request, url_for

from .htmx import VARY, wants_fragment

# Browsers revalidate every time (a cheap 304 thanks to the ETag); a shared
# cache (CDN, reverse proxy) may keep a copy for five minutes.
PAGE_CACHE_CONTROL = "public, max-age=0, s-maxage=300, must-revalidate"


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str


def init_app(app: Flask) -> None:
    app.extensions["rendered"] = {}
    app.jinja_env.globals["asset_url"] = lambda path: url_for("static", filename=path)


def rendered(key: tuple, template: str, **context) -> Rendered:
    cache: dict = current_app.extensions["rendered"]
    entry = cache.get(key)
    if entry is None:
        body = render_template(template, **context).encode()
        entry = Rendered(body, hashlib.blake2b(body, digest_size=12).hexdigest())
        # Two threads may both render on a cold start; both get the same bytes.
        cache[key] = entry
    return entry


def page_or_fragment(key: tuple, page: str, fragment: str, **context) -> Response:
    """The full page, or for an htmx partial request the fragment, from memory."""
    as_fragment = wants_fragment()
    entry = rendered((*key, as_fragment), fragment if as_fragment else page, as_fragment=as_fragment, **context)
    response = Response(entry.body, content_type="text/html; charset=utf-8")
    response.vary.update(VARY)
    response.set_etag(entry.etag)
    response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
    return response.make_conditional(request)
