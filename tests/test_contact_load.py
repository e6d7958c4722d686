"""Under load, through the real production server: every acknowledged message
is stored exactly once, nothing extra, no 5xx, even when a worker is killed;
and the rate limit holds across processes.

These start granian (server.py) with four worker processes on a temporary
database and drive it from 50 client threads on loopback.
"""

import http.client
import multiprocessing
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from app import create_app
from app.config import ROOT
from tests.conftest import app_settings

CLIENTS, MESSAGES_EACH, WORKERS = 50, 20, 4
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.fixture
def production_server(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(16),
        "SITE_URL": "https://harsh.example",
        "DATABASE_PATH": str(tmp_path / "messages.db"),
        "CONTACT_RATE_LIMIT": "off",
        "CONTACT_MIN_SECONDS": "0",
        "PORT": str(port),
        "WORKERS": str(WORKERS),
    }
    process = subprocess.Popen(
        [sys.executable, "server.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/contact")
            if connection.getresponse().status == 200 and len(children(process.pid)) >= WORKERS:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the production server did not start")
    yield process, port, tmp_path / "messages.db"
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


class Client(threading.Thread):
    """One recruiter's browser: fetch the form once, then send messages, retrying
    a dropped connection with the same submission key, as a browser retry would."""

    def __init__(self, port: int, number: int, results: dict, failures: list):
        super().__init__()
        self.port, self.number, self.results, self.failures = port, number, results, failures
        self.connection = None

    def request(self, method, path, body=None, headers=None):
        for attempt in range(20):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                return response, response.read()
            except (OSError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                time.sleep(0.1 * (attempt + 1))
        raise RuntimeError(f"{method} {path} failed 20 times")

    def run(self):
        try:
            response, body = self.request("GET", "/contact")
            cookie = response.getheader("Set-Cookie").split(";", 1)[0]
            token = TOKEN.search(body.decode()).group(1)
            for i in range(MESSAGES_EACH):
                key = secrets.token_urlsafe(24)
                form = urlencode({
                    "csrf_token": token, "submission_key": key, "rendered_at": "", "website": "",
                    "name": f"Client {self.number}", "email": f"client{self.number}@example.com",
                    "company": "", "message": f"Message {i} from client {self.number}: ünïcødé ✓",
                })
                headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
                response, _ = self.request("POST", "/contact", form, headers)
                if response.status != 303:
                    self.failures.append(response.status)
                else:
                    self.results[key] = response.getheader("Location")
        except Exception as error:  # reported by the test, not lost in a thread
            self.failures.append(repr(error))


def run_load(port: int, during=None) -> tuple[dict, list]:
    results, failures = {}, []
    clients = [Client(port, n, results, failures) for n in range(CLIENTS)]
    for client in clients:
        client.start()
    if during:
        during(results)
    for client in clients:
        client.join(timeout=300)
    return results, failures


def stored(database: Path) -> tuple[list[str], str]:
    connection = sqlite3.connect(database)
    try:
        keys = [row[0] for row in connection.execute("SELECT submission_key FROM messages")]
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()
    return keys, integrity


def test_every_acknowledged_message_is_stored_exactly_once(production_server):
    _, port, database = production_server
    acknowledged, failures = run_load(port)
    assert failures == []
    assert len(acknowledged) == CLIENTS * MESSAGES_EACH
    keys, integrity = stored(database)
    assert sorted(keys) == sorted(acknowledged)  # each once, none extra
    assert integrity == "ok"


def test_killing_a_worker_loses_no_acknowledged_message(production_server):
    process, port, database = production_server
    killed = []

    def kill_one_worker_midway(results):
        while len(results) < CLIENTS * MESSAGES_EACH // 3:
            time.sleep(0.01)
        victim = children(process.pid)[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)

    acknowledged, failures = run_load(port, during=kill_one_worker_midway)
    assert killed
    assert failures == []  # retries with the same key, never a 5xx
    keys, integrity = stored(database)
    assert sorted(keys) == sorted(acknowledged)
    assert len(keys) == CLIENTS * MESSAGES_EACH
    assert integrity == "ok"


def post_from_one_address(database: str, barrier, results) -> None:
    app = create_app(app_settings(Path(database).parent, CONTACT_RATE_LIMIT=(5, 3600), WTF_CSRF_ENABLED=False))
    client = app.test_client()
    barrier.wait()
    for _ in range(4):
        response = client.post(
            "/contact",
            data={"submission_key": secrets.token_urlsafe(24), "name": "Same Address", "email": "same@example.com",
                  "company": "", "message": "Ten or more characters."},
            environ_base={"REMOTE_ADDR": "203.0.113.7"},
        )
        results.put(response.status_code)


def test_rate_limit_holds_across_processes(tmp_path):
    database = str(tmp_path / "messages.db")
    create_app(app_settings(tmp_path))  # create the schema once
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(4), context.Queue()
    processes = [context.Process(target=post_from_one_address, args=(database, barrier, results)) for _ in range(4)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=60)
    statuses = sorted(results.get(timeout=5) for _ in range(16))
    assert statuses.count(303) == 5 and statuses.count(429) == 11
    keys, _ = stored(Path(database))
    assert len(keys) == 5
