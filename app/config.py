"""Settings, read from the environment once at start-up, and only here.

Every entry point reads its settings through this module: the app
(create_app, and so the `flask` command line), the app server (server.py)
and the production stack (deploy/stack.py, deploy/tls.py). Every variable
is checked the same way: a value that cannot work stops start-up with a
ConfigError naming the variable, the value and what was expected
("WORKERS='two': expected a whole number"), never a ValueError from deep
inside, and never a value pasted unchecked into nginx's configuration.

DEFAULTS lists every setting; the README's Configuration table documents
each one, with the same default (tests/test_readme.py keeps them in step).
An empty variable counts as unset.
"""

import ipaddress
import os
import re
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from . import files

ROOT = Path(__file__).resolve().parent.parent
RATE_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}

# Every setting, with its default as it would be written in the environment;
# None: unset, or worked out when read (said in the README's table).
DEFAULTS: dict[str, str | None] = {
    # The app (create_app)
    "APP_ENV": "development",
    "SITE_URL": None,
    "CONTENT_DIR": None,  # data/ in the checkout
    "DATABASE_PATH": None,  # instance/messages.db
    "SECRET_KEY": None,
    "CONTACT_MIN_SECONDS": "3",
    "CONTACT_RATE_LIMIT": "5 per hour",
    "TRUSTED_PROXIES": "0",
    "NOTIFY_URLS": None,
    "NOTIFY_RETRY_SECONDS": "60",
    "NOTIFY_LEASE_SECONDS": "120",
    "APP_VERSION": None,  # the checkout's commit
    # The app server (server.py)
    "HOST": "127.0.0.1",
    "PORT": "8000",
    "WORKERS": None,  # one per CPU this process may use
    "SOCKET": None,
    "SOCKET_MODE": "600",
    # The production stack (deploy/stack.py, deploy/tls.py)
    "HTTPS_PORT": "443",
    "PROXY_CACHE": "pages",
    "NGINX": None,  # nginx on the PATH
    "TLS": "off",
    "TLS_CERT": None,
    "TLS_KEY": None,
    "STATE_DIR": None,  # $XDG_STATE_HOME/portfolio
    "XDG_STATE_HOME": None,  # ~/.local/state
    "TLS_RENEW_DAYS": "30",
    "ACME_DIRECTORY": "https://acme-v02.api.letsencrypt.org/directory",
    "ACME_EMAIL": None,
    "ACME_CA_BUNDLE": None,
    "CERTBOT": None,  # certbot beside this Python
}

# Bounds. Timings below their minimum would turn a loop into a busy poll or a
# lease into no lease at all; the maximums catch a unit mistaken (minutes for seconds).
WORKERS_MAX = 256
CONTACT_MIN_SECONDS_MAX = 3600
TRUSTED_PROXIES_MAX = 10
NOTIFY_RETRY_SECONDS_RANGE = (1, 6 * 3600)  # its doubling stops at six hours (app/contact/outbox.py)
NOTIFY_LEASE_SECONDS_RANGE = (1, 3600)
TLS_RENEW_DAYS_RANGE = (1, 3650)  # below a day, the certificate could run out before it is renewed


class ConfigError(Exception):
    """A setting the app cannot start with; the message says which and why."""


def read(environ, name: str) -> str | None:
    """The variable's value, or its default when it is unset or empty."""
    return environ.get(name) or DEFAULTS[name]


# --- checking one value ----------------------------------------------------------------

def parse_int(name: str, value: str, minimum: int = 0, maximum: int | None = None) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: expected a whole number") from None
    if number < minimum:
        raise ConfigError(f"{name}={value!r}: must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{name}={value!r}: must be at most {maximum}")
    return number


def parse_port(name: str, value: str) -> int:
    return parse_int(name, value, 1, 65535)


def parse_seconds(name: str, value: str, bounds: tuple[float, float], unit: str = "seconds") -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: expected a number of {unit}") from None
    minimum, maximum = bounds
    if not minimum <= number <= maximum:  # also refuses nan and inf: a lease must run out
        raise ConfigError(f"{name}={value!r}: must be from {minimum:g} to {maximum:g} {unit}")
    return number


# A host name as DNS allows it: dot-separated labels of letters, digits and inner hyphens.
HOST_NAME = re.compile(r"(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*", re.I)


def parse_host(name: str, value: str) -> str:
    """An IP address or a host name; nothing else reaches nginx's configuration."""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        if HOST_NAME.fullmatch(value):
            return value
    raise ConfigError(f"{name}={value!r}: expected an IP address or a host name, for example 127.0.0.1, 0.0.0.0 or ::")


