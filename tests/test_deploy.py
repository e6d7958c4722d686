"""deploy/: the systemd unit and compose.yaml that keep the stack running.

Neither systemd nor a Docker engine runs here, so check what can be: systemd's
own verifier on the unit, and that compose.yaml parses and everything it
names exists and agrees with the Dockerfile and deploy/stack.py."""

import re
import subprocess
from pathlib import Path

import yaml

from app.config import ROOT
from deploy import stack

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


def test_compose_runs_nginx_in_front_of_the_app_with_restarts_and_health_checks():
    services = COMPOSE["services"]
    assert set(services) == {"app", "nginx"}
    for name, service in services.items():
        assert service["restart"] == "always", name
        assert service["healthcheck"]["test"][0] == "CMD", name
        assert "/healthz" in " ".join(service["healthcheck"]["test"]), name
    assert services["nginx"]["depends_on"]["app"]["condition"] == "service_healthy"
    assert services["nginx"]["ports"] == ["80:80"] and "ports" not in services["app"]  # only nginx faces clients
    assert services["app"]["environment"]["TRUSTED_PROXIES"] == "1"


def test_compose_keeps_the_messages_in_the_volume_the_image_declares():
    app = COMPOSE["services"]["app"]
    assert (DEPLOY / app["build"] / "Dockerfile").resolve() == ROOT / "Dockerfile"
    mounts = dict(volume.split(":", 1) for volume in app["volumes"])
    assert mounts["data"] == "/data" and "data" in COMPOSE["volumes"]
    assert "DATABASE_PATH=/data/messages.db" in DOCKERFILE and "VOLUME /data" in DOCKERFILE
    assert "COPY deploy/ deploy/" in DOCKERFILE


def test_compose_nginx_reads_what_the_app_prepares(tmp_path):
    app, nginx = COMPOSE["services"]["app"], COMPOSE["services"]["nginx"]
    shared = dict(volume.split(":", 1) for volume in app["volumes"])["shared"]
    assert "shared:" + shared + ":ro" in nginx["volumes"]
    assert f"python -m deploy.stack prepare {shared}" in app["command"][-1]
    assert f"{shared}/nginx.conf" in nginx["command"]
    assert f"mkdir /data {shared}" in DOCKERFILE  # the volume starts owned by the app's user

    stack.prepare(tmp_path)  # what the app's command writes, here into a scratch folder
    config = (tmp_path / "nginx.conf").read_text()
    assert "server app:8000;" in config and "listen 80 " in config
    assert "${" not in config
    stylesheet = next(tmp_path.glob("static/css/site.*.css"))
    assert stylesheet.read_bytes() == (ROOT / "static/css/site.css").read_bytes()
    assert Path(str(stylesheet) + ".gz").exists()


def test_compose_gives_the_app_notify_urls_and_contact_settings_from_an_env_file(tmp_path):
    # A Docker deployment is notified only if NOTIFY_URLS reaches the app (issue 15).
    [entry] = COMPOSE["services"]["app"]["env_file"]
    assert entry["path"] == "portfolio.env" and entry["required"] is False
    assert "NOTIFY_URLS" not in COMPOSE["services"]["app"]["environment"]  # the file's value is not overridden
