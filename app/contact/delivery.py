"""The delivery loop: each server process's sender of the owner's notifications.

How a notification travels (the README's "Getting messages" says it for the owner):

1. ``storage.store_message`` writes the message and a row in the outbox
   (outbox.py) in one transaction: a stored message always has its
   notification queued. The visitor's request then only wakes this process's
   delivery loop.
2. Each server process runs one delivery loop, a daemon thread. It claims one
   due row at a time with a lease (outbox.claim: of N processes exactly one
   gets it), composes it and sends it through every configured URL
   (notify.py), and marks it sent, or schedules a retry: about 1 minute,
   doubling, at most 6 hours apart; after 24 hours it is marked failed.
3. A process killed mid-send never releases its lease: when the lease runs out
   another process sends again. So a crash may send twice, never zero times.
   A worker whose send outlives its lease (a slow server, not a crash) renews
   the lease before each URL and stops once another worker holds it: its late
   writes are refused (they name its lease: worker and attempt), never undo the
   other's.

A slow or silent mail server holds only this thread, never a worker's request.
This process's configured URLs and its loop are one Notifier, in
``app.extensions["notifier"]`` (``notifier(app)``): only this module changes it.
"""

import functools
import logging
import os
import socket
import sqlite3
import subprocess
import threading
from dataclasses import dataclass, field

import click
from flask import Flask

from ..config import ROOT, ConfigError, app_version
from . import erasure, outbox, storage
from .notify import Target, compose, parse_targets, reply_address, send
from .times import now_utc

log = logging.getLogger(__name__)

LONGEST_POLL_SECONDS = 5.0


@dataclass
class Notifier:
    """Where this process sends notifications, and the loop that sends them."""

    targets: list[Target] = field(default_factory=list)
    loop: "DeliveryLoop | None" = None

    @property
    def enabled(self) -> bool:
        return bool(self.targets)

    @property
    def channels(self) -> str:
        """The channels by position and scheme, never a URL: what the server records it runs with."""
        return ", ".join(t.label for t in self.targets)


def notifier(app: Flask) -> Notifier:
    return app.extensions["notifier"]


def enabled(app: Flask) -> bool:
    return notifier(app).enabled


def deliver(db, notification: dict, targets: list[Target], app: Flask, worker: str) -> str:
    """Send one claimed notification through every URL that has not had it; record the outcome."""
    message = next(db["messages"].rows_where("id = ?", [notification["message_id"]]), None)
    if message is None:
        return "gone"  # deleted meanwhile (its row went with it)
    if message["status"] == "spam":  # marked spam while it waited its turn
        outbox.mark_cancelled(db, notification, worker)
        return "cancelled"
    title, body = compose(message, app, outbox.failing(db, besides=notification["id"]))
    reply = reply_address(message["email"])
    salt = storage.server_info(db)["url_key_salt"]
    done = notification["delivered_to"].split()
    errors = []
    for target in targets:
        key = target.key(salt)
        if key in done or target.legacy_key(app.config["SECRET_KEY"]) in done:
            continue
        # A send that outlived the lease (a slow mail server, not a crash) stops here:
        # the worker that took the row over sends the rest and records the outcome.
        if not outbox.renew(db, notification, worker, app.config["NOTIFY_LEASE_SECONDS"]):
            return "lost"
        error = send(target, title, body, reply, targets)
        if error is None:
            done.append(key)
            outbox.add_delivered(db, notification["id"], key)
        else:
            errors.append(f"{target.label}: {error}")
        # For show: after the record that stops a resend.
        outbox.record_channel(db, notification["id"], target.label, error)
    if not errors:
        outbox.mark_sent(db, notification, worker)
        return "sent"
    outcome = outbox.mark_failed(db, notification, worker, "; ".join(errors), app.config["NOTIFY_RETRY_SECONDS"])
    if outcome is None:
        return "lost"
    log.warning(
        "notification for message %s %s: %s",
        notification["message_id"], "failed for good" if outcome == "failed" else "will be retried", "; ".join(errors),
    )
    return outcome


def deliver_due(app: Flask, db, worker: str | None = None) -> int:
    """Deliver every notification due now; how many were tried."""
    targets = notifier(app).targets
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    tried = 0
    while targets and (notification := outbox.claim(db, app.config["NOTIFY_LEASE_SECONDS"], worker)):
        deliver(db, notification, targets, app, worker)
        tried += 1
    return tried


