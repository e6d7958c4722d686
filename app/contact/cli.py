"""``flask messages``: the owner reads, exports and tidies the contact messages."""

import csv
import datetime
import functools
import io
import json
import os
import re
import sqlite3
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup

from . import delivery, storage
from .forms import escape_invisible

messages_cli = AppGroup("messages", help="Read, export and tidy the messages sent through the contact form.")

# A spreadsheet treats a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def with_db(command):
    """Open the existing database, turning every expected failure into one clear line."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        path = storage.database_path(current_app)
        db = None
        try:
            db = storage.open_existing(current_app)
            return command(db, *args, **kwargs)
        except storage.DatabaseMissing as error:
            raise click.ClickException(str(error)) from None
        except sqlite3.Error as error:
            raise click.ClickException(
                f"cannot use the database at {path} ({error}): run this as the user the server runs as, "
                "who must be able to write the file and its folder"
            ) from None
        finally:
            if db is not None:
                db.conn.close()

    return wrapper


def shown(text: str | None, keep: str = "") -> str:
    """A visitor's text as it may reach the owner's terminal: controls and direction marks escaped."""
    return escape_invisible(text or "", keep=keep)


REFERENCE = re.compile(r"^[A-Za-z2-7]{8}$")


class MessageRef(click.ParamType):
    """A message's ID (a number) or the reference its sender was given (8 letters and digits)."""

    name = "ID_OR_REF"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        if text.isascii() and text.isdigit():  # "²".isdigit() is true too
            return int(text)
        if REFERENCE.match(text):
            return text.upper()
        self.fail(f"{value!r} is not a message ID (a number) or a reference (8 letters and digits, like ABCD2345)", param, ctx)


def get_message(db, ident: int | str) -> dict:
    row = None
    if isinstance(ident, str):
        row = next(db["messages"].rows_where("reference = ?", [ident], order_by="id"), None)
        if row is None:
            raise click.ClickException(f"no message with reference {ident}")
        return row
    if abs(ident) < 2**63:  # SQLite integers are 64-bit: a larger number is no ID, and would raise OverflowError
        row = next(db["messages"].rows_where("id = ?", [ident]), None)
    if row is None:
        raise click.ClickException(f"no message with ID {ident}")
    return row


def parse_date(value: str | None, option: str) -> str | None:
    """A date (2026-11-27) or a date and time, as the UTC ISO text stored in created_at."""
    if value is None:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-27 or 2026-11-27T09:30", param_hint=option)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc).isoformat(timespec="seconds")


def one_line(text: str, width: int) -> str:
    # Cut at the width, not at a word: a long address or link must still show its start, not a bare "…".
    text = shown(" ".join(text.split()))
    return text if len(text) <= width else text[: width - 1] + "…"


def unread_summary(db) -> str:
    counts = dict(db.execute("SELECT status, count(*) FROM messages WHERE status IN ('new', 'suspect') GROUP BY status"))
    summary = f"{counts.get('new', 0)} unread"
    if counts.get("suspect"):
        summary += f", {counts['suspect']} suspect (marked ?: sent faster than a person types; check, then mark)"
    return summary + "."


