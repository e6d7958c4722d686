"""The production stack as `make serve` starts it (deploy/stack.py: real nginx
in front of real granian), under the traffic that took granian alone down:
slow bodies, idle connections, endless URL spellings, underscore headers.

All traffic is on loopback and bounded in time. Slow and idle clients come
from other loopback addresses (127.0.0.2, 127.0.0.3) than the probes, as
they would from other machines: nginx limits connections per address.
"""

import grp
import http.client
import os
import resource
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
from bs4 import BeautifulSoup

from app.config import ROOT
from app.contact.storage import hash_ip
from deploy.nginx import worker_user
from tests.processes import command_line, descendants, free_port, parent_of
from tests.stack import SlowBodies, Stack, get

PROBE_P99_MS = 100



@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))  # 2,000 idle connections
    running = Stack(tmp_path_factory.mktemp("stack"))
    yield running
    running.stop()
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def probe_latencies(port: int, seconds: float, every: float = 0.05) -> list[float]:
    """GET / over a new connection every 50 ms; each answer's time in ms. Any failure fails the test.

    Every other probe asks for /?probe=N: a URL nginx's cache does not keep, so
    it is the app's workers that must answer, not nginx's copy of the page."""
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        path = f"/?probe={len(latencies)}" if len(latencies) % 2 else "/"
        started = time.perf_counter()
        status, _, body = get(port, path)
        latencies.append((time.perf_counter() - started) * 1000)
        assert status == 200 and body.startswith(b"<!doctype html>")
        time.sleep(every)
    return latencies


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]



def test_fifty_slow_bodies_do_not_slow_the_site(stack):
    slow = SlowBodies(stack.port, 50, "127.0.0.2")
    try:
        time.sleep(1)
        latencies = probe_latencies(stack.port, 6)
        assert p99(latencies) <= PROBE_P99_MS, sorted(latencies)[-5:]
        assert slow.refused() >= 50 - 32  # nginx holds at most 32 per address
    finally:
        slow.close()


def closed_by_server(s: socket.socket) -> bool:
    s.settimeout(0.5)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_two_thousand_idle_connections_do_not_slow_the_site(stack):
    idle = []
    try:
        opened = time.monotonic()
        for i in range(2000):
            s = socket.create_connection(("127.0.0.1", stack.port), source_address=("127.0.0.3", 0))
            if i % 2:
                s.sendall(b"GET / HTTP/1.1\r\nHost: harsh")  # half a header, never finished
            idle.append(s)
        latencies = probe_latencies(stack.port, 4)
        assert p99(latencies) <= PROBE_P99_MS, sorted(latencies)[-5:]
        # And none is held for long: nginx's header timeout (10 s) closes them.
        time.sleep(max(0.0, opened + 11.5 - time.monotonic()))
        assert all(closed_by_server(s) for s in idle[-20:])
    finally:
        for s in idle:
            s.close()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def hostile_paths(start: int, count: int):
    for i in range(start, start + count):
        kind = i % 3
        if kind == 0:
            yield "/" * (1 + i % 4000) + ("work" if i % 2 else ""), {}
        elif kind == 1:
            yield f"/?utm_source={i}&tag=", {}
        else:
            yield "/", {"Accept-Encoding": f"gzip;q=0.{i % 10}, x-{i}"}


