"""One log line per request, with an id that is also sent back as a header.

The id is the proxy's X-Request-ID when it sends a sane one, so a visitor's
report can be matched to the log across every hop. Tracebacks go to the log
only, never to a visitor (app/errors.py).
"""

import logging
import re
import time
import uuid

from flask import Flask, g, request

log = logging.getLogger("app.requests")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id(incoming: str | None) -> str:
    return incoming if incoming and REQUEST_ID.match(incoming) else uuid.uuid4().hex


def log_request(method: str, path: str, query: str, status: int, started: float, rid: str) -> None:
    """The request's one log line; app/replay.py writes the same for the requests it answers."""
    elapsed_ms = (time.perf_counter() - started) * 1000
    log.info("%s %s%s %s %.1fms id=%s", method, path, "?" + query if query else "", status, elapsed_ms, rid)


def start_request() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id(request.headers.get("X-Request-ID"))


def finish_request(response):
    response.headers["X-Request-ID"] = g.request_id
    query = request.query_string.decode("latin-1")
    log_request(request.method, request.path, query, response.status_code, g.request_started, g.request_id)
    return response


def init_app(app: Flask) -> None:
    logging.getLogger("app").setLevel(logging.INFO)
    app.before_request(start_request)
    app.after_request(finish_request)
