"""Erasing messages for good: gone from every answer, and from every file of the database.

secure_delete (set on every connection, storage.connect) overwrites a deleted
row's bytes; a WAL checkpoint then carries the overwritten pages into the
database file and empties the WAL. A reader's snapshot can hold the checkpoint
up: then an "erasure pending" mark makes the server's delivery loop (every few
seconds) or the next `flask messages` command finish it.
"""

from sqlite_utils import Database

from .storage import BUSY_TIMEOUT_SECONDS
from .times import now_utc

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


def erase(db: Database, where: str, args: list) -> tuple[int, str]:
    """Delete messages for good: how many, and where their text still is: "" (nowhere),
    "wal" (the -wal file only) or "both" (the database file and its -wal), until the
    reader that held the checkpoint up ends."""
    db.execute("BEGIN IMMEDIATE")  # a short write: the DELETE alone, never the wait for readers
    try:
        count = db.execute(f"DELETE FROM messages WHERE {where}", args).rowcount
        if count:
            db["server_info"].upsert({"key": "erasure_pending", "value": now_utc(), "updated_at": now_utc()}, pk="key")
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    if finish(db):
        return count, ""
    return count, "wal" if checkpoint_all(db)[1] else "both"


def finish(db: Database) -> bool:
    """Finish an erasure a reader held up; True when none is pending any more."""
    if not db["server_info"].count_where("key = 'erasure_pending'"):
        return True
    if not checkpoint_all(db)[0]:
        return False
    db["server_info"].delete_where("key = 'erasure_pending'")
    # That DELETE went to the WAL: empty it again, so the WAL holds nothing at all.
    checkpoint_all(db)
    return True
