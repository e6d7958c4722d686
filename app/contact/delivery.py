"""Telling the owner of each message: e-mail, chat or webhook, through Apprise.

How a notification travels (the README's "Getting messages" says it for the owner):

1. ``storage.store_message`` writes the message and a row in ``notifications``
   in one transaction: a stored message always has its notification queued.
   The visitor's request then only wakes this process's delivery loop.
2. Each server process runs one delivery loop, a daemon thread. It claims one
   due row at a time with a lease (a single ``UPDATE ... RETURNING``, so of N
   processes exactly one gets it), sends it through every configured URL and
   marks it sent, or schedules a retry: about 1 minute, doubling, at most
   6 hours apart; after 24 hours it is marked failed.
3. A process killed mid-send never releases its lease: when the lease runs out
   another process sends again. So a crash may send twice, never zero times.
   A worker whose send outlives its lease (a slow server, not a crash) renews
   the lease before each URL and stops once another worker holds it: its late
   writes are refused (they name its lease: worker and attempt), never undo the
   other's.

A slow or silent mail server holds only this thread, never a worker's request.
"""

import functools
import hashlib
import hmac
import logging
import os
import re
import socket
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import apprise
import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask

from ..config import ROOT, ConfigError, app_version
from . import storage
from .forms import escape_invisible

log = logging.getLogger(__name__)

# Apprise logs to its own logger; what it says may hold a URL with its secrets.
# It goes nowhere but into the captures below, which are masked before use.
logging.getLogger("apprise").propagate = False
logging.getLogger("apprise").addHandler(logging.NullHandler())

RETRY_CAP_SECONDS = 6 * 3600
GIVE_UP_AFTER_SECONDS = 24 * 3600
LONGEST_POLL_SECONDS = 5.0

# Where NOTIFY_URLS splits: whitespace, or a comma before the next scheme
# (a comma inside a URL, as in to=a@x.com,b@x.com, stays in it).
URL_SEPARATOR = re.compile(r"\s+|,\s*(?=[A-Za-z][A-Za-z0-9+.-]*://)")
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# What chat services and Markdown would turn into something other than text:
# @everyone/@here/@channel mentions, Slack's <!channel> and <@U123>, HTML tags,
# Markdown links and images, inline ([text](url), ![alt](url)) and by reference
# ([text][1], ![alt][1], and the definition [1]: url), and RFC 2047 encoded words
# (=?utf-8?q?...?=) a mail client would decode in a header. A zero-width space
# breaks each one and leaves what the owner reads unchanged. Fullwidth and small
# commercial at (＠, ﹫) mention too in some chat services.
MENTION = re.compile(r"(?<![\w.+-])[@\uff20\ufe6b](?=\w)")
ANGLE = re.compile(r"<(?=\S)")
LINK = re.compile(r"\](?=[(\[:])")
ENCODED_WORD_START = re.compile(r"=(?=\?[^?\s]+\?[bBqQ]\?)")
ZERO_WIDTH_SPACE = "\u200b"
# Mail clients leave out what follows this line ("-- ", with its space) when quoting a reply.
SIGNATURE_LINE = "-- "


@dataclass(frozen=True)
class Target:
    """One configured Apprise URL. Only its scheme is ever shown."""

    url: str = field(repr=False)
    scheme: str
    position: int

    def key(self, salt: str) -> str:
        """Names the URL in delivered_to without storing it: a retry skips a URL that
        already has it. Salted with the database's own random salt, so the record
        outlives a SECRET_KEY rotation, and stretched (PBKDF2), so a copy of the
        database is no quick way to guess a URL's secret part (an ntfy topic is short)."""
        return url_key(self.url, salt)

    def legacy_key(self, secret: str) -> str:
        """The name records written before the salt (schema version 3) gave this URL."""
        return hmac.new(secret.encode(), self.url.encode(), hashlib.sha256).hexdigest()[:16]

    @property
    def label(self) -> str:
        return f"{self.position}. {self.scheme}"

    def url_replying_to(self, address: str | None) -> str:
        """For e-mail, the sender's address as Reply-To, so the owner answers from their mail client."""
        if not address or self.scheme not in ("mailto", "mailtos"):
            return self.url
        separator = "&" if "?" in self.url else "?"
        return f"{self.url}{separator}reply={quote(address, safe='')}"


