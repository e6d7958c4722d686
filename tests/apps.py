"""Test apps: the settings every one starts from, and a look into its database.

conftest.py builds each test's app from these (the make_app fixture); the
browser tests' session app and scripts/ use them too.
"""

import sqlite3
from contextlib import contextmanager
from pathlib import Path

from app.config import ROOT
from app.contact import storage

DATA = ROOT / "data"


def app_settings(tmp_path: Path, **overrides) -> dict:
    """Settings for a test app on its own database. The abuse traps are off
    unless a test turns them on."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_PATH": str(tmp_path / "messages.db"),
        "CONTACT_MIN_SECONDS": 0,
        "CONTACT_RATE_LIMIT": None,
        # Never the owner's real NOTIFY_URLS from the shell: tests that notify set their own.
        "NOTIFY_URLS": "",
        # No delivery loop (it also finishes erasures) in every test app: tests that want one say so.
        "NOTIFY_IN_BACKGROUND": False,
        **overrides,
    }


def rows(app, table: str = "messages") -> list[dict]:
    """What a table holds now, in the order it was written."""
    db = storage.connect(storage.database_path(app))
    try:
        return list(db[table].rows_where(order_by="id"))
    finally:
        db.conn.close()


@contextmanager
def database_locked(app, monkeypatch):
    """Another connection holds the database exclusively; ours give up after 50 ms, not 5 s."""
    monkeypatch.setattr(storage, "BUSY_TIMEOUT_SECONDS", 0.05)
    blocker = sqlite3.connect(storage.database_path(app), isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
