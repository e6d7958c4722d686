"""The stack `make serve` runs (python -m deploy.stack: real nginx in front of
real granian), started for a test on loopback: plain (Stack) or with TLS
(TlsStack, its certificate from a real ACME CA), and a GET to ask it things."""

import http.client
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509

from app.config import ROOT
from tests.acme import wait_until
from tests.processes import command_line, descendants, free_port


def get(port: int, path: str = "/", headers: dict | None = None, source: str = "127.0.0.1", method: str = "GET"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


class Stack:
    def __init__(self, tmp: Path, database: Path | None = None, **settings: str):
        self.port = free_port()
        self.secret = secrets.token_hex(16)
        self.database = database or tmp / "messages.db"
        env = {
            **os.environ,
            "APP_ENV": "production",
            "SECRET_KEY": self.secret,
            "SITE_URL": "https://harsh.example",
            "DATABASE_PATH": str(self.database),
            "CONTACT_RATE_LIMIT": "off",
            "CONTACT_MIN_SECONDS": "0",
            "PORT": str(self.port),
            "WORKERS": "2",
            **settings,
        }
        self.log_path = tmp / "stack.log"
        self.log = open(self.log_path, "wb")
        # What `make serve` runs.
        self.process = subprocess.Popen([sys.executable, "-m", "deploy.stack"], cwd=ROOT, env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get(self.port, "/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        pytest.fail("the stack did not start: " + (tmp / "stack.log").read_text())

    @property
    def run_dir(self) -> Path:
        """The stack's private folder: nginx's -p argument."""
        nginx = next(pid for pid in descendants(self.process.pid) if command_line(pid).startswith("nginx: master"))
        return Path(command_line(nginx).split(" -p ", 1)[1].split()[0])

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(45)
        self.log.close()
        return code


class SlowBodies:
    """Connections that each announce a 60,000-byte POST and send one byte a second."""

    def __init__(self, port: int, count: int, source: str):
        self.sockets = []
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
            s.sendall(b"POST /contact HTTP/1.1\r\nHost: harsh.example\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 60000\r\n\r\n")
            self.sockets.append(s)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.drip, daemon=True)
        self.thread.start()

    def drip(self):
        while not self.stopped.wait(1.0):
            for s in self.sockets:
                try:
                    s.send(b"x")
                except OSError:
                    pass  # refused or closed by nginx

    def refused(self) -> int:
        """How many were answered 429 (too many from one address) instead of being read."""
        count = 0
        for s in self.sockets:
            s.setblocking(False)
            try:
                count += s.recv(64).startswith(b"HTTP/1.1 429")
            except OSError:
                pass
        return count

    def close(self):
        self.stopped.set()
        self.thread.join()
        for s in self.sockets:
            s.close()


NAME = "portfolio.test"


class TlsStack:
    """`python -m deploy.stack` (what `make serve` runs) with TLS on, on loopback."""

    def __init__(self, folder: Path, port: int, state: Path, **settings: str):
        folder.mkdir(parents=True, exist_ok=True)
        self.port, self.https_port = port, free_port()
        self.site_url = f"https://{NAME}:{self.https_port}"
        self.database = folder / "messages.db"
        self.environ = {
            **os.environ, "APP_ENV": "production", "SECRET_KEY": "s" * 32, "SITE_URL": self.site_url,
            "DATABASE_PATH": str(self.database), "CONTACT_RATE_LIMIT": "off", "CONTACT_MIN_SECONDS": "0",
            "NOTIFY_URLS": "", "WORKERS": "1", "PORT": str(port), "HTTPS_PORT": str(self.https_port),
            "STATE_DIR": str(state), "TLS": "acme", **settings,
        }
        self.log_path = folder / "stack.log"
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "deploy.stack"], cwd=ROOT, env=self.environ,
                                        stdout=self.log, stderr=self.log)
        wait_until(lambda: self.plain_answers() or self.process.poll() is not None, 60, "the stack did not start")
        assert self.process.poll() is None, self.output()

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def plain_answers(self) -> bool:
        try:
            return get(self.port, "/.well-known/acme-challenge/nothing")[0] == 404
        except OSError:
            return False

    def served_certificate(self, root: bytes | None = None) -> x509.Certificate | None:
        """The leaf served on HTTPS_PORT for portfolio.test, or None while nothing is served there."""
        context = client_context(root)
        try:
            with socket.create_connection(("127.0.0.1", self.https_port), timeout=5) as raw:
                with context.wrap_socket(raw, server_hostname=NAME) as tls:
                    return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
        except (OSError, ssl.SSLError):
            return None

    def wait_for_certificate(self, other_than: int | None = None, timeout: float = 60) -> x509.Certificate:
        def served():
            certificate = self.served_certificate()
            return certificate is not None and certificate.serial_number != other_than
        wait_until(served, timeout, "no new certificate served: " + self.output()[-3000:])
        return self.served_certificate()

    def hang_up(self) -> None:
        self.process.send_signal(signal.SIGHUP)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(60)
        self.log.close()
        return code


def client_context(root: bytes | None = None, **versions) -> ssl.SSLContext:
    """Trusts `root` alone (or nothing: no verification), as a browser trusting only that CA would."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if root is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context.load_verify_locations(cadata=root.decode())
    for name, version in versions.items():
        setattr(context, name, version)
    return context
