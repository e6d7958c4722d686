"""Real receivers on loopback for the owner's notifications: an SMTP server
(aiosmtpd) and an HTTP server for Apprise's json:// webhooks.

scripts/bench_contact.py uses the webhook too, with only the site's own
requirements installed: aiosmtpd is imported where the SMTP server starts.
"""

import asyncio
import email
import email.policy
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.processes import free_port

OWNER = "owner@example.com"
SITE = "site@example.com"






class Mailbox:
    """An SMTP server that keeps every message it accepts, raw.

    ``hold()`` makes it sit on the next message without answering until
    ``release()``: a mail server that hangs mid-send. A held message whose
    sender has gone meanwhile is not kept: the sender never heard it was accepted.
    """

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.received: list[tuple[list[str], bytes]] = []
        self.holding = threading.Event()  # set while a message is held unanswered
        self._hold = False
        self._released = None
        self.controller = None

    # aiosmtpd calls this for each message.
    async def handle_DATA(self, server, session, envelope):
        if self._hold and not self.holding.is_set():
            self.holding.set()
            while self._hold:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)  # a sender that vanished meanwhile: its end of file cancels this handler
        self.received.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted"

    def start(self) -> "Mailbox":
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def hold(self):
        self._hold = True

    def release(self):
        self._hold = False

    def url(self, **params) -> str:
        query = "&".join(f"{k}={v}" for k, v in {"from": SITE, "to": OWNER, **params}.items())
        return f"mailto://127.0.0.1:{self.port}?{query}"

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(raw, policy=email.policy.default) for _, raw in self.received]


class Webhook:
    """An HTTP server that keeps every JSON body posted to it."""

    def __init__(self):
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "Webhook":
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/notify"


class SilentServer:
    """Accepts TCP connections and never says a word: a hung SMTP server."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.connections = []
        self.thread = threading.Thread(target=self.accept, daemon=True)

    def accept(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections.append(connection)

    def start(self) -> "SilentServer":
        self.thread.start()
        return self

    def stop(self):
        self.socket.close()
        for connection in self.connections:
            connection.close()