@messages_cli.command("list")
@click.option("--status", type=click.Choice(storage.STATUSES), help="Only messages with this status (spam is hidden unless asked for).")
@click.option("--search", help="Only messages with this text in the name, e-mail, company or message (any letter case).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="How many to show.")
@with_db
def list_messages(db, status, search, limit):
    """List messages, newest first, below the count of unread ones.

    Suspect messages (caught only by the minimum-time trap) are listed with a ? mark.
    """
    clauses, args = ["status = ?" if status else "status != 'spam'"], [status] if status else []
    if search:
        # SQLite's lower() and LIKE fold only ASCII; names and messages may be in any script.
        db.conn.create_function("py_lower", 1, lambda v: v.lower() if isinstance(v, str) else v, deterministic=True)
        clauses.append(
            "instr(py_lower(name || char(10) || email || char(10) || company || char(10) || message), ?) > 0"
        )
        args.append(search.lower())
    rows = list(db["messages"].rows_where(" AND ".join(clauses), args, order_by="created_at desc, id desc", limit=limit))
    if not rows:
        click.echo(f"No messages match {shown(search)!r}." if search else "No messages.")
        return
    click.echo(unread_summary(db))
    click.echo(f"{'ID':>5}  {'RECEIVED (UTC)':<20}  {'STATUS':<8}  {'FROM':<36}  MESSAGE")
    for row in rows:
        sender = one_line(f"{row['name']} <{row['email']}>", 36)
        received = row["created_at"][:19].replace("T", " ")
        status_shown = "?suspect" if row["status"] == "suspect" else row["status"]
        click.echo(f"{row['id']:>5}  {received:<20}  {status_shown:<8}  {sender:<36}  {one_line(row['message'], 60)}")


@messages_cli.command("show")
@click.argument("message", type=MessageRef())
@with_db
def show(db, message):
    """Show one message in full, and mark it read.

    MESSAGE is its ID, or the reference its sender was given (as in the notification).
    """
    row = get_message(db, message)
    click.echo(f"Message {row['id']} · reference {row['reference']} · {row['status']}")
    click.echo(f"Received: {row['created_at']}")
    click.echo(f"From:     {shown(row['name'])} <{shown(row['email'])}>")
    if row["company"]:
        click.echo(f"Company:  {shown(row['company'])}")
    click.echo(f"Browser:  {shown(row['user_agent']) or 'unknown'}")
    click.echo("")
    click.echo(shown(row["message"], keep="\n\t"))
    if row["status"] == "new":
        db.execute("UPDATE messages SET status = 'read' WHERE id = ?", [row["id"]])


def csv_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value  # shown as text, never evaluated
    return value


@messages_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "ndjson"]), required=True, help="Output format.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file instead of standard output.")
@click.option("--since", help="Only messages received on or after this date (UTC), e.g. 2026-11-01.")
@click.option("--until", help="Only messages received before this date (UTC).")
@click.option("--status", type=click.Choice(storage.STATUSES), help="Only this status. Spam is exported only when asked for.")
@with_db
def export(db, fmt, output, since, until, status):
    """Export messages, oldest first, as CSV, JSON or NDJSON.

    CSV is UTF-8 with a header row, and any cell that a spreadsheet would run
    as a formula is prefixed with an apostrophe. JSON and NDJSON keep the text exactly.
    """
    since, until = parse_date(since, "--since"), parse_date(until, "--until")
    clauses, args = ["status = ?" if status else "status != 'spam'"], [status] if status else []
    if since:
        clauses.append("created_at >= ?")
        args.append(since)
    if until:
        clauses.append("created_at < ?")
        args.append(until)
    rows = db["messages"].rows_where(
        " AND ".join(clauses), args, order_by="created_at, id", select=", ".join(storage.COLUMNS)
    )

    out = open(output, "w", encoding="utf-8", newline="") if output else io.TextIOWrapper(
        sys.stdout.buffer, encoding="utf-8", newline="", write_through=True
    )
    try:
        if fmt == "csv":
            writer = csv.writer(out)
            writer.writerow(storage.COLUMNS)
            for row in rows:
                writer.writerow([csv_safe(row[c]) for c in storage.COLUMNS])
        elif fmt == "ndjson":
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            out.write(json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n")
    finally:
        if output:
            out.close()
        else:
            out.flush()
            out.detach()


def erase(db, where: str, args: list) -> int:
    """Delete rows for good: secure_delete (set on every connection) overwrites
    them in the file, and the checkpoint moves those pages out of the WAL too."""
    count = db.execute(f"DELETE FROM messages WHERE {where}", args).rowcount
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return count


MARKS = {"read": "read", "unread": "new", "suspect": "suspect", "spam": "spam", "not_spam": "new"}


@messages_cli.command("mark")
@click.argument("message", type=MessageRef())
@click.option("--read", is_flag=True, help="Mark as read.")
@click.option("--unread", is_flag=True, help="Mark as new (unread).")
@click.option("--suspect", is_flag=True, help="Mark as suspect: listed with a ? mark.")
@click.option("--spam", is_flag=True, help="Mark as spam: hidden from list and export.")
@click.option("--not-spam", is_flag=True, help="Not spam after all: back among new messages.")
@with_db
def mark(db, message, **flags):
    """Change a message's status (MESSAGE: its ID or reference). Give exactly one flag."""
    chosen = [name for name, given in flags.items() if given]
    if not chosen:
        raise click.UsageError("say how to mark it: --read, --unread, --suspect, --spam or --not-spam")
    if len(chosen) > 1:
        named = " and ".join("--" + name.replace("_", "-") for name in chosen)
        raise click.UsageError(f"{named} contradict each other: give one of them")
    status = MARKS[chosen[0]]
    row = get_message(db, message)
    db.execute("UPDATE messages SET status = ? WHERE id = ?", [status, row["id"]])
    click.echo(f"Message {row['id']} is now {status}.")


@messages_cli.command("delete")
@click.argument("message", type=MessageRef())
@with_db
def delete(db, message):
    """Delete one message (MESSAGE: its ID or reference)."""
    row = get_message(db, message)
    erase(db, "id = ?", [row["id"]])
    click.echo(f"Deleted message {row['id']}.")


@messages_cli.command("purge")
@click.option("--older-than", "days", type=click.IntRange(min=0), required=True, help="Delete messages received more than this many days ago.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_db
def purge(db, days, yes):
    """Delete every message older than a number of days."""
    cutoff = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)).isoformat(timespec="seconds")
    count = db.execute("SELECT count(*) FROM messages WHERE created_at < ?", [cutoff]).fetchone()[0]
    if count == 0:
        click.echo(f"No messages older than {days} days.")
        return
    if not yes:
        click.confirm(f"Delete {count} message(s) older than {days} days?", abort=True)
    erase(db, "created_at < ?", [cutoff])
    click.echo(f"Deleted {count} message(s).")


