"""The outbox: the notifications table (one row per message the owner is to be
told of) and deliveries (each channel's outcome for each), and nothing else.

A row is queued in the same transaction as its message (storage.store_message),
so a stored message always has its notification. A sender claims one due row
with a lease: a single ``UPDATE ... RETURNING``, so of N processes exactly one
gets it. Every later write names the lease (worker and attempt), so a worker
whose lease ran out cannot undo what the worker that took the row over wrote.

Raw SQL here, not sqlite-utils' table helpers: each statement is one atomic
step (claim, renew, append to delivered_to, finish only under one's own lease)
whose WHERE clause is the whole point, and reads best as written.
"""

import datetime
import time

from .times import iso_utc, now_utc

RETRY_CAP_SECONDS = 6 * 3600
GIVE_UP_AFTER_SECONDS = 24 * 3600
SPAM_CANCELLED = "marked spam before it was sent"


def queue(db, message_id: int, now: datetime.datetime) -> None:
    """A new message's notification, due now (inside the caller's transaction, on the visitor's POST)."""
    db.execute(
        "INSERT INTO notifications (message_id, created_at, queued_at, due_at) VALUES (?, ?, ?, ?)",
        [message_id, now.isoformat(timespec="seconds"), now.timestamp(), now.timestamp()],
    )


