"""Settings, read from the environment once at start-up.

Every variable is listed, with its default, in the README's Configuration section.
"""

import math
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RATE_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class ConfigError(Exception):
    """A setting the app cannot start with; the message says which and why."""


def parse_rate_limit(value: str) -> tuple[int, int] | None:
    """ "5 per hour" -> (5, 3600); "off" -> None."""
    if value.strip().lower() == "off":
        return None
    match = re.fullmatch(r"\s*(\d+)\s*(?:per|/)\s*(second|minute|hour|day)s?\s*", value.lower())
    if not match or int(match.group(1)) < 1:
        raise ConfigError(f"CONTACT_RATE_LIMIT={value!r}: expected something like '5 per hour', or 'off'")
    return int(match.group(1)), RATE_UNITS[match.group(2)]


def parse_int(name: str, value: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: expected a whole number") from None
    if number < minimum:
        raise ConfigError(f"{name}={value!r}: must be at least {minimum}")
    return number


def parse_seconds(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: expected a number of seconds") from None
    if not 0 < number < math.inf:  # also refuses nan and inf: a lease must run out
        raise ConfigError(f"{name}={value!r}: must be more than 0 and finite")
    return number


def from_environment(environ=os.environ) -> dict:
    return {
        "APP_ENV": environ.get("APP_ENV", "development"),
        "SECRET_KEY": environ.get("SECRET_KEY") or None,
        "CONTENT_DIR": environ.get("CONTENT_DIR", str(ROOT / "data")),
        "SITE_URL": environ.get("SITE_URL", "").rstrip("/"),
        "DATABASE_PATH": environ.get("DATABASE_PATH") or None,
        "CONTACT_MIN_SECONDS": parse_int("CONTACT_MIN_SECONDS", environ.get("CONTACT_MIN_SECONDS", "3")),
        "CONTACT_RATE_LIMIT": parse_rate_limit(environ.get("CONTACT_RATE_LIMIT", "5 per hour")),
        "TRUSTED_PROXIES": parse_int("TRUSTED_PROXIES", environ.get("TRUSTED_PROXIES", "0")),
        # Where the owner hears of each message (Apprise URLs), and how delivery retries.
        "NOTIFY_URLS": environ.get("NOTIFY_URLS", ""),
        "NOTIFY_RETRY_SECONDS": parse_seconds("NOTIFY_RETRY_SECONDS", environ.get("NOTIFY_RETRY_SECONDS", "60")),
        "NOTIFY_LEASE_SECONDS": parse_seconds("NOTIFY_LEASE_SECONDS", environ.get("NOTIFY_LEASE_SECONDS", "120")),
        # A request body over 64 KB is refused with 413 before it is read.
        "MAX_CONTENT_LENGTH": 64 * 1024,
        # A contact page left open for hours must still send: tokens last a week.
        "WTF_CSRF_TIME_LIMIT": 7 * 24 * 3600,
    }


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
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        try:
            # link() is atomic and refuses to replace: processes starting together agree on one key.
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    config["SECRET_KEY"] = path.read_text().strip()
