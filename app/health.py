"""/healthz: 200 when a message could be stored right now, 503 when not."""

import logging

from flask import Blueprint, jsonify

from .contact import storage

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    try:
        storage.heartbeat(storage.get_db())
    except Exception:
        log.exception("health check: the database is not writable")
        response = jsonify(status="unavailable", database="not writable")
        response.status_code = 503
    else:
        response = jsonify(status="ok", database="writable")
    response.headers["Cache-Control"] = "no-store"
    return response