def queue_again(db, message_id: int) -> bool:
    """Queue the message's notification, due now: a new one, or one cancelled when it was
    marked spam. False when it already has one waiting or sent."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return db.execute(
        "INSERT INTO notifications (message_id, created_at, queued_at, due_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (message_id) DO UPDATE SET status = 'pending', attempts = 0, queued_at = excluded.queued_at,"
        " due_at = excluded.due_at, lease_until = NULL, last_error = NULL WHERE notifications.status = 'cancelled'",
        [message_id, now.isoformat(timespec="seconds"), now.timestamp(), now.timestamp()],
    ).rowcount == 1


def never_notified(db, statuses: tuple[str, ...]) -> list[int]:
    """Messages with one of these statuses that never had a notification (stored while they were off)."""
    return [row[0] for row in db.execute(
        f"SELECT id FROM messages WHERE status IN ({', '.join('?' for _ in statuses)})"
        " AND id NOT IN (SELECT message_id FROM notifications) ORDER BY id",
        list(statuses),
    )]


def requeue_failed(db) -> int:
    """Every notification failed for good, due again now; how many."""
    now = time.time()
    # A fresh start: attempts back to 0, so the next failure waits a minute, not six hours.
    return db.execute(
        "UPDATE notifications SET status = 'pending', attempts = 0, due_at = ?, queued_at = ?, lease_until = NULL"
        " WHERE status = 'failed'",
        [now, now],
    ).rowcount


def cancel_pending(db, message_id: int) -> bool:
    """The message was marked spam: its notification, not sent yet, never is."""
    return db.execute(
        "UPDATE notifications SET status = 'cancelled', last_error = ? WHERE message_id = ? AND status = 'pending'",
        [SPAM_CANCELLED, message_id],
    ).rowcount == 1


def retry_delay(attempts: int, first: float) -> float:
    """About a minute after the first failure, doubling, at most six hours."""
    return min(first * 2 ** max(attempts - 1, 0), RETRY_CAP_SECONDS)


def claim(db, lease_seconds: float, worker: str) -> dict | None:
    """Take one due notification for this worker, or None. One statement, so
    of several processes asking at once exactly one gets each row."""
    now = time.time()
    rows = db.execute(
        """UPDATE notifications SET lease_until = ?, leased_by = ?, attempts = attempts + 1
           WHERE id = (SELECT id FROM notifications
                       WHERE status = 'pending' AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
                       ORDER BY due_at LIMIT 1)
           RETURNING id, message_id, attempts, delivered_to, queued_at""",
        [now + lease_seconds, worker, now, now],
    ).fetchall()
    if not rows:
        return None
    return dict(zip(("id", "message_id", "attempts", "delivered_to", "queued_at"), rows[0]))


def renew(db, notification: dict, worker: str, lease_seconds: float) -> bool:
    """Extend this worker's lease; False when it ran out and another worker took
    the row (its claim raised attempts), so this one must stop."""
    return db.execute(
        "UPDATE notifications SET lease_until = ? WHERE id = ? AND leased_by = ? AND attempts = ? AND status = 'pending'",
        [time.time() + lease_seconds, notification["id"], worker, notification["attempts"]],
    ).rowcount == 1


# Every write that ends a claim names the lease it was made under.
MINE = "WHERE id = ? AND leased_by = ? AND attempts = ?"


def lease(notification: dict, worker: str) -> list:
    return [notification["id"], worker, notification["attempts"]]


def add_delivered(db, notification_id: int, key: str) -> None:
    """Recorded at once, added to what is there (another worker may have added
    too): a crash after this never sends to this URL again."""
    db.execute(
        "UPDATE notifications SET delivered_to = trim(delivered_to || ' ' || ?) WHERE id = ?"
        " AND instr(' ' || delivered_to || ' ', ' ' || ? || ' ') = 0",
        [key, notification_id, key],
    )


def record_channel(db, notification_id: int, channel: str, error: str | None) -> None:
    """When this channel had the notification, or why it has not (yet)."""
    now = now_utc()
    db.execute(
        "INSERT INTO deliveries (notification_id, channel, sent_at, last_error, tried_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (notification_id, channel) DO UPDATE SET sent_at = coalesce(deliveries.sent_at, excluded.sent_at),"
        " last_error = excluded.last_error, tried_at = excluded.tried_at",
        [notification_id, channel, now if error is None else None, error, now],
    )


def mark_cancelled(db, notification: dict, worker: str) -> None:
    db.execute(
        f"UPDATE notifications SET status = 'cancelled', lease_until = NULL, last_error = ? {MINE}",
        [SPAM_CANCELLED, *lease(notification, worker)],
    )


def mark_sent(db, notification: dict, worker: str) -> None:
    db.execute(
        f"UPDATE notifications SET status = 'sent', sent_at = ?, lease_until = NULL, last_error = NULL {MINE}",
        [now_utc(), *lease(notification, worker)],
    )


def mark_failed(db, notification: dict, worker: str, error: str, first_retry_seconds: float) -> str | None:
    """Schedule a retry, or give up after a day: "retry" or "failed", None when the lease was lost."""
    now = time.time()
    given_up = now - notification["queued_at"] >= GIVE_UP_AFTER_SECONDS
    recorded = db.execute(
        f"UPDATE notifications SET status = ?, due_at = ?, lease_until = NULL, last_error = ? {MINE}",
        [
            "failed" if given_up else "pending",
            now + retry_delay(notification["attempts"], first_retry_seconds),
            error,
            *lease(notification, worker),
        ],
    ).rowcount
    if not recorded:
        return None
    return "failed" if given_up else "retry"


FAILING = "(status = 'failed' OR (status = 'pending' AND last_error IS NOT NULL))"


def failing(db, besides: int | None = None) -> int:
    """How many notifications have failed at least their last attempt (failed for good, or to be retried)."""
    return db.execute(f"SELECT count(*) FROM notifications WHERE {FAILING} AND id IS NOT ?", [besides]).fetchone()[0]


def trouble(db) -> dict:
    """Notifications whose last attempt failed: still retried ("failing"), or given up ("failed")."""
    failing_count, next_try = db.execute(
        "SELECT count(*), min(due_at) FROM notifications WHERE status = 'pending' AND last_error IS NOT NULL"
    ).fetchone()
    failed = db["notifications"].count_where("status = 'failed'")
    return {"failing": failing_count, "failed": failed, "next_try": iso_utc(next_try) if next_try else None}


def trouble_summary(db) -> str:
    """One line for the owner, or "" when every notification went (or waits its first try)."""
    found = trouble(db)
    said = []
    if found["failing"]:
        said.append(
            f"{found['failing']} notification{'s' if found['failing'] != 1 else ''} failing, retried at "
            f"{found['next_try'][11:16]} UTC: run flask messages notifications"
        )
    if found["failed"]:
        said.append(
            f"{found['failed']} notification{'s' if found['failed'] != 1 else ''} failed for good: "
            "run flask messages notifications, then flask messages notify --retry"
        )
    return "; ".join(said)
