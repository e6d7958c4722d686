"""Under load, through the real production server: every acknowledged message
is stored exactly once, nothing extra, no 5xx, even when a worker is killed;
the owner is notified of each; a hung mail server slows no visitor; and the
rate limit holds across processes.

These start granian (server.py) with four worker processes on a temporary
database and drive it from 50 client threads on loopback; the notifications
go to real receivers on loopback (tests/receivers.py).
"""

import http.client
import multiprocessing
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest

from app.config import ROOT
from tests.processes import children, free_port, wait_for
from tests.receivers import Mailbox, SilentServer

CLIENTS, MESSAGES_EACH, WORKERS = 50, 20, 4
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')




@contextmanager
def running_server(tmp_path, **settings):
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
        **settings,
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
    try:
        yield process, port, tmp_path / "messages.db"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def production_server(tmp_path):
    with running_server(tmp_path) as server:
        yield server


@pytest.fixture
def notifying_server(tmp_path, webhook):
    """The production server telling a webhook of each message; a dead worker's lease runs out in 2 s."""
    with running_server(tmp_path, NOTIFY_URLS=webhook.url, NOTIFY_LEASE_SECONDS="2", NOTIFY_RETRY_SECONDS="1") as server:
        yield server


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


def notified(webhook, acknowledged: dict, timeout: float = 60) -> Counter:
    """How many notifications arrived per acknowledged message, once all have or time is up."""
    references = {location.rsplit("=", 1)[1] for location in acknowledged.values()}

    def counts():
        return Counter(re.search(r"Reference: ([A-Z2-7]{8})", p["message"]).group(1) for p in list(webhook.received))

    wait_for(lambda: references <= set(counts()), timeout, interval=0.25)
    time.sleep(1)  # a duplicate still on its way shows up in the count
    found = counts()
    assert set(found) <= references  # nothing for a message nobody sent
    return Counter({reference: found[reference] for reference in references})


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


def test_every_message_notifies_the_owner_once_under_load(notifying_server, webhook):
    _, port, _ = notifying_server
    acknowledged, failures = run_load(port)
    assert failures == []
    counts = notified(webhook, acknowledged)
    missing = [reference for reference, count in counts.items() if count == 0]
    duplicates = sum(count - 1 for count in counts.values() if count > 1)
    print(f"\n{len(acknowledged)} messages, {sum(counts.values())} notifications, {duplicates} duplicates")
    assert len(counts) == CLIENTS * MESSAGES_EACH and missing == []
    assert duplicates == 0  # no process died: each claimed once


def test_killing_a_worker_loses_no_acknowledged_message_nor_its_notification(notifying_server, webhook):
    process, port, database = notifying_server
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
    counts = notified(webhook, acknowledged)
    duplicates = sum(count - 1 for count in counts.values() if count > 1)
    print(f"\nkilled a worker: {sum(counts.values())} notifications for {len(counts)} messages, {duplicates} duplicates")
    assert [reference for reference, count in counts.items() if count == 0] == []
    assert duplicates <= 1  # only a send the kill cut short is repeated: one loop sends one at a time


def leased_by(database: Path) -> str | None:
    connection = sqlite3.connect(database)
    try:
        row = connection.execute("SELECT leased_by FROM notifications WHERE lease_until IS NOT NULL").fetchone()
    finally:
        connection.close()
    return row and row[0]


def test_a_worker_killed_mid_delivery_still_delivers_the_email(tmp_path):
    mailbox = Mailbox().start()
    mailbox.hold()  # the first attempt hangs inside the SMTP conversation
    try:
        settings = {"NOTIFY_URLS": mailbox.url(), "NOTIFY_LEASE_SECONDS": "3", "NOTIFY_RETRY_SECONDS": "1"}
        with running_server(tmp_path, **settings) as (process, port, database):
            client = Client(port, 0, {}, [])
            response, body = client.request("GET", "/contact")
            cookie = response.getheader("Set-Cookie").split(";", 1)[0]
            form = urlencode({"csrf_token": TOKEN.search(body.decode()).group(1),
                              "submission_key": secrets.token_urlsafe(24), "rendered_at": "", "website": "",
                              "name": "Grace Hopper", "email": "grace@example.com", "company": "",
                              "message": "Please do not lose this one."})
            response, _ = client.request("POST", "/contact", form, {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
            assert response.status == 303
            assert mailbox.holding.wait(15)
            worker = int(leased_by(database).rsplit(":", 1)[1])
            assert worker in children(process.pid)
            os.kill(worker, signal.SIGKILL)
            time.sleep(1)  # the mail server sees the connection drop before it would answer
            mailbox.release()
            assert wait_for(lambda: len(mailbox.received) == 1, timeout=20)
            [mail] = mailbox.messages()
            assert mail["Subject"].startswith("Grace Hopper · message on ")
    finally:
        mailbox.stop()


def test_a_hung_mail_server_slows_no_visitor_and_no_page(tmp_path):
    silent = SilentServer().start()
    try:
        url = f"mailto://127.0.0.1:{silent.port}?from=site@example.com&to=owner@example.com"
        with running_server(tmp_path, NOTIFY_URLS=url) as (_, port, _):
            client = Client(port, 0, {}, [])
            response, body = client.request("GET", "/contact")
            cookie = response.getheader("Set-Cookie").split(";", 1)[0]
            token = TOKEN.search(body.decode()).group(1)
            headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
            post_times, pages = [], []
            for i in range(200):
                form = urlencode({"csrf_token": token, "submission_key": secrets.token_urlsafe(24), "rendered_at": "",
                                  "website": "", "name": f"Visitor {i}", "email": "v@example.com", "company": "",
                                  "message": f"Message number {i}, while the mail server hangs."})
                started = time.perf_counter()
                response, _ = client.request("POST", "/contact", form, headers)
                post_times.append(time.perf_counter() - started)
                assert response.status == 303
                if i % 10 == 0:
                    response, _ = client.request("GET", "/")
                    pages.append(response.status)
            assert len(silent.connections) >= 1  # the delivery loops really are stuck on it
            post_times.sort()
            p99 = post_times[int(len(post_times) * 0.99) - 1]
            print(f"\nPOST /contact with a hung SMTP server: p50 {post_times[100] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
            assert p99 < 0.100
            assert pages == [200] * 20
    finally:
        silent.stop()


def post_from_one_address(make_app, barrier, results) -> None:
    app = make_app(CONTACT_RATE_LIMIT=(5, 3600), WTF_CSRF_ENABLED=False)
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


def test_rate_limit_holds_across_processes(make_app, tmp_path):
    database = str(tmp_path / "messages.db")
    make_app()  # create the schema once
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(4), context.Queue()
    processes = [context.Process(target=post_from_one_address, args=(make_app, barrier, results)) for _ in range(4)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=60)
    statuses = sorted(results.get(timeout=5) for _ in range(16))
    assert statuses.count(303) == 5 and statuses.count(429) == 11
    keys, _ = stored(Path(database))
    assert len(keys) == 5
