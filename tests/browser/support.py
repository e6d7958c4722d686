"""Chromium and a live server for the browser tests (and scripts/screenshots.py)."""

import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

from app import create_app

# Without these, Chromium keeps trying to reach Google's services, which this
# machine's closed network refuses, many times a run.
QUIET_FLAGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-gpu",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        raise RuntimeError(
            "No Chromium found. Install Debian's 'chromium' package (make test does this as root) "
            "or set CHROMIUM_PATH to a Chromium or Chrome executable."
        )
    return path


def chromium_launch_args() -> dict:
    flags = list(QUIET_FLAGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return {"executable_path": chromium_path(), "args": flags}


@contextmanager
def live_server(app=None):
    """Serve ``app`` (by default a test app on a throw-away database) on a free loopback port."""
    if app is None:
        from tests.apps import app_settings

        scratch = tempfile.TemporaryDirectory()
        app = create_app(app_settings(Path(scratch.name)))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
