"""One log line per request, with an id that is also sent back as a header.

The id is the proxy's X-Request-ID when it sends a sane one, so a visitor's
report can be matched to the log across every hop. Tracebacks go to the log
only, never to a visitor (app/errors.py).

The path and query are the client's own text: anything unprintable in them
(a newline, an escape sequence) is written as a visible escape, so a request
can neither forge a second log line nor drive the terminal reading the log.
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


def printable(text: str) -> str:
    """The text with every unprintable character (and the backslash) escaped, on one line."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(c if c.isprintable() and c != "\\" else c.encode("unicode_escape").decode("ascii") for c in text)


def log_request(method: str, path: str, query: str, status: int, started: float, rid: str) -> None:
    elapsed_ms = (time.perf_counter() - started) * 1000
    target = printable(path + ("?" + query if query else ""))
    log.info("%s %s %s %.1fms id=%s", printable(method), target, status, elapsed_ms, rid)


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
