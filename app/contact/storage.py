"""The message store: SQLite through sqlite-utils.

One connection per request on ``g`` (as in Flask's tutorial), WAL so readers
never block the writer, a busy timeout so concurrent writers from several
worker processes queue instead of failing, and ``synchronous=FULL`` so a
message acknowledged to a visitor survives a crash or power loss.
"""

import base64
import datetime
import hashlib
import hmac
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask, current_app, g
from sqlite_utils import Database

BUSY_TIMEOUT_SECONDS = 5.0
STATUSES = ("new", "read", "spam")
COLUMNS = ("id", "created_at", "name", "email", "company", "message", "status")


class DatabaseMissing(Exception):
    """The owner's CLI asked for a database that has not been created yet."""


def connect(path: str | Path) -> Database:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA secure_delete = ON")  # deleted messages are overwritten, not left in free pages
    return Database(conn)


# Each entry upgrades the schema by one version; PRAGMA user_version records
# how many have run. Append, never edit, once a version has shipped.
def _v1(db: Database) -> None:
    db["messages"].create(
        {
            "id": int,
            "created_at": str,
            "name": str,
            "email": str,
            "company": str,
            "message": str,
            "status": str,
            "submission_key": str,
            "ip_hash": str,
            "user_agent": str,
        },
        pk="id",
        not_null={"created_at", "name", "email", "company", "message", "status", "submission_key", "ip_hash"},
    )
    db["messages"].create_index(["submission_key"], unique=True)
    db["messages"].create_index(["status", "created_at"])
    db["messages"].create_index(["ip_hash", "created_at"])
    db["messages"].create_index(["email"])


def _v2(db: Database) -> None:
    # Shipped, so kept: /healthz used to rewrite this row. It now keeps its own table (app/health.py).
    db["heartbeat"].create({"id": int, "checked_at": str}, pk="id")


MIGRATIONS = (_v1, _v2)


def migrate(db: Database) -> int:
    """Bring the schema up to date; safe when several processes start at once."""
    db.execute("BEGIN IMMEDIATE")  # one process migrates, the others wait and then see it done
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            step(db)
            db.execute(f"PRAGMA user_version = {number}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return len(MIGRATIONS)


def database_path(app: Flask) -> Path:
    return Path(app.config["DATABASE_PATH"] or Path(app.instance_path) / "messages.db")


def create_database(app: Flask) -> None:
    path = database_path(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = connect(path)
    try:
        migrate(db)
    finally:
        db.conn.close()
    app.extensions["database_ready"] = True


def get_db() -> Database:
    """This request's connection; the database is created on first use."""
    if "db" not in g:
        if not current_app.extensions.get("database_ready"):
            create_database(current_app)
        g.db = connect(database_path(current_app))
    return g.db


def open_existing(app: Flask) -> Database:
    """For the owner's CLI: never creates a database, only opens (and upgrades) one."""
    path = database_path(app)
    if not path.exists():
        raise DatabaseMissing(f"no database at {path} yet: it is created when the site receives its first message")
    db = connect(path)
    migrate(db)
    return db


def close_db(exception=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.conn.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    # Servers create and migrate the schema at start-up. CLI commands load the
    # app too, and must not create a database just by asking about one.
    if click.get_current_context(silent=True) is None:
        create_database(app)


# --- writing ---------------------------------------------------------------------

@dataclass(frozen=True)
class Stored:
    id: int
    reference: str


def reference_for(submission_key: str) -> str:
    """A short reference to quote to the sender, derived from the one-time key.

    Not the row id, which would tell anyone how many messages the owner gets.
    """
    digest = hashlib.blake2b(submission_key.encode(), digest_size=5).digest()
    return base64.b32encode(digest).decode()


def hash_ip(ip: str, secret: str) -> str:
    return hmac.new(secret.encode(), f"client-ip:{ip}".encode(), hashlib.sha256).hexdigest()


def now_utc() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


def store_message(
    db: Database,
    fields: dict,
    *,
    submission_key: str,
    ip_hash: str,
    user_agent: str,
    status: str,
    rate_limit: tuple[int, int] | None,
) -> Stored:
    """Insert one message exactly once per submission key, within the rate limit.

    Check and insert run in one IMMEDIATE transaction, so the limit holds across
    every worker process: two posts from one address cannot both see room for one.
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
            count, seconds = rate_limit
            since = (now - datetime.timedelta(seconds=seconds)).isoformat(timespec="seconds")
            recent = db.execute(
                "SELECT count(*), min(created_at) FROM messages WHERE ip_hash = ? AND created_at > ?",
                [ip_hash, since],
            ).fetchone()
            if recent[0] >= count:
                oldest = datetime.datetime.fromisoformat(recent[1])
                retry_after = int((oldest + datetime.timedelta(seconds=seconds) - now).total_seconds()) + 1
                raise RateLimited(max(retry_after, 1))
        cursor = db.execute(
            "INSERT INTO messages (created_at, name, email, company, message, status, submission_key, ip_hash, user_agent)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            ],
        )
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    return Stored(cursor.lastrowid, reference_for(submission_key))