class DeliveryLoop(threading.Thread):
    """This process's sender: wakes when a message is stored here, and polls for
    retries and for what other processes left behind."""

    def __init__(self, app: Flask):
        super().__init__(name="notification-delivery", daemon=True)
        self.app = app
        self.pid = os.getpid()
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.poll_seconds = min(LONGEST_POLL_SECONDS, app.config["NOTIFY_RETRY_SECONDS"] / 2)

    def run(self):
        db = None
        while not self.stopping.is_set():
            try:
                if db is None:
                    storage.ensure_created(self.app)  # private file, current schema, as a request would
                    db = storage.connect(storage.database_path(self.app))
                    # A lost "sent" mark after a power cut means one more e-mail, not a lost
                    # message: the loop's writes need not wait for fsync as a visitor's do.
                    db.execute("PRAGMA synchronous = NORMAL")
                self.wakeup.clear()  # before delivering: a wake-up that comes meanwhile is kept
                deliver_due(self.app, db)
                erasure.finish(db)
            except (sqlite3.Error, OSError) as error:
                # The store is down (full disk, corrupt file): said once per change of state, as
                # requests say it, not a traceback per poll; the loop tries again at the next one.
                storage.report(self.app, storage.problem_with(error))
                if db is not None:
                    db.conn.close()
                    db = None
            except Exception:
                log.exception("notification delivery stopped for a moment; it goes on at the next poll")
                if db is not None:
                    db.conn.close()
                    db = None
            self.wakeup.wait(self.poll_seconds)
        if db is not None:
            db.conn.close()

    def stop(self, timeout: float = 5.0):
        self.stopping.set()
        self.wakeup.set()
        self.join(timeout)


_starting = threading.Lock()

_starting = threading.Lock()


def ensure_running(app: Flask) -> None:
    """Start this process's delivery loop (again, in a forked worker). It runs with
    notifications off too: it also finishes erasures a reader held up (erasure.finish)."""
    if not app.config["NOTIFY_IN_BACKGROUND"]:
        return
    state = notifier(app)
    loop = state.loop
    if loop is not None and loop.pid == os.getpid() and loop.is_alive():
        return
    with _starting:
        loop = state.loop
        if loop is None or loop.pid != os.getpid() or not loop.is_alive():
            loop = state.loop = DeliveryLoop(app)
            loop.start()


def wake(app: Flask) -> None:
    loop = notifier(app).loop
    if loop is not None:
        loop.wakeup.set()


def stop(app: Flask) -> None:
    state = notifier(app)
    loop, state.loop = state.loop, None
    if loop is not None:
        loop.stop()


def describe(app: Flask) -> str:
    state = notifier(app)
    if not state.enabled:
        return "Notifications are off: NOTIFY_URLS is not set, so messages only wait in the database."
    return f"Notifications are on: {len(state.targets)} URL(s): {state.channels}."


def channels(app: Flask) -> str:
    return notifier(app).channels


@functools.cache
def version() -> str:
    """APP_VERSION if the deployment sets it, else the checkout's commit, else "unknown"."""
    if app_version():
        return app_version()
    try:
        found = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else "unknown"

def announce(app: Flask) -> None:
    """At a server's start: record what it runs with, for the owner's CLI, and log failing notifications."""
    if not storage.ready(app):
        return  # the store's problem is already said (storage.init_app); the site serves without it
    try:
        db = storage.connect(storage.database_path(app))
    except (sqlite3.Error, OSError) as error:
        storage.report(app, storage.problem_with(error))
        return
    try:
        record(app, db)
    except sqlite3.Error:
        # The site serves without this record; the owner's CLI then says the server has not recorded it.
        log.warning("could not record the server's settings for flask messages", exc_info=True)
    finally:
        db.conn.close()


def record(app: Flask, db) -> None:
    storage.record_server_info(db, {
        "channels": channels(app),
        "started_at": now_utc(),
        "version": version(),
        "database": str(storage.database_path(app)),
    })
    if summary := outbox.trouble_summary(db):
        log.warning("%s", summary)


def configured_targets(app: Flask) -> list[Target]:
    try:
        return parse_targets(app.config["NOTIFY_URLS"])
    except ConfigError as error:
        if app.config["APP_ENV"] == "production":
            raise
        log.error("%s Notifications are off until it is fixed.", error)
        return []


def init_app(app: Flask) -> None:
    # The NOTIFY_* settings come from app/config.py. NOTIFY_IN_BACKGROUND is on
    # unless a test app asks otherwise (tests/apps.py's app_settings turns it
    # off; the tests of the loop itself turn it on).
    app.config.setdefault("NOTIFY_IN_BACKGROUND", True)
    app.extensions["notifier"] = Notifier(configured_targets(app))
    # Forked workers start their own loop on their first request.
    app.before_request(lambda: ensure_running(app))
    if click.get_current_context(silent=True) is None:  # a server, not `flask messages ...`
        log.info(describe(app))
        announce(app)
        ensure_running(app)