def send_all(port: int, requests: list, threads: int = 4):
    unexpected = []  # an assertion in a thread would only be a warning: collected, and asserted here

    def worker(chunk):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for path, headers in chunk:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status not in (200, 404):
                unexpected.append((path[:40], len(path), response.status))
        connection.close()

    pool = [threading.Thread(target=worker, args=(requests[i::threads],)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert unexpected == []


def granian_workers(server: subprocess.Popen) -> list[int]:
    """granian's worker processes: server.py processes whose parent is server.py."""
    return [pid for pid in descendants(server.pid) if "server.py" in command_line(pid)
            and "server.py" in command_line(parent_of(pid))]


@pytest.fixture
def granian_alone(tmp_path):
    """granian without nginx, as `make serve-granian` runs it."""
    port = free_port()
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": secrets.token_hex(16), "SITE_URL": "https://harsh.example",
           "DATABASE_PATH": str(tmp_path / "messages.db"), "PORT": str(port), "WORKERS": "2"}
    server = subprocess.Popen([sys.executable, "server.py"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(granian_workers(server)) < 2 or not answers(port):
        assert time.monotonic() < deadline, "granian did not start"
        time.sleep(0.2)
    yield server, port
    server.terminate()
    server.wait(45)


def answers(port: int) -> bool:
    try:
        return get(port, "/")[0] == 200
    except OSError:
        return False


def assert_workers_do_not_grow(server: subprocess.Popen, port: int):
    workers = granian_workers(server)
    assert len(workers) == 2, workers
    send_all(port, list(hostile_paths(0, 2000)))  # warm up: every page rendered once
    before = {pid: rss_kb(pid) for pid in workers}
    send_all(port, list(hostile_paths(2000, 20_000)))
    growth_mb = {pid: round((rss_kb(pid) - kb) / 1024, 1) for pid, kb in before.items()}
    assert all(growth < 10 for growth in growth_mb.values()), growth_mb


def test_twenty_thousand_odd_requests_do_not_grow_a_worker(stack):
    assert_workers_do_not_grow(stack.process, stack.port)


def test_nor_without_nginx_in_front(granian_alone):
    assert_workers_do_not_grow(*granian_alone)


def get_exactly(port: int, path: str, headers: dict):
    """GET with these headers and no others (http.client would add Accept-Encoding: identity)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# Each case on a canonical page no other test asks for, so the spelt request is the
# first: it reaches the app, and what it gets is what nginx's cache would keep.
# `correct` is the rest of the request, correctly spelt; `fragment` is what the app
# answers to that alone (a fragment for an htmx partial request, else the page).
@pytest.mark.parametrize("header, value, correct, fragment, path", [
    ("HX_Request", "true", {"HX-Request-Type": "partial"}, False, "/work?tag=rich"),
    ("Hx_Request", "true", {"HX-Request-Type": "partial"}, False, "/work?tag=convex"),
    ("HX_Request_Type", "full", {"HX-Request": "true"}, True, "/work?tag=clerk"),
    ("Accept_Encoding", "br", {}, False, "/work?tag=blocknote"),
])
def test_header_spellings_with_underscores_change_nothing(stack, header, value, correct, fragment, path):
    status, headers, body = get_exactly(stack.port, path, {header: value, **correct})
    assert status == 200
    assert body.startswith(b"<!doctype html>") is not fragment, body[:60]
    assert "Content-Encoding" not in headers
    # Nor did the answer reach a plain visitor through nginx's cache.
    status, headers, body = get_exactly(stack.port, path, {})
    assert status == 200 and body.startswith(b"<!doctype html>") and "Content-Encoding" not in headers


def test_hashed_static_files_come_from_nginx_immutable_and_compressed(stack):
    page = get(stack.port, "/")[2].decode()
    stylesheet = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    status, headers, body = get(stack.port, stylesheet, {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"]
    assert "X-Request-ID" not in headers and "ETag" in headers  # read from disk by nginx, the app never saw it
    assert get(stack.port, stylesheet.replace(".css", "x.css"))[0] == 404  # any other name: the app


def test_the_app_sees_the_clients_address_not_a_forged_one(stack):
    connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10, source_address=("127.0.0.4", 0))
    connection.request("GET", "/contact")
    response = connection.getresponse()
    form = BeautifulSoup(response.read(), "html.parser")
    fields = {i["name"]: i.get("value", "") for i in form.select('#contact-form input[type="hidden"]')}
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    body = urlencode({**fields, "name": "Ada", "email": "ada@example.com", "company": "", "message": "Hello there, Harsh."})
    connection.request("POST", "/contact", body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                                                    "X-Forwarded-For": "203.0.113.9"})
    assert connection.getresponse().status == 303
    connection.close()
    with sqlite3.connect(stack.database) as db:
        [(ip_hash,)] = db.execute("SELECT ip_hash FROM messages").fetchall()
    assert ip_hash == hash_ip("127.0.0.4", stack.secret)


def test_sigterm_stops_everything_it_started(tmp_path):
    own = Stack(tmp_path)
    started = descendants(own.process.pid)
    run_dirs = {arg for pid in started for arg in command_line(pid).split() if "/portfolio-" in arg}
    assert len(started) >= 4  # granian, its two workers, nginx and its workers
    assert own.stop() == 0
    time.sleep(0.5)
    assert [pid for pid in started if Path(f"/proc/{pid}").exists() and command_line(pid)] == []
    assert run_dirs and not any(Path(d).exists() for d in run_dirs)


def test_the_run_folder_may_be_entered_by_nginx_but_listed_by_nobody(stack):
    assert stack.run_dir.stat().st_mode & 0o777 == 0o711
    # The app's socket: only this user, and nginx's workers' group when they run as another user (as root).
    app_folder = (stack.run_dir / "app").stat()
    if os.getuid() == 0:
        assert app_folder.st_mode & 0o777 == 0o710 and grp.getgrgid(app_folder.st_gid).gr_name == worker_user()[1]
    else:
        assert app_folder.st_mode & 0o777 == 0o700
    assert (stack.run_dir / "static").stat().st_mode & 0o777 == 0o755  # served by nginx's workers


def cached_keys(run_dir: Path) -> list[bytes]:
    """The key of every entry in nginx's page cache (each file's "KEY: " line)."""
    return [line.removeprefix(b"KEY: ") for path in (run_dir / "cache").rglob("*") if path.is_file()
            for line in path.read_bytes().split(b"\n")[:8] if line.startswith(b"KEY: ")]


def test_a_path_spelt_with_extra_slashes_gets_one_answer_whether_or_not_a_page_is_cached(stack):
    spellings = ["/work//write", "/work/./write", "/work/%2E/write", "//work/write"]
    assert not any(key.startswith(b"/work/write|") for key in cached_keys(stack.run_dir))  # cold
    cold = {path: get(stack.port, path)[:3:2] for path in spellings}
    assert get(stack.port, "/work/write")[0] == 200
    assert any(key.startswith(b"/work/write|") for key in cached_keys(stack.run_dir))  # now cached
    warm = {path: get(stack.port, path)[:3:2] for path in spellings}
    assert warm == cold
    assert warm["/work//write"][0] == 404  # the app's answer, not the cached page's


def test_a_killed_stacks_run_folder_is_removed_at_the_next_start(tmp_path):
    (tmp_path / "first").mkdir(), (tmp_path / "second").mkdir()
    killed = Stack(tmp_path / "first")
    run_dir, started = killed.run_dir, descendants(killed.process.pid)
    os.kill(killed.process.pid, signal.SIGKILL)  # no chance to clean up
    killed.process.wait()
    killed.log.close()
    deadline = time.monotonic() + 45
    while [pid for pid in started if Path(f"/proc/{pid}").exists() and command_line(pid)]:
        assert time.monotonic() < deadline, "the killed stack's children did not stop"
        time.sleep(0.2)
    assert run_dir.exists()  # left behind
    second = Stack(tmp_path / "second")
    try:
        assert not run_dir.exists()
        assert second.run_dir.exists()
    finally:
        assert second.stop() == 0


class Probe:
    """GET a path over a new connection every 50 ms, in a thread; counts what was not a 200 page."""

    def __init__(self, port: int, path: str):
        self.port, self.path = port, path
        self.answers: list[tuple[float, int]] = []
        self.error_pages: set[bytes] = set()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        n = 0
        while not self.stopped.wait(0.05):
            n += 1
            try:
                status, _, body = get(self.port, self.path.format(n=n))
                ok = status == 200 and body.startswith(b"<!doctype html>")
                if not ok:
                    self.error_pages.add(body)
            except OSError:
                ok, status = False, 0
            self.answers.append((time.monotonic(), status if ok else -abs(status) or -1))

    def stop(self) -> list[tuple[float, int]]:
        self.stopped.set()
        self.thread.join()
        return self.answers

    def failures(self) -> int:
        return sum(status < 0 for _, status in self.answers)

    def seconds_of_errors(self) -> float:
        """How long a visitor asking again and again would have seen errors."""
        return sum(later[0] - now[0] for now, later in zip(self.answers, self.answers[1:]) if now[1] < 0)


def kill_workers(server_pid: int) -> None:
    for pid in [pid for pid in descendants(server_pid) if "server.py" in command_line(pid)]:
        os.kill(pid, signal.SIGKILL)


def granian_main(stack_pid: int) -> int:
    [pid] = [pid for pid in descendants(stack_pid) if parent_of(pid) == stack_pid and "server.py" in command_line(pid)]
    return pid


def wait_for_recovery(probe: Probe, since: float):
    deadline = time.monotonic() + 40
    while not (probe.answers[-1][0] > since and probe.answers[-1][1] == 200):
        assert time.monotonic() < deadline, "the app did not come back"
        time.sleep(0.2)


def expire_cached_pages_after_a_second(stack: Stack):
    """nginx keeps pages 5 minutes; here 1 s, so the outage below meets expired (stale) entries."""
    config = stack.run_dir / "nginx.conf"
    config.write_text(config.read_text().replace("proxy_cache_valid 200 5m;", "proxy_cache_valid 200 1s;"))
    [master] = [pid for pid in descendants(stack.process.pid) if command_line(pid).startswith("nginx: master")]
    old_workers = set(descendants(master))
    os.kill(master, signal.SIGHUP)
    while old_workers & set(descendants(master)):
        time.sleep(0.1)


def test_a_granian_crash_loop_is_restarted_while_cached_pages_are_answered(tmp_path):
    own = Stack(tmp_path)
    try:
        expire_cached_pages_after_a_second(own)
        assert get(own.port, "/work/write")[0] == 200  # now in nginx's cache, for a second
        cached, uncached = Probe(own.port, "/work/write"), Probe(own.port, "/?probe={n}")
        time.sleep(1)
        granian = granian_main(own.process.pid)
        kill_workers(granian)  # every worker, twice 3 s apart: granian's own "crash loop detected" exit
        time.sleep(3)
        kill_workers(granian)
        wait_for_recovery(uncached, time.monotonic() + 2)
        # And granian itself, whether or not it gave up on its own.
        os.kill(granian_main(own.process.pid), signal.SIGKILL)
        wait_for_recovery(uncached, time.monotonic() + 2)
        cached.stop(), uncached.stop()
        assert own.process.poll() is None  # the stack carries on, nginx with it
        assert cached.failures() == 0, [a for a in cached.answers if a[1] != 200]
        assert b"granian exited" in (tmp_path / "stack.log").read_bytes()
        # What the others saw meanwhile was the site's own 502 page, the same one each time.
        assert {status for _, status in uncached.answers if status < 0} == {-502}
        [page] = uncached.error_pages
        assert b"<title>The site is restarting" in page and b"nginx" not in page
        print(f"errors seen: cached page {cached.seconds_of_errors():.1f} s, "
              f"uncached pages {uncached.seconds_of_errors():.1f} s ({uncached.failures()} of {len(uncached.answers)} probes)")
    finally:
        assert own.stop() == 0


def test_the_restart_back_off_gives_up_and_the_stack_exits_for_its_supervisor(tmp_path):
    from deploy.supervisor import Supervised

    failing = Supervised("failing", [sys.executable, "-c", "raise SystemExit(3)"], delays=(0.1, 0.2))
    failing.process.wait()
    assert failing.revive(lambda: False) and failing.process.wait() == 3  # first wait, started again
    assert failing.revive(lambda: False) and failing.process.wait() == 3  # second
    assert failing.revive(lambda: False) is False  # the back-off is spent


def test_when_nginx_dies_the_stack_exits_for_its_supervisor_to_restart(tmp_path):
    own = Stack(tmp_path)
    started = descendants(own.process.pid)
    [nginx] = [pid for pid in started if parent_of(pid) == own.process.pid and "nginx" in command_line(pid)]
    os.kill(nginx, signal.SIGKILL)
    assert own.process.wait(45) == 1  # systemd's Restart=always, compose's restart: always start it again
    own.log.close()
    time.sleep(0.5)
    assert [pid for pid in started if Path(f"/proc/{pid}").exists() and command_line(pid) and pid != nginx] == []
