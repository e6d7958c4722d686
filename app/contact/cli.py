"""``flask messages``: the owner reads, exports and tidies the contact messages."""

import csv
import datetime
import functools
import io
import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from . import storage

messages_cli = AppGroup("messages", help="Read, export and tidy the messages sent through the contact form.")

# A spreadsheet treats a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def with_db(command):
    """Open the existing database, turning every expected failure into one clear line."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            db = storage.open_existing(current_app)
        except storage.DatabaseMissing as error:
            raise click.ClickException(str(error)) from None
        try:
            return command(db, *args, **kwargs)
        finally:
            db.conn.close()

    return wrapper


def get_message(db, message_id: int) -> dict:
    row = None
    if abs(message_id) < 2**63:  # SQLite integers are 64-bit: a larger number is no ID, and would raise OverflowError
        row = next(db["messages"].rows_where("id = ?", [message_id]), None)
    if row is None:
        raise click.ClickException(f"no message with ID {message_id}")
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
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@messages_cli.command("list")
@click.option("--status", type=click.Choice(storage.STATUSES), help="Only messages with this status (spam is hidden unless asked for).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="How many to show.")
@with_db
def list_messages(db, status, limit):
    """List messages, newest first."""
    where, args = ("status = ?", [status]) if status else ("status != 'spam'", [])
    rows = list(db["messages"].rows_where(where, args, order_by="created_at desc, id desc", limit=limit))
    if not rows:
        click.echo("No messages.")
        return
    header = f"{'ID':>5}  {'RECEIVED (UTC)':<20}  {'STATUS':<6}  {'FROM':<36}  MESSAGE"
    click.echo(header)
    for row in rows:
        sender = one_line(f"{row['name']} <{row['email']}>", 36)
        received = row["created_at"][:19].replace("T", " ")
        click.echo(f"{row['id']:>5}  {received:<20}  {row['status']:<6}  {sender:<36}  {one_line(row['message'], 60)}")


@messages_cli.command("show")
@click.argument("message_id", type=int)
@with_db
def show(db, message_id):
    """Show one message in full, and mark it read."""
    row = get_message(db, message_id)
    click.echo(f"Message {row['id']} · reference {storage.reference_for(row['submission_key'])} · {row['status']}")
    click.echo(f"Received: {row['created_at']}")
    click.echo(f"From:     {row['name']} <{row['email']}>")
    if row["company"]:
        click.echo(f"Company:  {row['company']}")
    click.echo(f"Browser:  {row['user_agent'] or 'unknown'}")
    click.echo("")
    click.echo(row["message"])
    if row["status"] == "new":
        db.execute("UPDATE messages SET status = 'read' WHERE id = ?", [message_id])


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


@messages_cli.command("mark")
@click.argument("message_id", type=int)
@click.option("--read", "status", flag_value="read", help="Mark as read.")
@click.option("--unread", "status", flag_value="new", help="Mark as new (unread).")
@click.option("--spam", "status", flag_value="spam", help="Mark as spam: hidden from list and export.")
@click.option("--not-spam", "status", flag_value="new", help="Not spam after all: back among new messages.")
@with_db
def mark(db, message_id, status):
    """Change a message's status."""
    if status is None:
        raise click.UsageError("say how to mark it: --read, --unread, --spam or --not-spam")
    get_message(db, message_id)
    db.execute("UPDATE messages SET status = ? WHERE id = ?", [status, message_id])
    click.echo(f"Message {message_id} is now {status}.")


@messages_cli.command("delete")
@click.argument("message_id", type=int)
@with_db
def delete(db, message_id):
    """Delete one message."""
    get_message(db, message_id)
    erase(db, "id = ?", [message_id])
    click.echo(f"Deleted message {message_id}.")


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
