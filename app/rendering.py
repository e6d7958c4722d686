"""Render once, serve from memory.

Content only changes with a deploy, so every page and fragment is rendered
(and compressed) the first time it is asked for, then kept with the loaded
site (app/site.py; an edit under `make run` starts a new site, with an empty
cache). Only "Years Building" changes on its own, on January 1: the year is
part of every key, so a server running over New Year renders the page again.
The keys are bounded (the year, endpoint, a known slug or tag, page or
fragment), never raw URLs, so odd query strings cannot grow the cache. A page
request does no template work.
"""

from flask import Response, render_template, request

from .content import clock
from .htmx import VARY, wants_fragment
from .responses import Encoded, encode, respond
from .site import current_site

HTML = "text/html; charset=utf-8"
# Browsers revalidate every time (a cheap 304 thanks to the ETag); a shared
# cache (CDN, our nginx) may serve its copy for five minutes, but only of the
# canonical URL: other spellings (?utm_source=…) are answered, never kept, so
# what clients send cannot fill a shared cache either.
PAGE_CACHE_CONTROL = "public, max-age=0, s-maxage=300, must-revalidate"
NOT_SHARED_CACHE_CONTROL = "public, max-age=0, must-revalidate"


def rendered(key: tuple, template: str, content_type: str, **context) -> Encoded:
    cache = current_site().rendered
    key = (clock.today().year, *key)  # "Years Building" changes on January 1: a copy per year
    entry = cache.get(key)
    if entry is None:
        # Two threads may both render on a cold start; both produce the same bytes.
        entry = cache[key] = encode(render_template(template, **context).encode(), content_type)
    return entry


def cached(key: tuple, template: str, content_type: str, canonical_query: str = "", **context) -> Response:
    """A rendered body from memory; a shared cache may keep it only at its canonical URL."""
    canonical = request.query_string.decode("latin-1") == canonical_query
    cache_control = PAGE_CACHE_CONTROL if canonical else NOT_SHARED_CACHE_CONTROL
    return respond(rendered(key, template, content_type, **context), content_type, cache_control)


def page_or_fragment(key: tuple, page: str, fragment: str, canonical_query: str = "", **context) -> Response:
    """The full page, or for an htmx partial request the fragment, from memory."""
    as_fragment = wants_fragment()
    template = fragment if as_fragment else page
    response = cached((*key, as_fragment), template, HTML, canonical_query, as_fragment=as_fragment, **context)
    response.vary.update(VARY)
    return response
