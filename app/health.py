"""/healthz: 200 when a message could be stored right now, 503 when not.

A message needs new pages, so a row rewritten in place proves too little: on
a full disk SQLite still rewrites pages it holds (and its WAL's space) while
every message fails. So the proof is both a committed write and free space
above the store's reserve (storage.SPACE_RESERVE_BYTES) on the database's file
system. A committed write is an fsync (synchronous=FULL) and a load balancer
may ask many times a second, so each process writes at most once every
PROOF_SECONDS and answers from that proof in between (free space, one system
call, is checked on every request); a failure is never
reused, so recovery shows on the next request, and it is logged once per
change of state (storage.report), not once per request. The check keeps its
own one-row table, created here, apart from the messages' schema and its
migrations.

The body names each part and what is wrong with it: the database, and the
notifications that tell the owner of each message (deliveries that failed
for good are "failing", which leaves the status "degraded" but still 200:
messages are still kept).
"""

import sqlite3
import time

from flask import Blueprint, current_app, jsonify

from .contact import delivery, storage
from .contact.storage import get_db, now_utc

bp = Blueprint("health", __name__)

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
    if delivery.enabled(current_app):
        failed = db.execute("SELECT count(*) FROM notifications WHERE status = 'failed'").fetchone()[0]
        current_app.extensions["health_failed_notifications"] = failed


def database_problem() -> str | None:
    """None when a message could be stored now; else what stops it, in a few words."""
    proved_at = current_app.extensions.get("health_proved_at")
    try:
        if not current_app.extensions.get("database_ready"):
            storage.create_database(current_app)  # says what is wrong when it cannot
        # Free space is one system call, so it is checked on every request; the write is the costly part.
        problem = storage.space_problem(storage.database_path(current_app))
        if problem is None and (proved_at is None or time.monotonic() - proved_at >= PROOF_SECONDS):
            prove_writable()
            proved_at = time.monotonic()
    except (sqlite3.Error, OSError) as error:
        problem = storage.problem_with(error)
    storage.report(current_app, problem)
    if problem:
        current_app.extensions.pop("health_proved_at", None)
    else:
        current_app.extensions["health_proved_at"] = proved_at
    return problem


def notifications_state() -> str:
    if not delivery.enabled(current_app):
        return "off"
    failed = current_app.extensions.get("health_failed_notifications", 0)
    return f"failing: {failed} notification(s) could not be delivered" if failed else "on"


@bp.get("/healthz")
def healthz():
    problem = database_problem()
    notifications = notifications_state()
    if problem:
        response = jsonify(status="unavailable", database=f"not writable: {problem}", notifications=notifications)
        response.status_code = 503
    else:
        status = "degraded" if notifications.startswith("failing") else "ok"
        response = jsonify(status=status, database="writable", notifications=notifications)
    response.headers["Cache-Control"] = "no-store"
    return response
