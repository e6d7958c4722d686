"""What operations needs: a health check, and one log line per request.

Each request gets an id (a proxy's X-Request-ID when it sends a sane one), sent
back as a header and written on the request's log line, so a visitor's report
can be matched to the log. Tracebacks go to the log only, never to a visitor.
"""

import logging
import re
import time
import uuid

from flask import Blueprint, Flask, g, jsonify, request

from .contact import storage

bp = Blueprint("ops", __name__)
log = logging.getLogger("app.requests")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@bp.get("/healthz")
def healthz():
    """200 when a message could be stored right now, 503 when not."""
    try:
        storage.heartbeat(storage.get_db())
    except Exception:
        logging.getLogger(__name__).exception("health check: the database is not writable")
        response = jsonify(status="unavailable", database="not writable")
        response.status_code = 503
    else:
        response = jsonify(status="ok", database="writable")
    response.headers["Cache-Control"] = "no-store"
    return response


def start_request() -> None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex


def finish_request(response):
    response.headers["X-Request-ID"] = g.request_id
    elapsed_ms = (time.perf_counter() - g.request_started) * 1000
    log.info("%s %s %s %.1fms id=%s", request.method, request.full_path.rstrip("?"), response.status_code, elapsed_ms, g.request_id)
    return response


def init_app(app: Flask) -> None:
    logging.getLogger("app").setLevel(logging.INFO)
    app.before_request(start_request)
    app.after_request(finish_request)
    app.register_blueprint(bp)
