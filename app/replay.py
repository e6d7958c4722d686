"""Replay: answer again, from memory, what has already been answered.

A page, fragment or static file is the same bytes for every visitor until the
next deploy, and app/rendering.py already keeps them. Yet a request that
reaches Flask still pays for its request context, routing, hooks and response
objects: measured under granian, that caps a cached page at about a tenth of
nginx serving the same bytes (BENCHMARKS.md). So the first time Flask answers
such a request with a 200, this middleware keeps the status line, headers and
body; the next identical request is answered here, with a fresh request id and
its log line, and 304 when the client already has it.

What counts as identical is everything the response depends on: path, query,
whether htmx asked for a fragment, and which compressions are accepted. Only
responses the views mark (canonical URLs of cached content) are kept, so the
store is bounded by the site's pages, never by what clients send.
"""

import time

from werkzeug.datastructures import EnvironHeaders
from werkzeug.http import parse_etags

from .encoding import accepted_encodings
from .htmx import fragment_requested
from .requestlog import log_request, request_id

REPLAYABLE = "portfolio.replayable"  # set in the WSGI environ by views whose answer may be kept
PER_REQUEST = {"x-request-id", "date"}


def replay_key(environ) -> tuple:
    return (
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        fragment_requested(EnvironHeaders(environ)),
        accepted_encodings(environ.get("HTTP_ACCEPT_ENCODING")),
    )


class Replay:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        # key -> (etag, headers of the 200, headers of a 304, body)
        self.kept: dict[tuple, tuple[str, list, list, bytes]] = {}

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        if method not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        key = replay_key(environ)
        kept = self.kept.get(key)
        if kept is not None:
            return self.answer(kept, method, environ, start_response)
        if method == "HEAD":
            return self.wsgi_app(environ, start_response)
        return self.answer_and_keep(key, environ, start_response)

    def answer(self, kept, method, environ, start_response):
        started = time.perf_counter()
        etag, headers, not_modified_headers, body = kept
        rid = request_id(environ.get("HTTP_X_REQUEST_ID"))
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains_weak(etag):
            status, headers, body = 304, not_modified_headers, b""
        else:
            status = 200
        start_response("304 Not Modified" if status == 304 else "200 OK", [*headers, ("X-Request-ID", rid)])
        log_request(method, environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), status, started, rid)
        return [b"" if method == "HEAD" else body]

    def answer_and_keep(self, key, environ, start_response):
        answered = {}

        def keep_status(status, headers, exc_info=None):
            answered["status"], answered["headers"] = status, headers
            return start_response(status, headers, exc_info)

        chunks = self.wsgi_app(environ, keep_status)
        if not environ.get(REPLAYABLE) or not answered.get("status", "").startswith("200 "):
            return chunks
        try:
            body = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        headers = [(k, v) for k, v in answered["headers"] if k.lower() not in PER_REQUEST]
        if any(k.lower() == "set-cookie" for k, _ in headers):
            return [body]  # something per-visitor slipped in: never hand it to anyone else
        etag = next(v for k, v in headers if k.lower() == "etag").strip('"')
        not_modified_headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        self.kept[key] = (etag, headers, not_modified_headers, body)
        return [body]