def parse_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(f"{name}={value!r}: expected {', '.join(choices[:-1])} or {choices[-1]}")
    return value


def parse_mode(name: str, value: str) -> int:
    """File permissions in octal, as chmod takes them: 600, 0660."""
    if not re.fullmatch(r"0?[0-7]{3}", value):
        raise ConfigError(f"{name}={value!r}: expected file permissions in octal, for example 600")
    return int(value, 8)


def parse_rate_limit(value: str) -> tuple[int, int] | None:
    """ "5 per hour" -> (5, 3600); "off" -> None."""
    if value.strip().lower() == "off":
        return None
    match = re.fullmatch(r"\s*(\d+)\s*(?:per|/)\s*(second|minute|hour|day)s?\s*", value.lower())
    if not match or int(match.group(1)) < 1:
        raise ConfigError(f"CONTACT_RATE_LIMIT={value!r}: expected something like '5 per hour', or 'off'")
    return int(match.group(1)), RATE_UNITS[match.group(2)]


# --- the app ---------------------------------------------------------------------------

def from_environment(environ=os.environ) -> dict:
    """The app's settings, as create_app puts them in app.config."""
    return {
        "APP_ENV": parse_choice("APP_ENV", read(environ, "APP_ENV"), ("development", "production")),
        "SECRET_KEY": read(environ, "SECRET_KEY"),
        "CONTENT_DIR": read(environ, "CONTENT_DIR") or str(ROOT / "data"),
        "SITE_URL": (read(environ, "SITE_URL") or "").rstrip("/"),
        "DATABASE_PATH": read(environ, "DATABASE_PATH"),
        "CONTACT_MIN_SECONDS": parse_int("CONTACT_MIN_SECONDS", read(environ, "CONTACT_MIN_SECONDS"),
                                         0, CONTACT_MIN_SECONDS_MAX),
        "CONTACT_RATE_LIMIT": parse_rate_limit(read(environ, "CONTACT_RATE_LIMIT")),
        "TRUSTED_PROXIES": parse_int("TRUSTED_PROXIES", read(environ, "TRUSTED_PROXIES"), 0, TRUSTED_PROXIES_MAX),
        # Where the owner hears of each message (Apprise URLs), and how delivery retries.
        "NOTIFY_URLS": read(environ, "NOTIFY_URLS") or "",
        "NOTIFY_RETRY_SECONDS": parse_seconds("NOTIFY_RETRY_SECONDS", read(environ, "NOTIFY_RETRY_SECONDS"),
                                              NOTIFY_RETRY_SECONDS_RANGE),
        "NOTIFY_LEASE_SECONDS": parse_seconds("NOTIFY_LEASE_SECONDS", read(environ, "NOTIFY_LEASE_SECONDS"),
                                              NOTIFY_LEASE_SECONDS_RANGE),
        # A body over 64 KB is refused with 413: one that says its length, before it is
        # read; a chunked one, which cannot, once 64 KB and one byte of it are (app/request_bodies.py).
        "MAX_CONTENT_LENGTH": 64 * 1024,
        # A contact page left open for hours must still send: tokens last a week.
        "WTF_CSRF_TIME_LIMIT": 7 * 24 * 3600,
    }


def app_version(environ=os.environ) -> str | None:
    """APP_VERSION, when the deployment names the version it runs."""
    return read(environ, "APP_VERSION")


def resolve_site_url(config: dict, content_url: str) -> str:
    """The public address: SITE_URL, else the content's identity.url.

    Production refuses to start without an absolute http(s) address: canonical
    links, Open Graph and the sitemap would otherwise name a loopback address.
    """
    url = config["SITE_URL"] or content_url.rstrip("/")
    if not url and config["APP_ENV"] != "production":
        return "http://127.0.0.1:5000"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"SITE_URL={url!r}: expected the site's absolute public address, for example SITE_URL=https://example.com"
            if url else "SITE_URL is not set. In production it must be the public address, for example SITE_URL=https://example.com"
        )
    return url


def ensure_secret_key(config: dict, instance_path: Path) -> None:
    """Production must be given SECRET_KEY; development makes one once and keeps it."""
    if config.get("SECRET_KEY"):
        return
    if config["APP_ENV"] == "production":
        raise ConfigError(
            "SECRET_KEY is not set. In production it must be: for example "
            "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
        )
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)  # it holds the key and, by default, the messages
        draft = instance_path / f".secret_key.{os.getpid()}"
        with os.fdopen(files.open_private(draft, overwrite=True), "w") as out:
            out.write(secrets.token_hex(32))
        try:
            # link() is atomic and refuses to replace: processes starting together agree on one key.
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    config["SECRET_KEY"] = path.read_text().strip()


