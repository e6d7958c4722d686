"""`flask messages mark`, `delete`, `purge` and `forget`: tidying the messages, and erasing them for good."""

import datetime

import click
from flask import current_app

from .. import erasure, outbox, storage
from .common import command, MessageRef, get_message, shown, use_folding, with_db
from .notifying import server_sends


def erase(db, where: str, args: list, what: str) -> None:
    """Delete rows for good and say truly where their text still is, if anywhere."""
    count, remains = erasure.erase(db, where, args)
    if not count:
        click.echo(f"Erased nothing: no {what}.")
        return
    click.echo(f"Erased {count} message(s) ({what}).")
    path = storage.database_path(current_app)
    if not remains:
        click.echo(f"Their text is gone from every file of the database ({path} and its -wal).")
        return
    # Which of the two held the rows last is not known: the file, or the WAL, or both.
    files = f"{path}-wal" if remains == "wal" else f"{path} and/or {path}-wal"
    click.echo(
        f"Their text is no longer in any answer, but still in {files}: another connection (the "
        "server's or a backup's) is reading the database. The running server erases it within "
        "seconds of that reader finishing, or the next flask messages command does."
    )


MARKS = {"read": "read", "unread": "new", "replied": "replied", "archived": "archived", "suspect": "suspect",
         "spam": "spam", "not_spam": "new"}


@command("mark")
@click.argument("message", type=MessageRef())
@click.option("--read", is_flag=True, help="Mark as read.")
@click.option("--unread", is_flag=True, help="Mark as new (unread).")
@click.option("--replied", is_flag=True, help="Mark as replied to.")
@click.option("--archived", is_flag=True, help="Mark as archived: done with, hidden from list unless asked for.")
@click.option("--suspect", is_flag=True, help="Mark as suspect: listed with a ? mark.")
@click.option("--spam", is_flag=True, help="Mark as spam: hidden from list and export; a notification not yet sent never is.")
@click.option("--not-spam", is_flag=True, help="Not spam after all: back among new messages, and its notification is queued.")
@with_db
def mark(db, message, **flags):
    """Change a message's status (MESSAGE: its ID or reference). Give exactly one flag."""
    chosen = [name for name, given in flags.items() if given]
    if not chosen:
        raise click.UsageError("say how to mark it: --read, --unread, --replied, --archived, --suspect, --spam or --not-spam")
    if len(chosen) > 1:
        named = " and ".join("--" + name.replace("_", "-") for name in chosen)
        raise click.UsageError(f"{named} contradict each other: give one of them")
    status = MARKS[chosen[0]]
    row = get_message(db, message)
    db["messages"].update(row["id"], {"status": status})
    click.echo(f"Message {row['id']} is now {status}.")
    if chosen[0] == "spam" and outbox.cancel_pending(db, row["id"]):
        click.echo("Its notification, not yet sent, will not be.")
    if chosen[0] == "not_spam" and outbox.queue_again(db, row["id"]):
        click.echo("Its notification is queued: " + server_sends(db))


@command("delete")
@click.argument("message", type=MessageRef())
@with_db
def delete(db, message):
    """Delete one message (MESSAGE: its ID or reference)."""
    row = get_message(db, message)
    erase(db, "id = ?", [row["id"]], f"message {row['id']}")


@command("purge")
@click.option("--older-than", "days", type=click.IntRange(min=0), required=True, help="Delete messages received more than this many days ago.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_db
def purge(db, days, yes):
    """Delete every message older than a number of days."""
    cutoff = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)).isoformat(timespec="seconds")
    count = db["messages"].count_where("created_at < ?", [cutoff])
    if count == 0:
        click.echo(f"No messages older than {days} days.")
        return
    if not yes:
        click.confirm(f"Delete {count} message(s) older than {days} days?", abort=True)
    erase(db, "created_at < ?", [cutoff], f"older than {days} days")


@command("forget")
@click.argument("email")
@with_db
def forget(db, email):
    """Erase every message from an e-mail address (a privacy request).

    Matches the address without regard to letter case.
    """
    use_folding(db)
    erase(db, "py_lower(email) = ?", [email.strip().lower()], f"from {shown(email.strip())}")

