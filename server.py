"""The app server: granian's WSGI workers, configured here.

    make serve-granian                          # 127.0.0.1:8000, one worker per CPU
    HOST=0.0.0.0 PORT=8080 WORKERS=4 make serve-granian
    SOCKET=/run/portfolio/app.sock python server.py   # how make serve runs it, behind nginx

Granian was chosen by measurement (BENCHMARKS.md). Only this file knows it is
granian: the app itself is plain WSGI (wsgi:app).
"""

import os
from pathlib import Path

from granian import Granian
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings

# The app writes the access log itself (app/requestlog.py: method, path, status,
# duration and the request id it also sends back), so granian's own is off and
# every request is one line. Everything goes to standard error, for the
# service manager or container runtime to collect.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "loggers": {
        name: {"handlers": ["stderr"], "level": "INFO", "propagate": False}
        for name in ("_granian", "granian.access", "app")
    },
}


def cpu_count() -> int:
    # The CPUs this process may use (a container's limit), not all the machine has.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def listen_on(environ) -> dict:
    if environ.get("SOCKET"):
        # Behind nginx: a unix socket that only this user (and so nginx's workers) may use.
        # SOCKET_MODE: make serve puts the socket in a folder that decides who may connect.
        return {"uds": Path(environ["SOCKET"]), "uds_permissions": int(environ.get("SOCKET_MODE", "600"), 8)}
    return {"address": environ.get("HOST", "127.0.0.1"), "port": int(environ.get("PORT", "8000"))}


def settings(environ=os.environ) -> dict:
    return {
        "target": "wsgi:app",
        "interface": Interfaces.WSGI,
        "http": HTTPModes.http1,  # a TLS-terminating proxy or CDN speaks HTTP/2 to browsers
        "websockets": False,
        **listen_on(environ),
        "workers": int(environ.get("WORKERS") or cpu_count()),
        # One Python thread per worker: measured, it serves cached pages fastest and
        # with the steadiest p99; more threads only fight over the GIL (BENCHMARKS.md).
        "blocking_threads": 1,
        # A slow client may not hold a worker's connection open forever.
        "http1_settings": HTTP1Settings(header_read_timeout=10_000),
        # A worker that dies is replaced; the others keep serving meanwhile.
        "respawn_failed_workers": True,
        "respawn_interval": 1.0,
        # On SIGTERM or SIGINT, workers finish the requests they hold; after 30 s they are killed.
        "workers_kill_timeout": 30,
        "log_access": False,
        "log_dictconfig": LOGGING,
    }


def check_message_store(environ=os.environ) -> None:
    """Say once, before the workers start, what is wrong with the message store, if anything;
    the site is served either way (app/contact/storage.py)."""
    from app import config
    from app.contact import storage

    path = Path(environ.get("DATABASE_PATH") or config.ROOT / "instance" / "messages.db")
    problem = storage.check(path)
    if problem:
        storage.log_problem(path, problem)
    environ[storage.CHECKED_AT_START] = "1"


if __name__ == "__main__":
    server = Granian(**settings())
    server.on_startup(check_message_store)
    server.serve()
