"""The site stays up when its parts fail, as `make serve` runs it (real nginx
in front of real granian): a broken message store never takes a page down,
/healthz tells the truth about it, and neither nginx's cache nor the logs can
be flooded. nginx's own answers (errors, refusals) are the site's.

A full disk is a small tmpfs, and a folder the server cannot write a
read-only one (the tests run as root, for whom permissions are no barrier).
"""

import http.client
import io
import json
import os
import random
import shutil
import string
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup

from app.config import ROOT
from tests.processes import command_line, descendants
from tests.stack import SlowBodies, Stack, get

CASE_STUDIES = [path.stem for path in (ROOT / "data" / "projects").glob("*.toml")]
STORE_LINE = b"cannot take messages"


@pytest.fixture
def mount(tmp_path):
    """mount(folder, options): a tmpfs there, unmounted afterwards (only what this test mounted)."""
    mounted = []

    def mount_tmpfs(folder: Path, options: str) -> Path:
        folder.mkdir(exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True)
        mounted.append(folder)
        return folder

    yield mount_tmpfs
    for folder in reversed(mounted):
        subprocess.run(["umount", str(folder)], check=True)


def every_page_is_served(stack: Stack):
    for path in ["/", "/work", *(f"/work/{slug}" for slug in CASE_STUDIES), "/contact"]:
        status, _, body = get(stack.port, path)
        assert status == 200 and body.startswith(b"<!doctype html>"), path


def send_message(stack: Stack, text: str):
    """The contact form as a browser without JavaScript sends it: (status, the answer's HTML)."""
    connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10)
    try:
        connection.request("GET", "/contact")
        response = connection.getresponse()
        form = BeautifulSoup(response.read(), "html.parser")
        fields = {i["name"]: i.get("value", "") for i in form.select('#contact-form input[type="hidden"]')}
        cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        body = urlencode({**fields, "name": "Ada", "email": "ada@example.com", "company": "", "message": text})
        connection.request("POST", "/contact", body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        response = connection.getresponse()
        return response.status, BeautifulSoup(response.read(), "html.parser")
    finally:
        connection.close()


def health(stack: Stack) -> tuple[int, str]:
    status, _, body = get(stack.port, "/healthz")
    return status, body.decode()


def assert_store_down_but_site_up(stack: Stack, problem: str):
    every_page_is_served(stack)
    status, body = health(stack)
    assert status == 503 and json.loads(body)["database"].startswith("not writable: " + problem), body
    status, answer = send_message(stack, "Please keep this text for me.")
    assert status == 503
    assert answer.select_one("#message").get_text() == "Please keep this text for me."
    assert "could not be saved" in answer.select_one('[role="alert"]').get_text()
    return answer


def store_lines(stack: Stack) -> list[bytes]:
    return [line for line in stack.log_path.read_bytes().splitlines() if STORE_LINE in line]


def test_a_full_disk_is_a_503_for_messages_and_health_while_every_page_is_served(tmp_path, mount):
    disk = mount(tmp_path / "disk", "size=3m")
    stack = Stack(tmp_path, database=disk / "messages.db")
    try:
        assert health(stack)[0] == 200
        assert send_message(stack, "The first message, before the disk fills.")[0] == 303
        filler = disk / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], stderr=subprocess.DEVNULL)
        assert_store_down_but_site_up(stack, "the disk is full")
        filler.unlink()  # space again: the store is back without a restart
        assert health(stack)[0] == 200
        assert send_message(stack, "A message once there is room again.")[0] == 303
    finally:
        stack.stop()
    assert len(store_lines(stack)) <= 2  # once per worker that saw it, not once per request


