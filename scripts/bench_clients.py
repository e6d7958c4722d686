"""Background traffic for make bench (scripts/bench.sh), on loopback, bounded in time.

    bench_clients.py posts PORT RATE SECONDS    # contact-form messages at RATE per second
    bench_clients.py slow PORT COUNT SECONDS    # COUNT connections sending a POST body one byte a second

Slow clients come from 127.0.0.2, as from another machine: nginx limits
connections per address, and the load being measured comes from 127.0.0.1.
"""

import http.client
import re
import secrets
import socket
import sys
import threading
import time
from urllib.parse import urlencode


def posts(port: int, rate: float, seconds: float, senders: int = 4) -> None:
    """RATE messages a second in all, from a few connections, so one slow commit does not hold the others back."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/contact")
    response = connection.getresponse()
    page = response.read().decode()
    fields = dict(re.findall(r'name="(csrf_token|rendered_at)" type="hidden" value="([^"]*)"', page))
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + seconds

    def send(offset: float) -> None:
        sender = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        next_at = time.monotonic() + offset
        while time.monotonic() < deadline:
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += senders / rate
            body = urlencode({**fields, "submission_key": secrets.token_urlsafe(24), "website": "", "name": "Load Test",
                              "email": "load@example.com", "company": "", "message": "A benchmark message."})
            sender.request("POST", "/contact", body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
            answer = sender.getresponse()
            answer.read()
            statuses[answer.status] = statuses.get(answer.status, 0) + 1

    threads = [threading.Thread(target=send, args=(i / rate,)) for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"posts: {statuses} in {seconds:.0f} s", file=sys.stderr)


def slow(port: int, count: int, seconds: float) -> None:
    clients = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0))
        s.sendall(b"POST /contact HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 60000\r\n\r\n")
        clients.append(s)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(1)
        for s in clients:
            try:
                s.send(b"x")
            except OSError:
                pass
    for s in clients:
        s.close()


if __name__ == "__main__":
    kind, port, amount, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    posts(port, amount, seconds) if kind == "posts" else slow(port, int(amount), seconds)
