"""The Dockerfile cannot be built here (no Docker engine), so check what can be:
everything it copies exists, and it runs the production server unprivileged."""

import re

from app.config import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_everything_copied_exists():
    sources = [s for line in re.findall(r"^COPY (.+) \S+$", DOCKERFILE, re.M) for s in line.split()]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source


def test_it_runs_the_production_server_as_a_non_root_user_with_a_health_check():
    assert "FROM python:3.11-slim" in DOCKERFILE
    assert "pip install --no-cache-dir -r requirements.txt" in DOCKERFILE
    assert re.search(r"^USER (?!root)\w+", DOCKERFILE, re.M)
    assert "APP_ENV=production" in DOCKERFILE
    assert "DATABASE_PATH=/data/messages.db" in DOCKERFILE and "VOLUME /data" in DOCKERFILE
    assert "/healthz" in DOCKERFILE.split("HEALTHCHECK", 1)[1]
    assert "HTTPS_PORT" in DOCKERFILE.split("HEALTHCHECK", 1)[1]
    assert DOCKERFILE.rstrip().endswith('CMD ["python", "-m", "deploy.stack"]')
