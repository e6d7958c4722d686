import os
import shutil
from pathlib import Path

import pytest

from app import create_app
from tests.apps import DATA, app_settings
from tests.dev_server import make_run
from tests.receivers import Mailbox, Webhook


@pytest.fixture
def mailbox():
    """A real SMTP server on loopback, as the owner's mail server."""
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
def webhook():
    """A real HTTP server on loopback, as the owner's webhook."""
    hook = Webhook().start()
    yield hook
    hook.stop()


@pytest.fixture
def make_app(tmp_path):
    """Builds the app as a test needs it: ``make_app(NOTIFY_URLS=...)``, on the test's own database.

    Every test app is built here, so each one starts from the same safe settings.
    """
    def build(**overrides):
        return create_app(app_settings(tmp_path, **overrides))

    return build


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def content_dir(tmp_path) -> Path:
    """A private copy of data/ that a test may break."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    return copy


@pytest.fixture
def dev_server(tmp_path, content_dir):
    """`make run` on a private copy of data/, stopped after the test."""
    server = make_run(tmp_path, content_dir)
    try:
        yield server
    finally:
        server.stop()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


# In CI a skipped test is a failure: a browser test that silently did not run proves nothing.
_skipped = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI") == "true" and _skipped and exitstatus == 0:
        session.exitstatus = 1
        print(f"\nCI=true: {len(_skipped)} skipped test(s) count as failures: {', '.join(_skipped)}")