@functools.lru_cache(maxsize=64)
def url_key(url: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", url.encode(), bytes.fromhex(salt), 100_000).hex()[:16]


def parse_targets(value: str | None) -> list[Target]:
    """The URLs in NOTIFY_URLS; a URL Apprise cannot use is named by position and scheme only."""
    entries = [entry.strip(",") for entry in URL_SEPARATOR.split(value or "") if entry.strip(",")]
    targets, problems = [], []
    for position, url in enumerate(entries, start=1):
        scheme = SCHEME.match(url)
        if not scheme:
            problems.append(f"URL {position} has no scheme (it should start like mailtos:// or ntfy://)")
            continue
        with apprise.LogCapture(level=logging.DEBUG):  # swallow Apprise's own words about it
            understood = apprise.Apprise.instantiate(url)
        if understood is None:
            problems.append(f"URL {position} ({scheme.group(1).lower()}://...) is not one Apprise can use")
            continue
        targets.append(Target(url, scheme.group(1).lower(), position))
    if problems:
        raise ConfigError("NOTIFY_URLS: " + "; ".join(problems) + ". See the README, \"Getting messages\".")
    return targets


# Query parameters that hold addresses or settings, not secrets.
PUBLIC_PARAMETERS = {"to", "from", "cc", "bcc", "reply", "smtp", "mode", "format", "name"}


def secrets_in(url: str) -> set[str]:
    """Every part of a URL that may be a password, token or private topic."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    places = [parts.netloc, parts.path, parts.fragment]
    places += [value for key, value in parse_qsl(parts.query) if key.lower() not in PUBLIC_PARAMETERS]
    pieces = {piece for place in places for piece in re.split(r"[:/@,;]+", place)}
    if "." in host:
        pieces.discard(host)  # a server's name helps read an error; a token has no dots
    found = {piece for piece in pieces if len(piece) >= 4}
    return found | {unquote(piece) for piece in found}


def masked(text: str, targets: list[Target]) -> str:
    for secret in sorted(set().union(*(secrets_in(t.url) for t in targets)), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


# --- what the owner receives ---------------------------------------------------------

def as_plain_text(text: str, one_line: bool = False) -> str:
    """The sender's words as text and nothing else: no control character, no
    header break, no mention, tag or link markup."""
    text = escape_invisible(text, keep="" if one_line else "\n\t")
    text = MENTION.sub(lambda m: m.group() + ZERO_WIDTH_SPACE, text)
    text = ANGLE.sub("<" + ZERO_WIDTH_SPACE, text)
    text = ENCODED_WORD_START.sub("=" + ZERO_WIDTH_SPACE, text)
    return LINK.sub("]" + ZERO_WIDTH_SPACE, text)


def reply_address(address: str) -> str | None:
    """The sender's address as every mail server takes it (the domain in IDNA, xn--...),
    or None when it cannot be written so (letters such as ë before the @ need SMTPUTF8)."""
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.ascii_email


def site_name(app: Flask | None) -> str:
    host = urlsplit(app.config.get("SITE_URL") or "").hostname if app else None
    return host or "your site"


def compose(message: dict, app: Flask | None = None, earlier_failures: int = 0) -> tuple[str, str]:
    """The title and plain-text body of the notification for one stored message.

    The title reads well after "Re: " (the sender's name and the site), and what is for
    the owner alone (the server command, delivery trouble) comes below the signature
    line, which mail clients leave out of a reply.
    """
    name = as_plain_text(message["name"], one_line=True)
    company = as_plain_text(message["company"], one_line=True)
    title = name + (f" ({company})" if company else "") + f" · message on {site_name(app)}"
    if message["status"] == "suspect":
        title += " (possible spam)"
    reference = message["reference"]
    address = escape_invisible(message["email"])  # as the sender wrote it: never altered
    reply = reply_address(message["email"])
    if reply is None:
        reply_line = ("Reply to:  none possible: mail servers may refuse the letters before the @ "
                      "(a reply needs a mail service with SMTPUTF8)")
    else:
        reply_line = f"Reply to:  {reply}"
    lines = [
        as_plain_text(message["message"]),
        "",
        f"From:      {name} <{address}>",
        reply_line,
        f"Company:   {company or '(not given)'}",
        f"Received:  {message['created_at']} (UTC)",
        f"Reference: {reference}",
        SIGNATURE_LINE,
        f"On the server: flask messages show {reference}",
    ]
    if message["status"] == "suspect":
        lines.append("It was sent faster than a person usually types, so it may be spam.")
    if earlier_failures:
        lines.append(
            f"{earlier_failures} earlier notification{'s' if earlier_failures != 1 else ''} failed "
            "and may not have reached you: run flask messages notifications"
        )
    return title, "\n".join(lines)


def send(target: Target, title: str, body: str, reply_to: str | None, targets: list[Target]) -> str | None:
    """Send through one URL: None when it went, else what went wrong (secrets masked)."""
    detail = None
    with apprise.LogCapture(level=logging.WARNING) as captured:
        try:
            service = apprise.Apprise.instantiate(target.url_replying_to(reply_to))
            sent = service is not None and bool(service.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT))
        except Exception as error:  # a plugin's bug must not stop the loop
            sent, detail = False, f"{type(error).__name__}: {error}"
        said = captured.getvalue()
    if sent:
        return None
    if detail is None:
        lines = [line.split(" - ", 2)[-1] for line in said.splitlines() if line.strip()]
        detail = " ".join(lines[-2:]) or "the service refused it"
    return masked(escape_invisible(detail), targets)


# --- the outbox ------------------------------------------------------------------------

def enabled(app: Flask) -> bool:
    return bool(app.extensions.get("notify_targets"))


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


def record_channel(db, notification_id: int, target: Target, error: str | None) -> None:
    """When this channel had the notification, or why it has not (yet)."""
    now = storage.now_utc()
    db.execute(
        "INSERT INTO deliveries (notification_id, channel, sent_at, last_error, tried_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (notification_id, channel) DO UPDATE SET sent_at = coalesce(deliveries.sent_at, excluded.sent_at),"
        " last_error = excluded.last_error, tried_at = excluded.tried_at",
        [notification_id, target.label, now if error is None else None, error, now],
    )


FAILING = "(status = 'failed' OR (status = 'pending' AND last_error IS NOT NULL))"


def failing(db, besides: int | None = None) -> int:
    """How many notifications have failed at least their last attempt (failed for good, or to be retried)."""
    return db.execute(f"SELECT count(*) FROM notifications WHERE {FAILING} AND id IS NOT ?", [besides]).fetchone()[0]


def deliver(db, notification: dict, targets: list[Target], app: Flask, worker: str) -> str:
    """Send one claimed notification through every URL that has not had it; record the outcome."""
    message = next(db["messages"].rows_where("id = ?", [notification["message_id"]]), None)
    if message is None:
        return "gone"  # deleted meanwhile (its row went with it)
    if message["status"] == "spam":  # marked spam while it waited its turn
        db.execute(
            "UPDATE notifications SET status = 'cancelled', lease_until = NULL, last_error = ?"
            " WHERE id = ? AND leased_by = ? AND attempts = ?",
            ["marked spam before it was sent", notification["id"], worker, notification["attempts"]],
        )
        return "cancelled"
    title, body = compose(message, app, failing(db, besides=notification["id"]))
    reply = reply_address(message["email"])
    salt = storage.server_info(db)["url_key_salt"]
    done = notification["delivered_to"].split()
    errors = []
    for target in targets:
        key = target.key(salt)
        if key in done or target.legacy_key(app.config["SECRET_KEY"]) in done:
            continue
        # A send that outlived the lease (a slow mail server, not a crash) stops here:
        # the worker that took the row over sends the rest and records the outcome.
        if not renew(db, notification, worker, app.config["NOTIFY_LEASE_SECONDS"]):
            return "lost"
        error = send(target, title, body, reply, targets)
        if error is None:
            done.append(key)
            # Recorded at once, added to what is there (another worker may have added
            # too): a crash after this never sends to this URL again.
            db.execute(
                "UPDATE notifications SET delivered_to = trim(delivered_to || ' ' || ?) WHERE id = ?"
                " AND instr(' ' || delivered_to || ' ', ' ' || ? || ' ') = 0",
                [key, notification["id"], key],
            )
        else:
            errors.append(f"{target.label}: {error}")
        record_channel(db, notification["id"], target, error)  # for show: after the record that stops a resend
    mine = "WHERE id = ? AND leased_by = ? AND attempts = ?"
    owner = [notification["id"], worker, notification["attempts"]]
    now = time.time()
    if not errors:
        db.execute(
            f"UPDATE notifications SET status = 'sent', sent_at = ?, lease_until = NULL, last_error = NULL {mine}",
            [storage.now_utc(), *owner],
        )
        return "sent"
    given_up = now - notification["queued_at"] >= GIVE_UP_AFTER_SECONDS
    recorded = db.execute(
        f"UPDATE notifications SET status = ?, due_at = ?, lease_until = NULL, last_error = ? {mine}",
        [
            "failed" if given_up else "pending",
            now + retry_delay(notification["attempts"], app.config["NOTIFY_RETRY_SECONDS"]),
            "; ".join(errors),
            *owner,
        ],
    ).rowcount
    if not recorded:
        return "lost"
    log.warning(
        "notification for message %s %s: %s",
        notification["message_id"], "failed for good" if given_up else "will be retried", "; ".join(errors),
    )
    return "failed" if given_up else "retry"


def deliver_due(app: Flask, db, worker: str | None = None) -> int:
    """Deliver every notification due now; how many were tried."""
    targets = app.extensions.get("notify_targets") or []
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    tried = 0
    while targets and (notification := claim(db, app.config["NOTIFY_LEASE_SECONDS"], worker)):
        deliver(db, notification, targets, app, worker)
        tried += 1
    return tried


class DeliveryLoop(threading.Thread):
    """This process's sender: wakes when a message is stored here, and polls for
    retries and for what other processes left behind."""

    def __init__(self, app: Flask):
        super().__init__(name="notification-delivery", daemon=True)
        self.app = app
        self.pid = os.getpid()
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.poll_seconds = min(LONGEST_POLL_SECONDS, app.config["NOTIFY_RETRY_SECONDS"] / 2)

    def run(self):
        db = None
        while not self.stopping.is_set():
            try:
                if db is None:
                    if not self.app.extensions.get("database_ready"):
                        storage.create_database(self.app)  # private file, current schema, as a request would
                    db = storage.connect(storage.database_path(self.app))
                    # A lost "sent" mark after a power cut means one more e-mail, not a lost
                    # message: the loop's writes need not wait for fsync as a visitor's do.
                    db.execute("PRAGMA synchronous = NORMAL")
                self.wakeup.clear()  # before delivering: a wake-up that comes meanwhile is kept
                deliver_due(self.app, db)
                storage.finish_erasure(db)
            except (sqlite3.Error, OSError) as error:
                # The store is down (full disk, corrupt file): said once per change of state, as
                # requests say it, not a traceback per poll; the loop tries again at the next one.
                storage.report(self.app, storage.problem_with(error))
                if db is not None:
                    db.conn.close()
                    db = None
            except Exception:
                log.exception("notification delivery stopped for a moment; it goes on at the next poll")
                if db is not None:
                    db.conn.close()
                    db = None
            self.wakeup.wait(self.poll_seconds)
        if db is not None:
            db.conn.close()

    def stop(self, timeout: float = 5.0):
        self.stopping.set()
        self.wakeup.set()
        self.join(timeout)


_starting = threading.Lock()


def ensure_running(app: Flask) -> None:
    """Start this process's delivery loop (again, in a forked worker). It runs with
    notifications off too: it also finishes erasures a reader held up (storage.finish_erasure)."""
    if not app.config["NOTIFY_IN_BACKGROUND"]:
        return
    loop = app.extensions.get("delivery_loop")
    if loop is not None and loop.pid == os.getpid() and loop.is_alive():
        return
    with _starting:
        loop = app.extensions.get("delivery_loop")
        if loop is None or loop.pid != os.getpid() or not loop.is_alive():
            loop = app.extensions["delivery_loop"] = DeliveryLoop(app)
            loop.start()


def wake(app: Flask) -> None:
    loop = app.extensions.get("delivery_loop")
    if loop is not None:
        loop.wakeup.set()


def stop(app: Flask) -> None:
    loop = app.extensions.pop("delivery_loop", None)
    if loop is not None:
        loop.stop()


def describe(app: Flask) -> str:
    targets = app.extensions.get("notify_targets") or []
    if not targets:
        return "Notifications are off: NOTIFY_URLS is not set, so messages only wait in the database."
    return f"Notifications are on: {len(targets)} URL(s): " + ", ".join(t.label for t in targets) + "."


def channels(app: Flask) -> str:
    """The channels by position and scheme, never a URL: what the server records it runs with."""
    return ", ".join(t.label for t in app.extensions.get("notify_targets") or [])


@functools.cache
def version() -> str:
    """APP_VERSION if the deployment sets it, else the checkout's commit, else "unknown"."""
    if app_version():
        return app_version()
    try:
        found = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else "unknown"


def trouble(db) -> dict:
    """Notifications whose last attempt failed: still retried ("failing"), or given up ("failed")."""
    failing_count, next_try = db.execute(
        "SELECT count(*), min(due_at) FROM notifications WHERE status = 'pending' AND last_error IS NOT NULL"
    ).fetchone()
    failed = db.execute("SELECT count(*) FROM notifications WHERE status = 'failed'").fetchone()[0]
    return {"failing": failing_count, "failed": failed, "next_try": storage.iso_utc(next_try) if next_try else None}


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


def announce(app: Flask) -> None:
    """At a server's start: record what it runs with, for the owner's CLI, and log failing notifications."""
    if not app.extensions.get("database_ready"):
        return  # the store's problem is already said (storage.init_app); the site serves without it
    try:
        db = storage.connect(storage.database_path(app))
    except (sqlite3.Error, OSError) as error:
        storage.report(app, storage.problem_with(error))
        return
    try:
        record(app, db)
    except sqlite3.Error:
        # The site serves without this record; the owner's CLI then says the server has not recorded it.
        log.warning("could not record the server's settings for flask messages", exc_info=True)
    finally:
        db.conn.close()


def record(app: Flask, db) -> None:
    storage.record_server_info(db, {
        "channels": channels(app),
        "started_at": storage.now_utc(),
        "version": version(),
        "database": str(storage.database_path(app)),
    })
    if summary := trouble_summary(db):
        log.warning("%s", summary)


def init_app(app: Flask) -> None:
    # The NOTIFY_* settings come from app/config.py; tests turn the background loop off.
    app.config.setdefault("NOTIFY_IN_BACKGROUND", True)
    try:
        app.extensions["notify_targets"] = parse_targets(app.config["NOTIFY_URLS"])
    except ConfigError as error:
        if app.config["APP_ENV"] == "production":
            raise
        log.error("%s Notifications are off until it is fixed.", error)
        app.extensions["notify_targets"] = []
    # Forked workers start their own loop on their first request.
    app.before_request(lambda: ensure_running(app))
    if click.get_current_context(silent=True) is None:  # a server, not `flask messages ...`
        log.info(describe(app))
        announce(app)
        ensure_running(app)
