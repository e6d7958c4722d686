"""``flask messages``: the owner reads, exports and tidies the contact messages."""

import csv
import datetime
import functools
import io
import json
import os
import re
import shutil
import sqlite3
import stat
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
        # On standard error, so an export to standard output stays exactly the file.
        unset = "" if current_app.config.get("DATABASE_PATH") else " (DATABASE_PATH is not set: the default)"
        click.echo(f"Database: {path}{unset}", err=True)
        db = None
        try:
            db = storage.open_existing(current_app)
            result = command(db, *args, **kwargs)
            storage.finish_erasure(db)  # one a reader held up, if the server has not finished it yet
            return result
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


def damage_warning(db) -> str | None:
    """SQLite's quick check: None when the database is sound, else what to tell the owner."""
    found = [row[0] for row in db.execute("PRAGMA quick_check(5)")]
    if found == ["ok"]:
        return None
    return (f"the database at {storage.database_path(current_app)} is DAMAGED (quick_check: {shown('; '.join(found))}): "
            "what is shown may be incomplete; keep a copy of the file and see the README, \"Reading the messages\"")


def warn_if_damaged(db) -> bool:
    warning = damage_warning(db)
    if warning:
        click.echo("WARNING: " + warning, err=True)
    return warning is not None


def terminal_width() -> int:
    return max(60, shutil.get_terminal_size((80, 24)).columns)


HIDDEN_BY_DEFAULT = ("spam", "archived")


@messages_cli.command("list")
@click.option("--status", type=click.Choice(storage.STATUSES),
              help="Only messages with this status (spam and archived are hidden unless asked for).")
