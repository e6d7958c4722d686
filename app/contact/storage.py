"""The message store: SQLite through sqlite-utils.

One connection per request on ``g`` (as in Flask's tutorial), WAL so readers
never block the writer, a busy timeout so concurrent writers from several
worker processes queue instead of failing, and ``synchronous=FULL`` so a
message acknowledged to a visitor survives a crash or power loss.

The messages are personal data: the database and its -wal/-shm files are
created readable by the owner only (0600), in a folder only they may enter (0700).

Pages never depend on the store. A database that is missing, corrupt, on a
full disk or in a folder the server cannot write is said once, in one line
(report), and the contact form answers 503 meanwhile; each request that needs
the store tries it again, so it comes back without a restart.
"""

import base64
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

from ..config import message_store_checked

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


def connect(path: str | Path) -> Database:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA secure_delete = ON")  # deleted messages are overwritten, not left in free pages
    conn.execute("PRAGMA foreign_keys = ON")  # deleting a message deletes its notification
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


def _v3(db: Database) -> None:
    # The reference the visitor was given, so the owner can look a message up by it.
    db["messages"].add_column("reference", str)
    for key in [row[0] for row in db.execute("SELECT submission_key FROM messages")]:
        db.execute("UPDATE messages SET reference = ? WHERE submission_key = ?", [reference_for(key), key])
    db["messages"].create_index(["reference"])
    # The outbox: one row per message the owner is to be told of, written in the
    # same transaction as the message (app/contact/delivery.py sends them).
    # due_at and lease_until are Unix times: the delivery loop compares them with its clock.
    db.execute(
        """CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            message_id INTEGER NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            queued_at REAL NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            due_at REAL NOT NULL,
            lease_until REAL,
            leased_by TEXT,
            delivered_to TEXT NOT NULL DEFAULT '',
            last_error TEXT,
            sent_at TEXT
        )"""
    )
    db.execute("CREATE INDEX notifications_due ON notifications (status, due_at)")


def _v4(db: Database) -> None:
    # What the server runs with (its notification channels by scheme and position, start
    # time, version), so the owner's CLI can speak for it; and a random salt that names
    # each notification URL in delivered_to, so the records outlive a SECRET_KEY rotation.
    db.execute("CREATE TABLE server_info (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL)")
    db.execute(
        "INSERT INTO server_info (key, value, updated_at) VALUES ('url_key_salt', ?, ?)",
        [os.urandom(16).hex(), now_utc()],
    )
    # Each channel's outcome for each notification, so `show` can say when each was told, or why not.
    db.execute(
        """CREATE TABLE deliveries (
            notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
            channel TEXT NOT NULL,
            sent_at TEXT,
            last_error TEXT,
            tried_at TEXT NOT NULL,
            PRIMARY KEY (notification_id, channel)
        )"""
    )


def _v5(db: Database) -> None:
    # Issue 15's version 4 comes first; this is the one after it.
    # The fair rate limit counts per sender (address and browser) as well as per
    # address, so people sharing one address (an office, a carrier's NAT) do not
    # use up each other's allowance. Idempotent, as the two were numbered apart.
    if "sender_hash" not in db["messages"].columns_dict:
        db["messages"].add_column("sender_hash", str)
    db.execute("CREATE INDEX IF NOT EXISTS messages_sender_created ON messages (sender_hash, created_at)")


MIGRATIONS = (_v1, _v2, _v3, _v4, _v5)


def migrate(db: Database) -> int:
    """Bring the schema up to date; safe when several processes start at once."""
    if db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS):
        return len(MIGRATIONS)  # up to date: no write lock, so reading never waits for the server's writes
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


