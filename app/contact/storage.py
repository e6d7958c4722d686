"""The message store: SQLite through sqlite-utils.

One connection per request on ``g`` (as in Flask's tutorial), WAL so readers
never block the writer, a busy timeout so concurrent writers from several
worker processes queue instead of failing, and ``synchronous=FULL`` so a
message acknowledged to a visitor survives a crash or power loss.

The messages are personal data: the database and its -wal/-shm files are
created readable by the owner only (0600, app/files.py), in a folder only they
may enter (0700).

Pages never depend on the store. A database that is missing, corrupt, on a
full disk or in a folder the server cannot write is said once, in one line
(report), and the contact form answers 503 meanwhile; each request that needs
the store tries it again, so it comes back without a restart. What this
process knows of its store is one StoreState, in ``app.extensions["message_store"]``
(``store_state(app)``): only this module changes it, but for /healthz's proof.

sqlite-utils' table helpers create the tables and serve the owner's reads and
updates. Raw SQL is kept where a statement's own words are the point (the
transactions: BEGIN IMMEDIATE, so a rate limit holds across workers; PRAGMAs),
and on the visitor's POST: sqlite-utils' insert reads the table's columns and
wraps each row in a savepoint, some twenty statements where store_message's
few will do (measured: about twice the time per message).
The schema's versions are in app/contact/migrations.py, the references
visitors are given in app/contact/references.py.
"""

import datetime
import hashlib
import hmac
import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask, current_app, g
from sqlite_utils import Database

from .. import files
from ..config import message_store_checked
from . import outbox
from .migrations import migrate
from .references import reference_for
from .times import now_utc

log = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 5.0
# Free space kept in reserve on the database's file system: below it, the store
# counts as full. SQLite reuses its WAL's space, so a small write can succeed on a
# full disk while a message, which needs new pages, cannot. 1 MB is some forty
# messages at their largest (5,000 characters), with their indexes and WAL frames.
SPACE_RESERVE_BYTES = 1 << 20
STATUSES = ("new", "read", "replied", "archived", "suspect", "spam")
# The statuses the owner is told of when a message arrives.
NOTIFIED = ("new", "suspect")
COLUMNS = ("id", "reference", "created_at", "name", "email", "company", "message", "status")


class DatabaseMissing(Exception):
    """The owner's CLI asked for a database that has not been created yet."""


@dataclass
class StoreState:
    """What this process knows of its message store."""

    ready: bool = False  # created and migrated, here or by the server's start
    problem: str | None = None  # what stops a message being stored, as last said
    said: bool = False  # whether the store's state has been said (logged) yet
    proved_at: float | None = None  # /healthz's last committed write (time.monotonic); app/health.py keeps it


def store_state(app: Flask) -> StoreState:
    return app.extensions["message_store"]


def ready(app: Flask) -> bool:
    return store_state(app).ready


def connect(path: str | Path) -> Database:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA secure_delete = ON")  # deleted messages are overwritten, not left in free pages
    conn.execute("PRAGMA foreign_keys = ON")  # deleting a message deletes its notification
    return Database(conn)


def database_path(app: Flask) -> Path:
    return Path(app.config["DATABASE_PATH"] or Path(app.instance_path) / "messages.db")


def make_private_folder(folder: Path) -> None:
    """Create the folder and any missing parents, each one 0700 (an existing one is left as it is)."""
    if folder.exists():
        return
    make_private_folder(folder.parent)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        return  # another process made it first
    folder.chmod(0o700)  # whatever the umask


def create_at(path: Path) -> None:
    make_private_folder(path.parent)
    # An empty file is a valid empty database; SQLite gives the -wal and -shm
    # files it creates the same mode as the database.
    files.create_private(path)
    db = connect(path)
    try:
        migrate(db)
    finally:
        db.conn.close()


def create_database(app: Flask) -> None:
    create_at(database_path(app))
    store_state(app).ready = True


def ensure_created(app: Flask) -> None:
    """Create the database (private, current schema) unless this process already has."""
    if not store_state(app).ready:
        create_database(app)


def problem_with(error: BaseException) -> str:
    """What went wrong, in a few words a visitor may see: no path, no traceback."""
    if isinstance(error, OSError):
        return (error.strerror or type(error).__name__).lower()
    return str(error).split("\n", 1)[0] or type(error).__name__


def space_problem(path: Path) -> str | None:
    stats = os.statvfs(path.parent)
    if stats.f_bavail * stats.f_frsize < SPACE_RESERVE_BYTES:
        return f"the disk is full (less than {SPACE_RESERVE_BYTES >> 20} MB free)"
    return None


def check(path: Path) -> str | None:
    """What stops a message being stored at path now (the store created if need be), or None."""
    try:
        create_at(path)
        return space_problem(path)
    except (sqlite3.Error, OSError) as error:
        return problem_with(error)


def report(app: Flask, problem: str | None) -> None:
    """Log the store's state when it changes (working, or not), in one line: never once per request."""
    state = store_state(app)
    known, before = state.said, state.problem
    state.said, state.problem = True, problem
    if known and bool(problem) == bool(before):
        return
    if problem:
        log_problem(database_path(app), problem)
    elif known:
        log.info("the message store %s takes messages again", database_path(app))