def test_a_corrupt_database_at_start_is_one_log_line_and_the_site_is_served(tmp_path):
    database = tmp_path / "messages.db"
    database.write_bytes(b"this is not a database, it is a file someone overwrote" * 100)
    content = tmp_path / "data"
    shutil.copytree(ROOT / "data", content)
    site = (content / "site.toml").read_text()
    (content / "site.toml").write_text(site.replace('linkedin = ""', 'linkedin = "https://www.linkedin.com/in/harsh-example"'))
    stack = Stack(tmp_path, database=database, CONTENT_DIR=str(content))
    try:
        answer = assert_store_down_but_site_up(stack, "file is not a database")
        # The visitor is told where else to reach the owner: the links the owner has set.
        assert answer.select_one('[role="alert"] a[href="https://www.linkedin.com/in/harsh-example"]')
        assert not answer.select('[role="alert"] a[href^="mailto:"]')  # no e-mail address is set
        [line] = store_lines(stack)
        assert str(database).encode() in line and b"file is not a database" in line
        assert b"Traceback" not in stack.log_path.read_bytes()
        database.unlink()  # the owner moves the broken file aside: the next message creates the store anew
        assert send_message(stack, "A message once the file is gone.")[0] == 303
        assert health(stack)[0] == 200
    finally:
        assert stack.stop() == 0


def test_a_folder_the_server_cannot_write_at_start_is_one_log_line_and_the_site_is_served(tmp_path, mount):
    folder = mount(tmp_path / "read-only", "ro,size=8m")
    stack = Stack(tmp_path, database=folder / "instance" / "messages.db")
    try:
        assert_store_down_but_site_up(stack, "read-only file system")
        [line] = store_lines(stack)
        assert str(folder).encode() in line
        assert b"Traceback" not in stack.log_path.read_bytes()
        # A thousand health checks during the outage add no line besides the request lines.
        before = len(stack.log_path.read_bytes().splitlines())
        for _ in range(1000):
            assert health(stack)[0] == 503
        time.sleep(0.5)
        added = [line for line in stack.log_path.read_bytes().splitlines()[before:] if b" app.requests: " not in line]
        assert added == [], added
        subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)
        assert send_message(stack, "A message once the folder is writable.")[0] == 303
        assert health(stack)[0] == 200
    finally:
        assert stack.stop() == 0


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = Stack(tmp_path_factory.mktemp("resilience"))
    yield running
    running.stop()


def cache_files(stack: Stack) -> int:
    return sum(1 for path in (stack.run_dir / "cache").rglob("*") if path.is_file())


def app_lines(stack: Stack) -> int:
    return sum(b" app.requests: " in line for line in stack.log_path.read_bytes().splitlines())


REAL_REQUESTS = [
    (path, headers)
    for path in ("/", "/work/write")
    for encoding in ("br", "gzip, deflate, br, zstd", "gzip", "identity")
    for headers in ({"Accept-Encoding": encoding},
                    {"Accept-Encoding": encoding, "HX-Request": "true", "HX-Request-Type": "partial"})
]


