"""The message store's schema, one version at a time.

Written by hand, not with sqlite-migrate: several workers start at once, and
one must migrate while the others wait and then see it done (migrate's BEGIN
IMMEDIATE and PRAGMA user_version), which sqlite-migrate does not promise.
"""

import os

from sqlite_utils import Database

from .references import reference_for
from .times import now_utc


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
    # Shipped, so kept: /healthz used to rewrite this row. It now keeps its own table
    # (app/health.py), and version 6 drops this one.
    db["heartbeat"].create({"id": int, "checked_at": str}, pk="id")


def _v3(db: Database) -> None:
    # The reference the visitor was given, so the owner can look a message up by it.
    db["messages"].add_column("reference", str)
    for key in [row[0] for row in db.execute("SELECT submission_key FROM messages")]:
        db.execute("UPDATE messages SET reference = ? WHERE submission_key = ?", [reference_for(key), key])
    db["messages"].create_index(["reference"])
    # The outbox: one row per message the owner is to be told of, written in the
    # same transaction as the message (app/contact/outbox.py; delivery.py sends them).
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


def _v6(db: Database) -> None:
    # The heartbeat table (version 2) went unused when /healthz took its own table: dropped.
    db["heartbeat"].drop(ignore=True)


MIGRATIONS = (_v1, _v2, _v3, _v4, _v5, _v6)


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
