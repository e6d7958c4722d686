"""Settings from the environment, the secret key, and the CLI found with no --app."""

import os
import subprocess
import sys

import pytest

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