def flood(port: int, count: int, threads: int = 4):
    def worker(seed: int):
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(count // threads):
            junk = "".join(rng.choices(string.ascii_letters + string.digits + ";=,. ", k=rng.randint(1, 40)))
            headers = {"Accept-Encoding": junk} if rng.random() < 0.5 else {"HX-Request": "true", "HX-Request-Type": junk}
            connection.request("GET", rng.choice(("/", "/work/write")), headers=headers)
            response = connection.getresponse()
            response.read()
            assert response.status == 200
        connection.close()

    pool = [threading.Thread(target=worker, args=(seed,)) for seed in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


def test_twenty_thousand_random_header_values_neither_grow_the_cache_nor_evict_real_pages(stack):
    for path, headers in REAL_REQUESTS:
        assert get(stack.port, path, headers)[0] == 200
    files = cache_files(stack)
    assert 0 < files <= len(REAL_REQUESTS)
    flood(stack.port, 20_000)
    assert cache_files(stack) == files
    # Every real page is still answered from the cache: the app sees none of these.
    time.sleep(0.3)
    seen = app_lines(stack)
    for path, headers in REAL_REQUESTS:
        status, answer, body = get(stack.port, path, headers)
        assert status == 200
    time.sleep(0.3)
    assert app_lines(stack) == seen


def test_any_accept_encoding_gets_an_encoding_it_accepts(stack):
    for sent, expected in [("gzip;q=0, br", "br"), ("br;q=0, gzip", "gzip"), ("br;q=0.5", "br"), ("*", "br"),
                           ("x-unknown", None), ("gzip;q=0", None), ("GZIP", "gzip")]:
        headers = {name.lower(): value for name, value in get(stack.port, "/work/write", {"Accept-Encoding": sent})[1].items()}
        assert headers.get("content-encoding") == expected, sent


def test_an_unknown_htmx_request_type_is_a_fragment_as_in_the_app(stack):
    fragment = get(stack.port, "/work/write", {"HX-Request": "true", "HX-Request-Type": "partial"})[2]
    assert not fragment.startswith(b"<!doctype html>")
    assert get(stack.port, "/work/write", {"HX-Request": "true", "HX-Request-Type": "whatever"})[2] == fragment
    assert get(stack.port, "/work/write", {"HX-Request": "TRUE", "HX-Request-Type": "full"})[2].startswith(b"<!doctype")
    assert get(stack.port, "/work/write", {"HX-Request": "yes"})[2].startswith(b"<!doctype html>")


def test_nginx_workers_never_run_as_root(stack):
    workers = [pid for pid in descendants(stack.process.pid) if command_line(pid).startswith("nginx: worker")]
    assert workers
    for pid in workers:
        uid = int(next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                       if line.startswith("Uid:")).split()[1])
        assert uid != 0 if os.getuid() == 0 else uid == os.getuid()


def assert_the_sites_own_error_page(body: bytes, status: int):
    page = BeautifulSoup(body, "html.parser")
    assert page.select_one("p.eyebrow").get_text() == f"Error {status}"
    assert page.select_one('link[rel="stylesheet"]')["href"].startswith("/static/")
    assert b"nginx" not in body.lower()


def test_nginxs_414_and_429_are_the_sites_own_pages(stack):
    status, headers, body = get(stack.port, "/?" + "a" * 20_000)
    assert status == 414
    assert_the_sites_own_error_page(body, 414)
    slow = SlowBodies(stack.port, 40, "127.0.0.5")
    try:
        time.sleep(0.5)
        status, headers, body = get(stack.port, "/", source="127.0.0.5")
    finally:
        slow.close()
    assert status == 429
    assert_the_sites_own_error_page(body, 429)


def test_nginxs_log_is_escaped_and_refusals_are_counted_not_written_one_by_one(tmp_path):
    own = Stack(tmp_path)
    try:
        for _ in range(200):  # a body over nginx's 128 KB: refused, and each refusal is an error-log line
            connection = http.client.HTTPConnection("127.0.0.1", own.port, timeout=10)
            connection.request("POST", "/contact", b"x" * 200_000, {"Host": "harsh\u202e.example".encode().decode("latin-1")})
            assert connection.getresponse().status == 413
            connection.close()
        time.sleep(0.5)
        assert b"too large body" not in own.log_path.read_bytes()
    finally:
        assert own.stop() == 0
    log = own.log_path.read_bytes()
    [summary] = [line for line in log.splitlines() if b"nginx refused" in line]
    assert b"nginx refused 200 request(s)" in summary
    assert "\u202e".encode() not in log


def test_nginxs_error_lines_are_escaped_like_the_apps():
    from deploy.nginx import ErrorLog

    read, write = os.pipe()
    out = io.StringIO()
    error_log = ErrorLog(os.fdopen(read, "rb"), out)
    # What nginx writes when a request fails upstream: the request line and Host exactly as sent.
    os.write(write, b'2026/12/06 05:16:08 [error] 22700#22700: *147 recv() failed (104: Connection reset by peer) '
                    b'while reading response header from upstream, client: 127.0.0.1, server: , '
                    b'request: "GET /\xe2\x80\xae\xc2\x85\xff HTTP/1.1", host: "a\x1bb"\n')
    os.close(write)
    error_log.thread.join(5)
    assert out.getvalue().endswith('request: "GET /\\u202e\\x85\\udcff HTTP/1.1", host: "a\\x1bb"\n')
