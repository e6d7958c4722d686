"""Settings from the environment, the secret key, and the CLI found with no --app."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import config
from app.config import ROOT, ConfigError, ensure_secret_key, from_environment, parse_rate_limit


@pytest.mark.parametrize("value, expected", [
    ("5 per hour", (5, 3600)),
    ("10/minute", (10, 60)),
    ("1 per day", (1, 86400)),
    ("3 per seconds", (3, 1)),
    ("off", None),
    ("OFF", None),
])
def test_rate_limit_setting(value, expected):
    assert parse_rate_limit(value) == expected


@pytest.mark.parametrize("value", ["five per hour", "5 per fortnight", "0 per hour", "", "5"])
def test_bad_rate_limit_is_refused_with_its_name(value):
    with pytest.raises(ConfigError, match="CONTACT_RATE_LIMIT"):
        parse_rate_limit(value)


def test_defaults():
    config = from_environment({})
    assert config["APP_ENV"] == "development"
    assert config["CONTACT_MIN_SECONDS"] == 3
    assert config["CONTACT_RATE_LIMIT"] == (5, 3600)
    assert config["TRUSTED_PROXIES"] == 0
    assert config["MAX_CONTENT_LENGTH"] == 64 * 1024


@pytest.mark.parametrize("name", ["CONTACT_MIN_SECONDS", "TRUSTED_PROXIES"])
def test_bad_numbers_are_refused_with_their_name(name):
    with pytest.raises(ConfigError, match=name):
        from_environment({name: "soon"})


@pytest.mark.parametrize("value", ["0", "-5", "inf", "nan", "soon"])
@pytest.mark.parametrize("name", ["NOTIFY_RETRY_SECONDS", "NOTIFY_LEASE_SECONDS"])
def test_notification_timings_must_be_positive_and_finite(name, value):
    # An infinite lease would never run out: a crashed worker's notification would never go.
    with pytest.raises(ConfigError, match=name):
        from_environment({name: value})


def every_setting(environ: dict) -> None:
    """Read as the app, server.py and the stack read them."""
    config.from_environment(environ)
    config.server_settings(environ)
    config.stack_settings(environ)


# Each variable, a value it refuses, and the error's words after "NAME='value': ".
@pytest.mark.parametrize("name, value, expected", [
    ("APP_ENV", "prod", "expected development or production"),
    ("WORKERS", "two", "expected a whole number"),
    ("WORKERS", "0", "must be at least 1"),
    ("WORKERS", "100000", "must be at most 256"),
    ("PORT", "99999", "must be at most 65535"),
    ("PORT", "0", "must be at least 1"),
    ("PORT", "http", "expected a whole number"),
    ("HTTPS_PORT", "70000", "must be at most 65535"),
    ("HOST", "0.0.0.0; evil", "expected an IP address or a host name"),
    ("HOST", "localhost:80", "expected an IP address or a host name"),
    ("HOST", "a b", "expected an IP address or a host name"),
    ("HOST", "x}", "expected an IP address or a host name"),
    ("PROXY_CACHE", "maybe", "expected pages or off"),
    ("PROXY_CACHE", "pages; evil", "expected pages or off"),
    ("SOCKET_MODE", "999", "expected file permissions in octal"),
    ("SOCKET_MODE", "rw", "expected file permissions in octal"),
    ("TLS", "on", "expected off, acme or files"),
    # A busy poll: every worker's delivery loop would wake a thousand times a second.
    ("NOTIFY_RETRY_SECONDS", "0.001", "must be from 1 to 21600 seconds"),
    ("NOTIFY_RETRY_SECONDS", "86400", "must be from 1 to 21600 seconds"),
    ("NOTIFY_LEASE_SECONDS", "0.5", "must be from 1 to 3600 seconds"),
    ("NOTIFY_LEASE_SECONDS", "7200", "must be from 1 to 3600 seconds"),
    ("TLS_RENEW_DAYS", "0", "must be from 1 to 3650 days"),
    ("TLS_RENEW_DAYS", "thirty", "expected a number of days"),
    ("CONTACT_MIN_SECONDS", "-1", "must be at least 0"),
    ("CONTACT_MIN_SECONDS", "86400", "must be at most 3600"),
    ("TRUSTED_PROXIES", "99", "must be at most 10"),
])
def test_each_setting_is_refused_with_its_name_its_value_and_what_was_expected(name, value, expected):
    with pytest.raises(ConfigError) as refused:
        every_setting({name: value})
    assert str(refused.value).startswith(f"{name}={value!r}: {expected}")


@pytest.mark.parametrize("name, value, read", [
    ("HOST", "0.0.0.0", lambda: config.server_settings({"HOST": "0.0.0.0"}).host),
    ("HOST", "::", lambda: config.stack_settings({"HOST": "::"}).host),
    ("HOST", "portfolio.example", lambda: config.stack_settings({"HOST": "portfolio.example"}).host),
    ("WORKERS", 4, lambda: config.server_settings({"WORKERS": "4"}).workers),
    ("PORT", 65535, lambda: config.server_settings({"PORT": "65535"}).port),
    ("SOCKET_MODE", 0o666, lambda: config.server_settings({"SOCKET_MODE": "666"}).socket_mode),
    ("PROXY_CACHE", "off", lambda: config.stack_settings({"PROXY_CACHE": "off"}).proxy_cache),
    ("NOTIFY_RETRY_SECONDS", 1.0, lambda: from_environment({"NOTIFY_RETRY_SECONDS": "1"})["NOTIFY_RETRY_SECONDS"]),
    ("TLS_RENEW_DAYS", 30.0, lambda: config.tls_settings({}).renew_days),
])
def test_good_values_are_taken(name, value, read):
    assert read() == value


def test_state_dir_defaults_under_xdg_state_home():
    assert config.tls_settings({"XDG_STATE_HOME": "/srv/state"}).state_dir == Path("/srv/state/portfolio")
    assert config.tls_settings({"STATE_DIR": "/var/lib/portfolio"}).state_dir == Path("/var/lib/portfolio")


# Only app/config.py reads a setting. What others read from an environment are
# WSGI's keys (a request's environ), never a variable by name.
WSGI_KEYS = re.compile(r"HTTP_\w+|wsgi\.\w+|werkzeug\.\w+|PATH_INFO|QUERY_STRING|CONTENT_LENGTH|CONTENT_TYPE|REQUEST_METHOD|REMOTE_ADDR")
READS = re.compile(r"""(?:environ(?:\.get\(|\[)|getenv\()\s*(?:["']([^"']*)["']|(\w+))""")


def sources() -> list:
    return [*sorted((ROOT / "app").rglob("*.py")), *sorted((ROOT / "deploy").glob("*.py")), ROOT / "server.py", ROOT / "wsgi.py"]


def test_nothing_but_the_settings_module_reads_the_environment():
    readers = []
    for path in sources():
        if path == ROOT / "app" / "config.py":
            continue
        for literal, expression in READS.findall(path.read_text()):
            if not (literal and WSGI_KEYS.fullmatch(literal)):
                readers.append(f"{path.relative_to(ROOT)}: {literal or expression}")
    assert readers == [], "settings read outside app/config.py"


def test_production_refuses_to_start_without_a_secret(tmp_path):
    config = from_environment({"APP_ENV": "production"})
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        ensure_secret_key(config, tmp_path)


def test_development_makes_a_secret_once_and_keeps_it(tmp_path):
    first, second = from_environment({}), from_environment({})
    ensure_secret_key(first, tmp_path / "instance")
    ensure_secret_key(second, tmp_path / "instance")
    assert len(first["SECRET_KEY"]) == 64
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert (tmp_path / "instance/secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only


def run_flask(tmp_path, *args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    environment.update({"SECRET_KEY": "x", "DATABASE_PATH": str(tmp_path / "m.db"), **env})
    return subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_flask_finds_the_app_with_no_app_option(tmp_path):
    result = run_flask(tmp_path, "messages", "--help")
    assert result.returncode == 0, result.stderr
    for command in ("list", "show", "export", "mark", "delete", "purge", "forget"):
        assert command in result.stdout
    assert not (tmp_path / "m.db").exists()  # asking about messages creates no database


def test_production_start_without_a_secret_is_one_clear_line(tmp_path):
    result = run_flask(tmp_path, "content", "check", APP_ENV="production", SECRET_KEY="")
    assert result.returncode != 0
    assert "Cannot start: SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_app_version_is_a_setting_and_unset_by_default():
    assert config.app_version({"APP_VERSION": "2026.12.06"}) == "2026.12.06"
    assert config.app_version({}) is None  # then the checkout's commit (app/contact/delivery.py)


def test_how_the_process_was_started_is_read_here_too():
    # Not settings: what a launcher tells the processes it starts.
    assert config.started_by_flask_cli({"FLASK_RUN_FROM_CLI": "true"})
    assert not config.started_by_flask_cli({})
    started = {}
    assert not config.message_store_checked(started)
    config.mark_message_store_checked(started)  # server.py, before granian starts its workers
    assert config.message_store_checked(started)