def create_private_file(path: Path) -> None:
    """An empty file (a valid empty SQLite database) only the owner may read.

    SQLite gives the -wal and -shm files it creates the same mode as the database.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return
    os.chmod(path, 0o600)


def create_at(path: Path) -> None:
    make_private_folder(path.parent)
    create_private_file(path)
    db = connect(path)
    try:
        migrate(db)
    finally:
        db.conn.close()


def create_database(app: Flask) -> None:
    create_at(database_path(app))
    app.extensions["database_ready"] = True


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
    known = "store_problem" in app.extensions
    before = app.extensions.get("store_problem")
    app.extensions["store_problem"] = problem
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
        if not current_app.extensions.get("database_ready"):
            create_database(current_app)
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
        for key, value in values.items():
            db.execute(
                "INSERT INTO server_info (key, value, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                [key, value, now],
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
    app.teardown_appcontext(close_db)
    # Servers create and migrate the schema at start-up. CLI commands load the
    # app too, and must not create a database just by asking about one.
    if click.get_current_context(silent=True) is None:
        problem = check(database_path(app))
        app.extensions["database_ready"] = problem is None
        if message_store_checked():
            app.extensions["store_problem"] = problem  # already said, once, by server.py
        report(app, problem)


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


def iso_utc(unix_time: float) -> str:
    return datetime.datetime.fromtimestamp(unix_time, datetime.timezone.utc).isoformat(timespec="seconds")


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
        cursor = db.execute(
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
        )
        if notify and status in NOTIFIED:
            db.execute(
                "INSERT INTO notifications (message_id, created_at, queued_at, due_at) VALUES (?, ?, ?, ?)",
                [cursor.lastrowid, now.isoformat(timespec="seconds"), now.timestamp(), now.timestamp()],
            )
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    return Stored(cursor.lastrowid, reference)


def queue_notification(db: Database, message_id: int) -> bool:
    """Queue the message's notification, due now: a new one, or one cancelled when it was
    marked spam. False when it already has one waiting or sent."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return db.execute(
        "INSERT INTO notifications (message_id, created_at, queued_at, due_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (message_id) DO UPDATE SET status = 'pending', attempts = 0, queued_at = excluded.queued_at,"
        " due_at = excluded.due_at, lease_until = NULL, last_error = NULL WHERE notifications.status = 'cancelled'",
        [message_id, now.isoformat(timespec="seconds"), now.timestamp(), now.timestamp()],
    ).rowcount == 1


# --- erasing -----------------------------------------------------------------------

# How long an erasure's checkpoint may hold the write lock waiting for readers: a
# visitor's POST waits at most this long behind it, never the 5 s busy timeout.
ERASE_WAIT_MS = 20


def checkpoint_all(db: Database) -> tuple[bool, bool]:
    """Copy every WAL frame into the database file and empty the WAL, waiting at most
    ERASE_WAIT_MS for readers. Returns whether the WAL is empty, and whether the
    database file at least holds every frame (a reader on the newest snapshot lets the
    frames be copied, but keeps the WAL from being emptied)."""
    db.execute(f"PRAGMA busy_timeout = {ERASE_WAIT_MS}")
    try:
        busy, frames, copied = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    return busy == 0, busy == 0 or (frames >= 0 and frames == copied)


def erase_where(db: Database, where: str, args: list) -> tuple[int, str]:
    """Delete messages for good: how many, and where their text still is: "" (nowhere),
    "wal" (the -wal file only) or "both" (the database file and its -wal). secure_delete (set on every connection) overwrites the rows; the
    checkpoint carries the overwritten pages into the database file and empties the WAL.
    When a reader's snapshot stops it, the text stays in the database file and its WAL
    until that reader ends, and an erasure pending mark makes the server's delivery loop
    (storage.finish_erasure, every few seconds) or the next CLI command finish it."""
    db.execute("BEGIN IMMEDIATE")  # a short write: the DELETE alone, never the wait for readers
    try:
        count = db.execute(f"DELETE FROM messages WHERE {where}", args).rowcount
        if count:
            db.execute(
                "INSERT INTO server_info (key, value, updated_at) VALUES ('erasure_pending', ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                [now_utc(), now_utc()],
            )
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    if finish_erasure(db):
        return count, ""
    return count, "wal" if checkpoint_all(db)[1] else "both"


def finish_erasure(db: Database) -> bool:
    """Finish an erasure a reader held up; True when none is pending any more."""
    if not db.execute("SELECT 1 FROM server_info WHERE key = 'erasure_pending'").fetchone():
        return True
    if not checkpoint_all(db)[0]:
        return False
    db.execute("DELETE FROM server_info WHERE key = 'erasure_pending'")
    # That DELETE went to the WAL: empty it again, so the WAL holds nothing at all.
    checkpoint_all(db)
    return True
