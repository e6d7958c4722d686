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
notifications that tell the owner of each message: "off", or how many are
failing (still retried, from the first failed attempt), failed for good, and
when the next try is. Any of those leaves the status "degraded" but still 200:
messages are still kept, and the HTTP status stays about the database.
"""

import sqlite3
import time

from flask import Blueprint, current_app, jsonify

from .contact import delivery, outbox, storage
from .contact.storage import get_db
from .contact.times import now_utc

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


def database_problem() -> str | None:
    """None when a message could be stored now; else what stops it, in a few words."""
    store = storage.store_state(current_app)
    proved_at = store.proved_at
    try:
        storage.ensure_created(current_app)  # says what is wrong when it cannot
        # Free space is one system call, so it is checked on every request; the write is the costly part.
        problem = storage.space_problem(storage.database_path(current_app))
        if problem is None and (proved_at is None or time.monotonic() - proved_at >= PROOF_SECONDS):
            prove_writable()
            proved_at = time.monotonic()
    except (sqlite3.Error, OSError) as error:
        problem = storage.problem_with(error)
    storage.report(current_app, problem)
    store.proved_at = None if problem else proved_at
    return problem


def notifications_state() -> str | dict:
    """"off", or the deliveries whose last attempt failed (outbox.trouble)."""
    if not delivery.enabled(current_app):
        return "off"
    return outbox.trouble(get_db())


@bp.get("/healthz")
def healthz():
    problem = database_problem()
    if problem:
        # Failing notifications are counted in the same database: nothing to read from it now.
        notifications = "unknown" if delivery.enabled(current_app) else "off"
        response = jsonify(status="unavailable", database=f"not writable: {problem}", notifications=notifications)
        response.status_code = 503
    else:
        notifications = notifications_state()
        failing = notifications != "off" and (notifications["failing"] or notifications["failed"])
        status = "degraded" if failing else "ok"
        response = jsonify(status=status, database="writable", notifications=notifications)
    response.headers["Cache-Control"] = "no-store"
    return response
