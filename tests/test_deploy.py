"""deploy/: the systemd unit and compose.yaml that keep the stack running.

Neither systemd nor a Docker engine runs here, so check what can be: systemd's
own verifier on the unit, and that compose.yaml parses and everything it
names exists and agrees with the Dockerfile and deploy/stack.py."""

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from app.config import ROOT
from deploy import nginx, stack
from tests.processes import free_port

DEPLOY = ROOT / "deploy"
UNIT = (DEPLOY / "portfolio.service").read_text()
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def unit_setting(name: str) -> str:
    [value] = re.findall(rf"^{name}=(.*)$", UNIT, re.M)
    return value


def test_systemd_verifies_the_unit(tmp_path):
    # As installed, but pointing at this checkout, whose .venv exists.
    unit = tmp_path / "portfolio.service"
    unit.write_text(UNIT.replace("/srv/portfolio", str(ROOT)))
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "portfolio.service" not in result.stderr, result.stderr  # no warning about our unit


def test_the_unit_runs_the_stack_and_restarts_it_always():
    assert unit_setting("ExecStart") == "/srv/portfolio/.venv/bin/python -m deploy.stack"
    assert unit_setting("Restart") == "always"
    assert unit_setting("StartLimitIntervalSec") == "0"
    assert "APP_ENV=production" in unit_setting("Environment")
    assert unit_setting("User") != "root"
    # SIGTERM to the stack alone, which stops nginx, then granian, each given its time.
    assert unit_setting("KillMode") == "mixed"
    assert int(unit_setting("TimeoutStopSec")) > sum(stack.STOP_SECONDS)


def test_the_unit_serves_https_on_443_and_keeps_the_certificate_in_its_state_directory():
    environment = unit_setting("Environment").split()
    assert {"TLS=acme", "PORT=80", "HTTPS_PORT=443", "STATE_DIR=/var/lib/portfolio"} <= set(environment)
    assert unit_setting("StateDirectory") == "portfolio"  # /var/lib/portfolio, writable under ProtectSystem=strict
    assert unit_setting("AmbientCapabilities") == "CAP_NET_BIND_SERVICE"
    assert unit_setting("ExecReload") == "/bin/kill -HUP $MAINPID"


def test_compose_runs_the_image_and_its_stack_on_80_and_443_with_restarts():
    [(name, service)] = COMPOSE["services"].items()
    assert service["restart"] == "always"
    assert (DEPLOY / service["build"] / "Dockerfile").resolve() == ROOT / "Dockerfile"
    assert "command" not in service  # the image's: the stack
    assert DOCKERFILE.rstrip().endswith('CMD ["python", "-m", "deploy.stack"]')
    ports = dict(port.split(":") for port in service["ports"])
    assert ports == {"80": dockerfile_env("PORT"), "443": dockerfile_env("HTTPS_PORT")}
    assert service["environment"]["TLS"] == "${TLS:-acme}" and dockerfile_env("TLS") == "acme"
    assert service["stop_grace_period"] == "60s" and 60 > sum(stack.STOP_SECONDS)


def dockerfile_env(name: str) -> str:
    [value] = re.findall(rf"^\s+{name}=(\S+)", DOCKERFILE, re.M)
    return value


def test_compose_keeps_the_messages_and_the_certificates_in_the_volumes_the_image_declares():
    [service] = COMPOSE["services"].values()
    mounts = dict(volume.split(":", 1) for volume in service["volumes"])
    assert mounts == {"data": "/data", "certificates": "/var/lib/portfolio"}
    assert set(COMPOSE["volumes"]) == {"data", "certificates"}
    assert dockerfile_env("DATABASE_PATH") == "/data/messages.db" and dockerfile_env("STATE_DIR") == "/var/lib/portfolio"
    assert "VOLUME /data /var/lib/portfolio" in DOCKERFILE
    assert "mkdir /data /var/lib/portfolio && chown portfolio /data /var/lib/portfolio" in DOCKERFILE


def test_the_image_has_nginx_and_certbot_for_the_stack():
    assert "apt-get install -y --no-install-recommends nginx-light" in DOCKERFILE
    assert "pip install --no-cache-dir -r requirements.txt" in DOCKERFILE
    assert re.search(r"^certbot==", (ROOT / "requirements.txt").read_text(), re.M)
    assert "COPY deploy/ deploy/" in DOCKERFILE


def test_compose_gives_the_app_notify_urls_and_contact_settings_from_an_env_file():
    # A Docker deployment is notified only if NOTIFY_URLS reaches the app (issue 15).
    [service] = COMPOSE["services"].values()
    [entry] = service["env_file"]
    assert entry["path"] == "portfolio.env" and entry["required"] is False
    assert "NOTIFY_URLS" not in service["environment"]  # the file's value is not overridden


# `make serve` and `make serve-granian` with one setting that cannot work: one line
# naming it, and a non-zero exit for the service manager, never a traceback.
REFUSED = [
    ("WORKERS", "two", "Cannot start: WORKERS='two': expected a whole number"),
    ("PORT", "99999", "Cannot start: PORT='99999': must be at most 65535"),
    ("HOST", "0.0.0.0; evil", "Cannot start: HOST='0.0.0.0; evil': expected an IP address or a host name"),
    ("PROXY_CACHE", "maybe", "Cannot start: PROXY_CACHE='maybe': expected pages or off"),
]


def make(target: str, tmp_path: Path, **settings: str) -> subprocess.CompletedProcess:
    environ = {name: value for name, value in os.environ.items() if not name.startswith(("MAKE", "MFLAGS"))}
    environ.update({"SECRET_KEY": "s" * 32, "SITE_URL": "https://harsh.example", "DATABASE_PATH": str(tmp_path / "m.db"),
                    "PORT": str(free_port()), **settings})
    return subprocess.run(["make", "--no-print-directory", target], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("target, name, value, line", [
    *[("serve", *refused) for refused in REFUSED],
    *[("serve-granian", *refused) for refused in REFUSED if refused[0] != "PROXY_CACHE"],  # granian has no page cache
])
def test_a_setting_that_cannot_work_is_one_line_and_a_non_zero_exit(tmp_path, target, name, value, line):
    result = make(target, tmp_path, **{name: value})
    assert result.returncode != 0
    said = [text for text in result.stderr.splitlines() if not text.startswith("make: ***")]  # make's own line
    assert len(said) == 1 and said[0].startswith(line), result.stderr
    assert not (tmp_path / "m.db").exists()  # stopped before anything started


def test_nginx_listens_on_an_ipv6_host_in_brackets():
    assert nginx.address("::", 8000) == "[::]:8000"
    assert nginx.address("127.0.0.1", 8000) == "127.0.0.1:8000"