def default_database_path(environ=os.environ) -> Path:
    return Path(read(environ, "DATABASE_PATH") or ROOT / "instance" / "messages.db")


# --- the app server (server.py) --------------------------------------------------------

def cpu_count() -> int:
    # The CPUs this process may use (a container's limit), not all the machine has.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class Server:
    """Where granian listens, and how many workers it runs."""

    host: str
    port: int
    workers: int
    socket: Path | None  # a unix socket instead of host:port (behind nginx)
    socket_mode: int


def server_settings(environ=os.environ) -> Server:
    socket = read(environ, "SOCKET")
    return Server(
        host=parse_host("HOST", read(environ, "HOST")),
        port=parse_port("PORT", read(environ, "PORT")),
        workers=parse_int("WORKERS", read(environ, "WORKERS") or str(cpu_count()), 1, WORKERS_MAX),
        socket=Path(socket) if socket else None,
        socket_mode=parse_mode("SOCKET_MODE", read(environ, "SOCKET_MODE")),
    )


# --- the production stack (deploy/stack.py, deploy/tls.py) -----------------------------

@dataclass(frozen=True)
class Tls:
    """How the stack serves HTTPS (deploy/tls.py)."""

    mode: str  # off, acme or files
    site_url: str
    certificate: Path | None  # TLS=files
    key: Path | None
    state_dir: Path  # TLS=acme: certbot's account, keys and certificates
    renew_days: float
    acme_directory: str
    acme_email: str
    acme_ca_bundle: str
    certbot: str


@dataclass(frozen=True)
class Stack:
    """nginx in front of granian (deploy/stack.py); granian's own settings are server_settings'."""

    host: str
    port: int
    https_port: int
    proxy_cache: str  # the nginx cache zone's name, or off
    nginx: str
    tls: Tls


def tls_settings(environ=os.environ) -> Tls:
    mode = parse_choice("TLS", read(environ, "TLS"), ("off", "acme", "files"))
    site_url = (read(environ, "SITE_URL") or "").rstrip("/")
    if mode != "off" and not site_url.startswith("https://"):
        raise ConfigError(f"TLS={mode} needs SITE_URL=https://your-domain (the redirects' target and the certificate's name)")
    certificate, key = read(environ, "TLS_CERT"), read(environ, "TLS_KEY")
    missing = [name for name, value in (("TLS_CERT", certificate), ("TLS_KEY", key)) if not value]
    if mode == "files" and missing:
        raise ConfigError(f"TLS=files needs {' and '.join(missing)}: the certificate's chain and its key")
    state_home = read(environ, "XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Tls(
        mode=mode,
        site_url=site_url,
        certificate=Path(certificate) if certificate else None,
        key=Path(key) if key else None,
        state_dir=Path(read(environ, "STATE_DIR") or Path(state_home) / "portfolio"),
        renew_days=parse_seconds("TLS_RENEW_DAYS", read(environ, "TLS_RENEW_DAYS"), TLS_RENEW_DAYS_RANGE, "days"),
        acme_directory=read(environ, "ACME_DIRECTORY"),
        acme_email=read(environ, "ACME_EMAIL") or "",
        acme_ca_bundle=read(environ, "ACME_CA_BUNDLE") or "",
        certbot=read(environ, "CERTBOT") or str(Path(sys.executable).with_name("certbot")),
    )


def stack_settings(environ=os.environ) -> Stack:
    return Stack(
        host=parse_host("HOST", read(environ, "HOST")),
        port=parse_port("PORT", read(environ, "PORT")),
        https_port=parse_port("HTTPS_PORT", read(environ, "HTTPS_PORT")),
        proxy_cache=parse_choice("PROXY_CACHE", read(environ, "PROXY_CACHE"), ("pages", "off")),
        nginx=read(environ, "NGINX") or shutil.which("nginx") or "/usr/sbin/nginx",
        tls=tls_settings(environ),
    )


# --- facts about how this process was started ------------------------------------------
# Not settings: a launcher sets these for the processes it starts.

# The message store was checked, and any problem logged once, before granian's
# workers started (server.py), so each worker need not say it again.
MESSAGE_STORE_CHECKED = "MESSAGE_STORE_CHECKED"


def message_store_checked(environ=os.environ) -> bool:
    return bool(environ.get(MESSAGE_STORE_CHECKED))


def mark_message_store_checked(environ=os.environ) -> None:
    environ[MESSAGE_STORE_CHECKED] = "1"  # inherited by the workers granian starts next


def started_by_flask_cli(environ=os.environ) -> bool:
    """Flask's command line sets FLASK_RUN_FROM_CLI; the production server does not."""
    return environ.get("FLASK_RUN_FROM_CLI") == "true"
