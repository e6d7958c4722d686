"""What the owner is told of a message, and sending it through Apprise.

The configured URLs (NOTIFY_URLS) become Targets; only a URL's scheme and
position are ever shown, and whatever a service answers is masked of every
part of a URL that may be a secret. The sender's words reach the owner as
plain text: no mention, tag, link or encoded word a chat service or mail
client would act on. Nothing here touches the database: the outbox
(outbox.py) says what is due, the loop (delivery.py) sends it with these.
"""

import functools
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import apprise
from email_validator import EmailNotValidError, validate_email
from flask import Flask

from ..config import ConfigError
from ..site import site_of
from .forms import escape_invisible

# Apprise logs to its own logger; what it says may hold a URL with its secrets.
# It goes nowhere but into the captures below, which are masked before use.
logging.getLogger("apprise").propagate = False
logging.getLogger("apprise").addHandler(logging.NullHandler())

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


# --- what the owner receives -----------------------------------------------------------

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
    host = urlsplit(site_of(app).url).hostname if app else None
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

