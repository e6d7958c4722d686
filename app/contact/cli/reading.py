"""`flask messages list` and `show`: reading the messages in a terminal."""

import shutil
import unicodedata

import click

from .. import notify, outbox, storage
from ..times import iso_utc
from .common import command, MessageRef, get_message, shown, status_filter, use_folding, warn_if_damaged, with_db


def one_line(text: str, width: int) -> str:
    # Cut at the width, not at a word: a long address or link must still show its start, not a bare "…".
    # Measured in terminal columns: a wide character (中, ＠) takes two.
    text = shown(" ".join(text.split()))
    if columns(text) <= width:
        return text
    kept, used = [], 1
    for char in text:
        used += columns(char)
        if used > width:
            break
        kept.append(char)
    return "".join(kept) + "…"


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def unread_summary(db) -> str:
    counts = dict(db.execute("SELECT status, count(*) FROM messages WHERE status IN ('new', 'suspect') GROUP BY status"))
    summary = f"{counts.get('new', 0)} unread"
    if counts.get("suspect"):
        summary += f", {counts['suspect']} suspect (marked ?: sent faster than a person types; check, then mark)"
    return summary + "."


def terminal_width() -> int:
    return max(60, shutil.get_terminal_size((80, 24)).columns)


HIDDEN_BY_DEFAULT = ("spam", "archived")


@command("list")
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
    clause, args = status_filter(status, HIDDEN_BY_DEFAULT)
    clauses = [clause]
    if search:
        use_folding(db)
        clauses.append(
            "instr(py_lower(name || char(10) || email || char(10) || company || char(10) || message), ?) > 0"
        )
        args.append(search.lower())
    where = " AND ".join(clauses)
    trouble = outbox.trouble_summary(db)
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
    notification = next(db["notifications"].rows_where("message_id = ?", [message["id"]]), None)
    if notification is None:
        if message["status"] == "spam":
            return ["never: it was stored as spam (mark --not-spam queues its notification)"]
        return ["never: notifications were off when it arrived (flask messages notify --backlog queues it)"]
    lines = []
    for channel in db["deliveries"].rows_where("notification_id = ?", [notification["id"]], order_by="channel"):
        if channel["sent_at"]:
            lines.append(f"{channel['channel']}: sent {channel['sent_at']}")
        else:
            lines.append(f"{channel['channel']}: not yet: {shown(channel['last_error'])}")
    state = notification["status"]
    if state == "pending":
        lines.append(f"{'waiting' if not notification['attempts'] else 'retried'} at {iso_utc(notification['due_at'])}")
    elif state == "failed":
        lines.append("failed for good after 24 hours (flask messages notify --retry queues it again)")
    elif state == "cancelled":
        lines.append(f"not sent: {shown(notification['last_error'])}")
    elif not lines:
        lines.append("sent")  # before per-channel records (schema version 4)
    return lines


@command("show")
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
    reply = notify.reply_address(row["email"])
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
        db["messages"].update(row["id"], {"status": status})