@messages_cli.command("forget")
@click.argument("email")
@with_db
def forget(db, email):
    """Erase every message from an e-mail address (a privacy request).

    Matches the address without regard to letter case.
    """
    # SQLite's lower() folds only ASCII; addresses may be international (Ünï@example.com).
    db.conn.create_function("py_lower", 1, str.lower, deterministic=True)
    count = erase(db, "py_lower(email) = ?", [email.strip().lower()])
    click.echo(f"Erased {count} message(s) from {email.strip()}.")


# --- notifications and backups -----------------------------------------------------------

@messages_cli.command("notifications")
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]), help="Only deliveries with this status.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="How many to show.")
@with_db
def notifications(db, status, limit):
    """Whether notifications are on, and the deliveries: pending, sent and failed,
    with attempts and the last error (passwords and tokens masked)."""
    click.echo(delivery.describe(current_app))
    counts = dict(db.execute("SELECT status, count(*) FROM notifications GROUP BY status"))
    click.echo(" · ".join(f"{counts.get(s, 0)} {s}" for s in ("pending", "sent", "failed")))
    where, args = ("n.status = ?", [status]) if status else ("1", [])
    rows = db.execute(
        f"""SELECT m.id, m.reference, n.status, n.attempts, n.due_at, n.sent_at, n.last_error
            FROM notifications n JOIN messages m ON m.id = n.message_id
            WHERE {where} ORDER BY n.id DESC LIMIT ?""",
        [*args, limit],
    ).fetchall()
    if not rows:
        return
    click.echo(f"{'ID':>5}  {'REFERENCE':<9}  {'STATUS':<7}  {'TRIES':>5}  {'SENT / NEXT TRY (UTC)':<20}  LAST ERROR")
    targets = current_app.extensions.get("notify_targets") or []
    for message_id, reference, state, attempts, due_at, sent_at, error in rows:
        when = sent_at if state == "sent" else storage.iso_utc(due_at) if state == "pending" else ""
        error = delivery.masked(shown(error), targets) if error else ""
        click.echo(f"{message_id:>5}  {reference:<9}  {state:<7}  {attempts:>5}  {when[:19].replace('T', ' '):<20}  {error}")


@messages_cli.command("notify")
@click.option("--test", "test", is_flag=True, help="Send a test notification through every configured URL; exit 1 if any failed.")
@click.option("--retry", is_flag=True, help="Queue every failed delivery again, to be sent now.")
def notify(test, retry):
    """Test the notification URLs (NOTIFY_URLS), or retry failed deliveries."""
    if test == retry:
        raise click.UsageError("give one of --test or --retry")
    if retry:
        requeue_failed()
        return
    targets = current_app.extensions.get("notify_targets") or []
    if not targets:
        raise click.ClickException("NOTIFY_URLS is not set: there is nothing to test. See the README, \"Getting messages\".")
    title = "Test notification from your portfolio site"
    body = "If you can read this, messages sent through the contact form will reach you here."
    failed = 0
    for target in targets:
        error = delivery.send(target, title, body, None, targets)
        click.echo(f"{target.label}: " + ("sent" if error is None else f"FAILED: {error}"))
        failed += error is not None
    if failed:
        raise SystemExit(1)


@with_db
def requeue_failed(db):
    now = time.time()
    count = db.execute(
        # A fresh start: attempts back to 0, so the next failure waits a minute, not six hours.
        "UPDATE notifications SET status = 'pending', attempts = 0, due_at = ?, queued_at = ?, lease_until = NULL"
        " WHERE status = 'failed'",
        [now, now],
    ).rowcount
    click.echo(f"Queued {count} failed notification(s) again; the server sends them within seconds.")


@messages_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_db
def backup(db, path):
    """Copy the database to PATH (a new file, readable by you only), safely while the server runs.

    It uses SQLite's online backup: the copy is consistent even while messages arrive.
    """
    try:
        # Created 0600 before SQLite writes a byte: the copy holds the same personal data.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise click.ClickException(f"{path} already exists: choose a new file name") from None
    except OSError as error:
        raise click.ClickException(f"cannot create {path}: {error.strerror}") from None
    target = sqlite3.connect(path)
    try:
        db.conn.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        count = target.execute("SELECT count(*) FROM messages").fetchone()[0]
    finally:
        target.close()
    click.echo(f"Copied {count} message(s) to {path}.")

