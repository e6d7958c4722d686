"""/healthz: 200 when a message could be stored right now, 503 when not.

Proving the database writable takes a committed write, and every commit is an
fsync (synchronous=FULL). A load balancer may ask many times a second, so each
process proves it at most once every PROOF_SECONDS and answers from that proof
in between; a failure is never reused, so recovery shows on the next request.
The check keeps its own one-row table, created here, apart from the messages'
schema and its migrations.
"""

import logging
import time

from flask import Blueprint, current_app, jsonify

from .contact import delivery
from .contact.storage import get_db, now_utc

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

PROOF_SECONDS = 5.0


def prove_writable() -> None:
    """A real write and commit: raises when the database cannot take one."""
    db = get_db()
    db.execute("CREATE TABLE IF NOT EXISTS health_check (id INTEGER PRIMARY KEY, checked_at TEXT, writes INTEGER)")
    db.execute(
        "INSERT INTO health_check (id, checked_at, writes) VALUES (1, ?, 1)"
        " ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at, writes = writes + 1",
        [now_utc()],
    )


def writable() -> bool:
    proved_at = current_app.extensions.get("health_proved_at")
    if proved_at is not None and time.monotonic() - proved_at < PROOF_SECONDS:
        return True
    try:
        prove_writable()
    except Exception:
        log.exception("health check: the database is not writable")
        current_app.extensions.pop("health_proved_at", None)
        return False
    current_app.extensions["health_proved_at"] = time.monotonic()
    return True


def notification_trouble() -> dict:
    """Failing notifications, for the owner's monitor to read; the status stays about the database."""
    try:
        return {"notifications": delivery.trouble(get_db())}
    except Exception:
        log.warning("health check: could not count failing notifications", exc_info=True)
        return {"notifications": "unknown"}


@bp.get("/healthz")
def healthz():
    if writable():
        response = jsonify(status="ok", database="writable", **notification_trouble())
    else:
        response = jsonify(status="unavailable", database="not writable")
        response.status_code = 503
    response.headers["Cache-Control"] = "no-store"
    return response