def log_problem(path: Path, problem: str) -> None:
    log.error("the message store %s cannot take messages: %s. Pages are served; the contact form "
              "answers 503 until it is fixed, and it is tried again on each message.", path, problem)


def get_db() -> Database:
    """This request's connection; the database is created on first use."""
    if "db" not in g:
        ensure_created(current_app)
        g.db = connect(database_path(current_app))
    return g.db


def open_existing(app: Flask) -> Database:
    """For the owner's CLI: never creates a database, only opens (and upgrades) one."""
    path = database_path(app)
    if not path.exists():
        raise DatabaseMissing(
            f"no database at {path} yet: the server creates it when it starts; "
            "DATABASE_PATH here must be the same as the server's"
        )
    # Looked at read-only first: a stray file must not be turned into a database (WAL mode, a schema).
    peek = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        has_messages = peek.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'messages'").fetchone()
    finally:
        peek.close()
    if not has_messages:
        raise DatabaseMissing(
            f"{path} holds no messages table: it is not the server's database, or the server has never "
            "started with it; DATABASE_PATH here must be the same as the server's"
        )
    db = connect(path)
    migrate(db)
    return db


# --- what the server runs with --------------------------------------------------------

def record_server_info(db: Database, values: dict[str, str]) -> None:
    now = now_utc()
    db.execute("BEGIN IMMEDIATE")
    try:
        db["server_info"].upsert_all(
            [{"key": key, "value": value, "updated_at": now} for key, value in values.items()], pk="key"
        )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def server_info(db: Database) -> dict[str, str]:
    return dict(db.execute("SELECT key, value FROM server_info"))


def close_db(exception=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.conn.close()


def init_app(app: Flask) -> None:
    app.extensions["message_store"] = state = StoreState()
    app.teardown_appcontext(close_db)
    # Servers create and migrate the schema at start-up. CLI commands load the
    # app too, and must not create a database just by asking about one.
    if click.get_current_context(silent=True) is None:
        problem = check(database_path(app))
        state.ready = problem is None
        if message_store_checked():
            state.said, state.problem = True, problem  # already said, once, by server.py
        report(app, problem)


# --- writing ---------------------------------------------------------------------

@dataclass(frozen=True)
class Stored:
    id: int
    reference: str


def hash_ip(ip: str, secret: str) -> str:
    return hmac.new(secret.encode(), f"client-ip:{ip}".encode(), hashlib.sha256).hexdigest()


# One address may send this many times the per-sender limit: enough for the
# people behind one shared address, still a ceiling for one sender who rotates browsers.
ADDRESS_ALLOWANCE = 4


class RateLimited(Exception):
    def __init__(self, retry_after: int, scope: str, allowed: int):
        self.retry_after = retry_after
        self.scope = scope  # "sender" (this address and browser) or "address" (everyone behind it)
        self.allowed = allowed


def check_rate_limit(db: Database, rate_limit: tuple[int, int], now: datetime.datetime,
                     ip_hash: str, sender_hash: str) -> None:
    """Raise RateLimited when this sender, or everyone at this address, has sent enough."""
    count, seconds = rate_limit
    since = (now - datetime.timedelta(seconds=seconds)).isoformat(timespec="seconds")
    for scope, column, value, allowed in (("sender", "sender_hash", sender_hash, count),
                                          ("address", "ip_hash", ip_hash, count * ADDRESS_ALLOWANCE)):
        recent, oldest = db.execute(
            f"SELECT count(*), min(created_at) FROM messages WHERE {column} = ? AND created_at > ?", [value, since]
        ).fetchone()
        if recent >= allowed:
            retry_after = int((datetime.datetime.fromisoformat(oldest) + datetime.timedelta(seconds=seconds) - now)
                              .total_seconds()) + 1
            raise RateLimited(max(retry_after, 1), scope, allowed)


def store_message(
    db: Database,
    fields: dict,
    *,
    submission_key: str,
    ip_hash: str,
    user_agent: str,
    status: str,
    sender_hash: str = "",
    rate_limit: tuple[int, int] | None,
    notify: bool = False,
) -> Stored:
    """Insert one message exactly once per submission key, within the rate limit,
    and, with ``notify``, its notification for the owner.

    Check and inserts run in one IMMEDIATE transaction, so the limit holds across
    every worker process (two posts from one address cannot both see room for
    one), and a stored message always has its notification queued.
    Returns only after COMMIT: an acknowledged message is on disk.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        existing = db.execute(
            "SELECT id FROM messages WHERE submission_key = ?", [submission_key]
        ).fetchone()
        if existing:
            db.execute("ROLLBACK")
            return Stored(existing[0], reference_for(submission_key))  # already stored: same answer
        now = datetime.datetime.now(datetime.timezone.utc)
        if rate_limit:
            check_rate_limit(db, rate_limit, now, ip_hash, sender_hash)
        reference = reference_for(submission_key)
        message_id = db.execute(
            "INSERT INTO messages (created_at, name, email, company, message, status, submission_key, ip_hash,"
            " user_agent, reference, sender_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                now.isoformat(timespec="seconds"),
                fields["name"],
                fields["email"],
                fields["company"],
                fields["message"],
                status,
                submission_key,
                ip_hash,
                user_agent,
                reference,
                sender_hash,
            ],
        ).lastrowid
        if notify and status in NOTIFIED:
            outbox.queue(db, message_id, now)
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    return Stored(message_id, reference)
