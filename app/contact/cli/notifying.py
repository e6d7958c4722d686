"""`flask messages notifications` and `notify`: whether the owner hears of messages, and
what to do when notifications failed."""

import click
from flask import current_app

from .. import delivery, notify as notices, outbox, storage
from ..times import iso_utc
from .common import command, shown, with_db


@command("notifications")
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
    targets = delivery.notifier(current_app).targets
    for message_id, reference, state, attempts, due_at, sent_at, error in rows:
        when = sent_at if state == "sent" else iso_utc(due_at) if state == "pending" else ""
        error = notices.masked(shown(error), targets) if error else ""
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


@command("notify")
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
    targets = delivery.notifier(current_app).targets
    if not targets:
        raise click.ClickException("NOTIFY_URLS is not set: there is nothing to test. See the README, \"Getting messages\".")
    title = "Test notification from your portfolio site"
    body = "If you can read this, messages sent through the contact form will reach you here."
    failed = 0
    for target in targets:
        error = notices.send(target, title, body, None, targets)
        click.echo(f"{target.label}: " + ("sent" if error is None else f"FAILED: {error}"))
        failed += error is not None
    if failed:
        raise SystemExit(1)

def server_sends(db) -> str:
    channels = storage.server_info(db).get("channels")
    if channels is None:
        return "the server sends it once it runs (it has not recorded its settings in this database yet)."
    if not channels:
        return "the server has notifications off (no NOTIFY_URLS), so it waits until they are on."
    return f"the server sends it within seconds ({channels})."


@with_db
def requeue_failed(db):
    count = outbox.requeue_failed(db)
    click.echo(f"Queued {count} failed notification(s) again; the server sends them within seconds.")


@with_db
def queue_backlog(db):
    queued = sum(outbox.queue_again(db, message_id) for message_id in outbox.never_notified(db, storage.NOTIFIED))
    click.echo(f"Queued {queued} notification(s) for messages that never had one" + (f": {server_sends(db)}" if queued else "."))

