"""delete, purge and forget erase: no byte of the text is left in the database file,
its WAL or a later backup, even while another connection holds a read snapshot, and a
visitor's POST meanwhile waits well under 100 ms."""

import sqlite3
import threading
import time

import pytest

from app.contact import delivery, storage
from tests.html import hidden_fields
from tests.processes import wait_for

MARKER = "Zebra-Quokka-7731"  # the text to be erased, in every column a visitor fills
SECRET = {"name": f"Erin {MARKER}", "email": "erin.erase@example.com", "company": f"Co {MARKER}",
          "message": f"Please erase me: {MARKER}. " * 3}
OTHER = {"name": "Kept Person", "email": "kept@example.com", "company": "", "message": "This message stays here."}


def post(client, fields):
    data = {**hidden_fields(client.get("/contact")), "website": "", **fields}
    started = time.monotonic()
    response = client.post("/contact", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return time.monotonic() - started


def traces(app) -> list[str]:
    """Which of the database's files hold any of the erased text."""
    path = storage.database_path(app)
    found = []
    for file in (path, path.with_name(path.name + "-wal")):
        if file.exists():
            data = file.read_bytes()
            if any(text.encode() in data for text in (MARKER, SECRET["email"])):
                found.append(file.name)
    return found


@pytest.fixture
def server(make_app):
    """The app as a server runs it, its delivery loop included (notifications off)."""
    app = make_app(NOTIFY_IN_BACKGROUND=True)
    client = app.test_client()
    post(client, SECRET)
    post(client, OTHER)
    yield app, client
    delivery.stop(app)


@pytest.mark.parametrize("command", [["forget", "ERIN.erase@example.com"], ["delete", "1"]])
def test_erasure_with_no_reader_is_complete_at_once(server, command):
    app, _ = server
    assert traces(app)  # it was there
    result = app.test_cli_runner().invoke(args=["messages", *command])
    assert result.exit_code == 0, result.output
    assert "Erased 1 message(s)" in result.stdout and "gone from every file" in result.stdout
    assert traces(app) == []


class BusyReader(threading.Thread):
    """A connection that keeps reading, each time on the newest snapshot, 150 ms a time (a backup)."""

    def __init__(self, path):
        super().__init__()
        self.path, self.stopping = path, threading.Event()

    def run(self):
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        while not self.stopping.is_set():
            connection.execute("BEGIN")
            connection.execute("SELECT count(*) FROM messages").fetchone()
            time.sleep(0.15)
            connection.execute("COMMIT")
        connection.close()

    def execute(self, sql):  # COMMIT: the reader ends
        self.stopping.set()
        self.join()

    def close(self):
        pass


def old_snapshot(path):
    """A connection that holds the snapshot from before the erasure."""
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM messages").fetchone()[0] == 2
    return reader


def busy_reader(path):
    reader = BusyReader(path)
    reader.start()
    return reader


@pytest.mark.parametrize("open_reader, left_in", [
    (old_snapshot, "messages.db and/or "),  # the old pages are still the file's, or the WAL's
    (busy_reader, "messages.db-wal:"),   # the file is overwritten, the WAL not yet emptied
])
def test_erasure_while_a_reader_holds_a_snapshot_reports_truly_stalls_nobody_and_finishes(server, tmp_path, open_reader, left_in):
    app, client = server
    reader = open_reader(storage.database_path(app))

    waits, stop = [], threading.Event()

    def visitors():
        visitor = app.test_client()
        number = 0
        while not stop.is_set():
            number += 1
            waits.append(post(visitor, {**OTHER, "email": f"visitor{number}@example.com"}))

    posting = threading.Thread(target=visitors)
    posting.start()
    try:
        time.sleep(0.2)
        result = app.test_cli_runner().invoke(args=["messages", "forget", SECRET["email"]])
        time.sleep(0.2)
    finally:
        stop.set()
        posting.join()
    assert result.exit_code == 0, result.output
    assert "Erased 1 message(s)" in result.stdout
    # The report is true: the text is still in the files while the reader holds its snapshot.
    assert "still in " in result.stdout and left_in in result.stdout
    if left_in == "messages.db-wal:":
        assert traces(app) == ["messages.db-wal"]
    else:
        assert traces(app)
    assert len(waits) >= 3 and max(waits) < 0.1, waits

    reader.execute("COMMIT")
    reader.close()
    ended = time.monotonic()
    # The server's delivery loop finishes it, nothing else done.
    assert wait_for(lambda: traces(app) == [], timeout=60), traces(app)
    assert time.monotonic() - ended < 60
    backup = tmp_path / "after.db"
    assert app.test_cli_runner().invoke(args=["messages", "backup", str(backup)]).exit_code == 0
    data = backup.read_bytes()
    assert MARKER.encode() not in data and SECRET["email"].encode() not in data
    assert b"kept@example.com" in data  # the other messages are all there


def test_purge_reports_what_remains_while_a_reader_holds_on(server):
    app, _ = server
    writer = sqlite3.connect(storage.database_path(app), isolation_level=None)
    writer.execute("UPDATE messages SET created_at = '2020-01-01T00:00:00+00:00'")
    writer.close()
    reader = sqlite3.connect(storage.database_path(app), isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM messages").fetchone()
    try:
        result = app.test_cli_runner().invoke(args=["messages", "purge", "--older-than", "0", "--yes"])
        assert "Erased 2 message(s)" in result.stdout and "still in " in result.stdout
    finally:
        reader.execute("COMMIT")
        reader.close()
    # Without a server, the next command finishes it.
    delivery.stop(app)
    app.test_cli_runner().invoke(args=["messages", "list"])
    assert traces(app) == []
