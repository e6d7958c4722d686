"""make bench-contact: POST /contact throughput and latency, notifications off and on.

Starts the production server (server.py: granian, WORKERS as `make serve`) on a
throw-away database twice: once without NOTIFY_URLS, once telling a local JSON
webhook (json://, the receiver in tests/receivers.py) of every message. Each run is wrk
posting a new message per request (rate limit off) for DURATION on loopback;
after the run with notifications the script waits until every stored message's
notification has arrived, and says how long that took and how many arrived.

    DURATION=8s CONNECTIONS=16 make bench-contact
"""

import http.client
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from app.config import server_settings  # noqa: E402
from tests.processes import free_port  # noqa: E402
from tests.receivers import Webhook  # noqa: E402  (the owner's webhook: a real HTTP server on loopback)

DURATION = os.environ.get("DURATION", "8s")
CONNECTIONS = os.environ.get("CONNECTIONS", "16")
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

POST_LUA = """
local counter = 0
local thread_id = 0
setup = function(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
request = function()
  counter = counter + 1
  local key = string.format("bench-%02d-%024d", tid, counter)
  local body = "csrf_token=TOKEN&submission_key=" .. key ..
    "&rendered_at=&website=&name=Load+Test&email=load%40example.com&company=&message=A+benchmark+message+" .. counter
  return wrk.format("POST", "/contact", {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "COOKIE"}, body)
end
"""


def start_server(work: Path, notify_urls: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "DATABASE_PATH": str(work / "messages.db"), "CONTACT_RATE_LIMIT": "off", "CONTACT_MIN_SECONDS": "0",
           "HOST": "127.0.0.1", "PORT": str(port), "NOTIFY_URLS": notify_urls,
           "SITE_URL": f"http://127.0.0.1:{port}"}
    process = subprocess.Popen([sys.executable, "server.py"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=open(work / "server.log", "w"))
    for _ in range(300):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit("the server did not start:\n" + (work / "server.log").read_text())


def wrk_post(work: Path, port: int) -> tuple[float, float, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/contact")
    response = connection.getresponse()
    token = TOKEN.search(response.read().decode()).group(1)
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    script = work / "post.lua"
    script.write_text(POST_LUA.replace("TOKEN", token).replace("COOKIE", cookie))
    output = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", "-s", str(script), f"http://127.0.0.1:{port}/contact"],
        capture_output=True, text=True, check=True,
    ).stdout

    def ms(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    return rps, p50, p99


def stored(work: Path) -> int:
    connection = sqlite3.connect(work / "messages.db")
    try:
        return connection.execute("SELECT count(*) FROM messages").fetchone()[0]
    finally:
        connection.close()


def run(notify: bool) -> str:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        receiver = Webhook().start() if notify else None
        process, port = start_server(work, receiver.url if receiver else "")
        try:
            rps, p50, p99 = wrk_post(work, port)
            time.sleep(1)  # requests wrk left in flight are still being stored
            messages = stored(work)
            note = f"{messages} stored"
            if receiver:
                finished = time.monotonic()
                while len(receiver.received) < messages and time.monotonic() - finished < 120:
                    time.sleep(0.1)
                    messages = stored(work)
                note = f"{messages} stored; {len(receiver.received)} notifications arrived, the last {time.monotonic() - finished + 1:.1f} s after the load ended"
                retried = (work / "server.log").read_text().count("will be retried")
                if retried:
                    note += f"; {retried} deliveries retried (a reply slower than Apprise's timeout: sent again)"
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
            if receiver:
                receiver.stop()
    label = "notifications on (json:// webhook on loopback)" if notify else "notifications off"
    return f"| POST /contact, {label} | {rps:.0f} | {p50:.2f} | {p99:.2f} | {note} |"


def main():
    print("| run | requests/s | p50 ms | p99 ms | messages |")
    print("| --- | ---: | ---: | ---: | --- |")
    print(run(notify=False), flush=True)
    print(run(notify=True), flush=True)
    workers = server_settings().workers  # as server.py reads WORKERS
    print(f"\n{os.cpu_count()} cores; wrk -t2 -c{CONNECTIONS} -d{DURATION} on loopback; server.py with {workers} granian workers.")


if __name__ == "__main__":
    main()