@click.option("--search", help="Only messages with this text in the name, e-mail, company or message (any letter case).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="How many to show.")
@click.option("--by-sender", is_flag=True, help="One line per sender: how many messages, the latest, and their statuses.")
@with_db
def list_messages(db, status, search, limit, by_sender):
    """List messages, newest first, below the count of unread ones and any failing
    notifications: each with its ID, reference, time, status and whole address, then
    the start of the message on the next line.

    Suspect messages (caught only by the minimum-time trap) are listed with a ? mark.
    """
    damaged = warn_if_damaged(db)
    if status:
        clauses, args = ["status = ?"], [status]
    else:
        clauses, args = ["status NOT IN (?, ?)"], list(HIDDEN_BY_DEFAULT)
    if search:
        # SQLite's lower() and LIKE fold only ASCII; names and messages may be in any script.
        db.conn.create_function("py_lower", 1, lambda v: v.lower() if isinstance(v, str) else v, deterministic=True)
        clauses.append(
            "instr(py_lower(name || char(10) || email || char(10) || company || char(10) || message), ?) > 0"
        )
        args.append(search.lower())
    where = " AND ".join(clauses)
    trouble = delivery.trouble_summary(db)
    if by_sender:
        rows = db.execute(
            f"""SELECT count(*), max(created_at), name, email, group_concat(DISTINCT status) FROM
                (SELECT * FROM messages WHERE {where} ORDER BY created_at DESC, id DESC)
                GROUP BY lower(email) ORDER BY max(created_at) DESC LIMIT ?""",
            [*args, limit],
        ).fetchall()
    else:
        rows = list(db["messages"].rows_where(where, args, order_by="created_at desc, id desc", limit=limit))
    if not rows:
        click.echo(f"No messages match {shown(search)!r}." if search else "No messages.")
        if trouble:
            click.echo(trouble + ".")
        if damaged:
            raise SystemExit(1)
        return
    click.echo(unread_summary(db) + (f" {trouble}." if trouble else ""))
    width = terminal_width()
    if by_sender:
        click.echo(f"{'MESSAGES':>8}  {'LATEST (UTC)':<16}  SENDER · STATUSES")
        for count, latest, name, email, statuses in rows:
            click.echo(f"{count:>8}  {latest[:16].replace('T', ' '):<16}  {shown(name)} <{shown(email)}> · {statuses}")
    else:
        click.echo(f"{'ID':>5}  {'REFERENCE':<9}  {'RECEIVED (UTC)':<16}  {'STATUS':<9}  FROM")
        for row in rows:
            received = row["created_at"][:16].replace("T", " ")
            status_shown = "?suspect" if row["status"] == "suspect" else row["status"]
            click.echo(f"{row['id']:>5}  {row['reference']:<9}  {received:<16}  {status_shown:<9}  "
                       f"{shown(row['name'])} <{shown(row['email'])}>")
            click.echo("       " + one_line(row["message"], width - 7))
    if damaged:
        raise SystemExit(1)


def notified(db, message: dict) -> list[str]:
    """When each channel was told of the message, or why not."""
    row = db.execute(
        "SELECT id, status, attempts, due_at, last_error FROM notifications WHERE message_id = ?", [message["id"]]
    ).fetchone()
    if row is None:
        if message["status"] == "spam":
            return ["never: it was stored as spam (mark --not-spam queues its notification)"]
        return ["never: notifications were off when it arrived (flask messages notify --backlog queues it)"]
    notification_id, state, attempts, due_at, error = row
    lines = []
    for channel, sent_at, channel_error in db.execute(
        "SELECT channel, sent_at, last_error FROM deliveries WHERE notification_id = ? ORDER BY channel", [notification_id]
    ):
        lines.append(f"{channel}: sent {sent_at}" if sent_at else f"{channel}: not yet: {shown(channel_error)}")
    if state == "pending":
        lines.append(f"{'waiting' if not attempts else 'retried'} at {storage.iso_utc(due_at)}")
    elif state == "failed":
        lines.append("failed for good after 24 hours (flask messages notify --retry queues it again)")
    elif state == "cancelled":
        lines.append(f"not sent: {shown(error)}")
    elif not lines:
        lines.append("sent")  # before per-channel records (schema version 4)
    return lines


@messages_cli.command("show")
@click.argument("message", type=MessageRef())
@with_db
def show(db, message):
    """Show one message in full, with when each notification channel was told of it
    (or why not), and mark it read: the first line gives the status it leaves.

    MESSAGE is its ID, or the reference its sender was given (as in the notification).
    """
    row = get_message(db, message)
    status = "read" if row["status"] == "new" else row["status"]
    change = f" (was {row['status']})" if status != row["status"] else ""
    click.echo(f"Message {row['id']} · reference {row['reference']} · {status}{change}")
    click.echo(f"Received: {row['created_at']}")
    click.echo(f"From:     {shown(row['name'])} <{shown(row['email'])}>")
    reply = delivery.reply_address(row["email"])
    if reply != row["email"]:
        click.echo(f"Reply to: {reply or 'none possible: letters before the @ need a mail service with SMTPUTF8'}")
    if row["company"]:
        click.echo(f"Company:  {shown(row['company'])}")
    click.echo(f"Browser:  {shown(row['user_agent']) or 'unknown'}")
    for number, line in enumerate(notified(db, row)):
        click.echo(("Notified: " if number == 0 else "          ") + line)
    click.echo("")
    click.echo(shown(row["message"], keep="\n\t"))
    if status != row["status"]:
        db.execute("UPDATE messages SET status = ? WHERE id = ?", [status, row["id"]])


def csv_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value  # shown as text, never evaluated
    return value


def open_private(path: str, overwrite: bool):
    """PATH for writing, readable by the owner only (0600, like the database), never through a
    symbolic link, and never over an existing file unless asked."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        descriptor = os.open(path, flags, 0o600)
    except FileExistsError:
        raise click.ClickException(f"{path} already exists: choose a new file name, or give --overwrite") from None
    except OSError as error:
        if os.path.islink(path):
            raise click.ClickException(f"{path} is a symbolic link: give the real file's name") from None
        raise click.ClickException(f"cannot create {path}: {error.strerror}") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise click.ClickException(f"{path} is not a regular file")
    os.fchmod(descriptor, 0o600)  # an existing file overwritten keeps no wider mode
    return open(descriptor, "w", encoding="utf-8", newline="")


@messages_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "ndjson"]), required=True, help="Output format.")
@click.option("--output", type=click.Path(dir_okay=False), help="Write to this new file (mode 0600) instead of standard output.")
@click.option("--overwrite", is_flag=True, help="Replace the --output file if it exists (never through a symbolic link).")
@click.option("--no-bom", is_flag=True, help="CSV without the byte-order mark (Excel needs it to read UTF-8).")
@click.option("--since", help="Only messages received on or after this date (UTC), e.g. 2026-11-01.")
@click.option("--until", help="Only messages received before this date (UTC).")
@click.option("--status", type=click.Choice(storage.STATUSES), help="Only this status. Spam is exported only when asked for.")
@with_db
def export(db, fmt, output, overwrite, no_bom, since, until, status):
    """Export messages, oldest first, with their references, as CSV, JSON or NDJSON.

    CSV is UTF-8 with a byte-order mark (so Excel reads it right) and a header row, and
    any cell that a spreadsheet would run as a formula is prefixed with an apostrophe; to
    a terminal its control and invisible characters are escaped, as list shows them. JSON
    and NDJSON keep the text exactly.
    """
    since, until = parse_date(since, "--since"), parse_date(until, "--until")
    clauses, args = ["status = ?" if status else "status != 'spam'"], [status] if status else []
    if since:
        clauses.append("created_at >= ?")
        args.append(since)
    if until:
        clauses.append("created_at < ?")
        args.append(until)
    damaged = warn_if_damaged(db)
    rows = db["messages"].rows_where(
        " AND ".join(clauses), args, order_by="created_at, id", select=", ".join(storage.COLUMNS)
    )

    # A CSV read in a terminal is read by the owner: it may not move the cursor or hide text.
    to_terminal = not output and sys.stdout.isatty()
    out = open_private(output, overwrite) if output else io.TextIOWrapper(
        sys.stdout.buffer, encoding="utf-8", newline="", write_through=True
    )
    try:
        if fmt == "csv":
            if not no_bom and not to_terminal:
                out.write("\ufeff")
            writer = csv.writer(out)
            writer.writerow(storage.COLUMNS)
            for row in rows:
                cells = [csv_safe(row[c]) for c in storage.COLUMNS]
                writer.writerow([shown(c) if to_terminal and isinstance(c, str) else c for c in cells])
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
    if damaged:
        raise SystemExit(1)


def erase(db, where: str, args: list, what: str) -> None:
    """Delete rows for good and say truly where their text still is, if anywhere."""
    count, gone = storage.erase_where(db, where, args)
    if not count:
        click.echo(f"Erased nothing: no {what}.")
        return
    click.echo(f"Erased {count} message(s) ({what}).")
    path = storage.database_path(current_app)
    if gone:
        click.echo(f"Their text is gone from every file of the database ({path} and its -wal).")
    else:
        click.echo(
            f"Their text is no longer in any answer, but still in the files {path} and {path}-wal: another "
            "connection (the server's or a backup's) holds an older snapshot of the database. The running "
            "server erases it within seconds of that reader finishing, or the next flask messages command does."
        )


MARKS = {"read": "read", "unread": "new", "replied": "replied", "archived": "archived", "suspect": "suspect",
         "spam": "spam", "not_spam": "new"}


@messages_cli.command("mark")
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
    db.execute("UPDATE messages SET status = ? WHERE id = ?", [status, row["id"]])
    click.echo(f"Message {row['id']} is now {status}.")
    if chosen[0] == "spam":
        cancelled = db.execute(
            "UPDATE notifications SET status = 'cancelled', last_error = 'marked spam before it was sent'"
            " WHERE message_id = ? AND status = 'pending'", [row["id"]],
        ).rowcount
        if cancelled:
            click.echo("Its notification, not yet sent, will not be.")
    if chosen[0] == "not_spam" and storage.queue_notification(db, row["id"]):
        click.echo("Its notification is queued: " + server_sends(db))


def server_sends(db) -> str:
    channels = storage.server_info(db).get("channels")
    if channels is None:
        return "the server sends it once it runs (it has not recorded its settings in this database yet)."
    if not channels:
        return "the server has notifications off (no NOTIFY_URLS), so it waits until they are on."
    return f"the server sends it within seconds ({channels})."


@messages_cli.command("delete")
@click.argument("message", type=MessageRef())
@with_db
def delete(db, message):
    """Delete one message (MESSAGE: its ID or reference)."""
    row = get_message(db, message)
    erase(db, "id = ?", [row["id"]], f"message {row['id']}")


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
    erase(db, "created_at < ?", [cutoff], f"older than {days} days")


@messages_cli.command("forget")
@click.argument("email")
@with_db
def forget(db, email):
    """Erase every message from an e-mail address (a privacy request).

    Matches the address without regard to letter case.
    """
    # SQLite's lower() folds only ASCII; addresses may be international (Ünï@example.com).
    db.conn.create_function("py_lower", 1, str.lower, deterministic=True)
    erase(db, "py_lower(email) = ?", [email.strip().lower()], f"from {shown(email.strip())}")


# --- notifications and backups -----------------------------------------------------------

@messages_cli.command("notifications")
@click.option("--status", type=click.Choice(["pending", "sent", "failed", "cancelled"]), help="Only deliveries with this status.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="How many to show.")
@with_db
def notifications(db, status, limit):
    """Whether the server has notifications on (as it recorded at its start, whatever this
    shell's settings), and the deliveries: pending, sent, failed and cancelled, with
    attempts and the last error (passwords and tokens masked)."""
    click.echo(server_report(db))
    counts = dict(db.execute("SELECT status, count(*) FROM notifications GROUP BY status"))
    summary = " · ".join(f"{counts.get(s, 0)} {s}" for s in ("pending", "sent", "failed"))
    click.echo(summary + (f" · {counts['cancelled']} cancelled" if counts.get("cancelled") else ""))
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


def server_report(db) -> str:
    """What the server runs with, from its own record; and whether this shell differs."""
    info = storage.server_info(db)
    shell = delivery.channels(current_app)
    if "channels" not in info:
        return ("The server has not recorded its settings in this database yet (it does when it starts). "
                "This shell: " + delivery.describe(current_app))
    server = info["channels"]
    count = len(server.split(", ")) if server else 0
    state = f"on: {count} URL(s): {server}" if server else "off: it has no NOTIFY_URLS"
    report = (f"Notifications are {state}. (The server, version {info.get('version', 'unknown')}, "
              f"started {info.get('started_at', '?').replace('T', ' ')[:19]} UTC.)")
    if shell != server:
        report += (f"\nThis shell's NOTIFY_URLS differ ({shell or 'not set'}): the server's are what count; "
                   "only notify --test uses this shell's.")
    return report


@messages_cli.command("notify")
@click.option("--test", "test", is_flag=True, help="Send a test notification through every configured URL; exit 1 if any failed.")
@click.option("--retry", is_flag=True, help="Queue every failed delivery again, to be sent now.")
@click.option("--backlog", is_flag=True, help="Queue a notification for each new or suspect message that never had one "
              "(stored while notifications were off).")
def notify(test, retry, backlog):
    """Test the notification URLs (NOTIFY_URLS), retry failed deliveries, or queue the backlog."""
    if test + retry + backlog != 1:
        raise click.UsageError("give one of --test, --retry or --backlog")
    if retry:
        requeue_failed()
        return
    if backlog:
        queue_backlog()
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


@with_db
def queue_backlog(db):
    waiting = [row[0] for row in db.execute(
        "SELECT id FROM messages WHERE status IN (?, ?) AND id NOT IN (SELECT message_id FROM notifications) ORDER BY id",
        list(storage.NOTIFIED),
    )]
    queued = sum(storage.queue_notification(db, message_id) for message_id in waiting)
    click.echo(f"Queued {queued} notification(s) for messages that never had one" + (f": {server_sends(db)}" if queued else "."))


@messages_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_db
def backup(db, path):
    """Copy the database to PATH (a new file, readable by you only), safely while the server runs.

    It uses SQLite's online backup: the copy is consistent even while messages arrive.
    """
    damage = damage_warning(db)
    try:
        # Created 0600 before SQLite writes a byte: the copy holds the same personal data.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    except FileExistsError:
        raise click.ClickException(f"{path} already exists: choose a new file name") from None
    except OSError as error:
        raise click.ClickException(f"cannot create {path}: {error.strerror}") from None
    target = sqlite3.connect(path)
    try:
        db.conn.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        count = target.execute("SELECT count(*) FROM messages").fetchone()[0]
    except sqlite3.Error as error:
        target.close()
        remove_partial(path)
        # The copy's own failure (a full disk, a disk error), not the source database's permissions.
        raise click.ClickException(f"could not write the copy to {path} ({error}); nothing was left there") from None
    finally:
        target.close()
    if damage:
        raise click.ClickException(
            f"{damage}. The copy at {path} ({count} message(s) readable) is damaged as well: it is not a good backup"
        )
    click.echo(f"Copied {count} message(s) to {path}.")


def remove_partial(path: str) -> None:
    for leftover in (path, path + "-journal", path + "-wal", path + "-shm"):
        try:
            os.unlink(leftover)
        except FileNotFoundError:
            pass
