"""The app server: granian's WSGI workers, configured here.

    make serve-granian                          # 127.0.0.1:8000, one worker per CPU
    HOST=0.0.0.0 PORT=8080 WORKERS=4 make serve-granian
    SOCKET=/run/portfolio/app.sock python server.py   # how make serve runs it, behind nginx

Granian was chosen by measurement (BENCHMARKS.md). Only this file knows it is
granian: the app itself is plain WSGI (wsgi:app).
"""

import os
import sys

from granian import Granian
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings

from app import config

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


def listen_on(chosen: config.Server) -> dict:
    if chosen.socket:
        # Behind nginx: a unix socket that only this user (and so nginx's workers) may use.
        # SOCKET_MODE: make serve puts the socket in a folder that decides who may connect.
        return {"uds": chosen.socket, "uds_permissions": chosen.socket_mode}
    return {"address": chosen.host, "port": chosen.port}


def settings(environ=os.environ) -> dict:
    """granian's arguments; ConfigError names a setting that cannot work."""
    chosen = config.server_settings(environ)
    return {
        "target": "wsgi:app",
        "interface": Interfaces.WSGI,
        "http": HTTPModes.http1,  # a TLS-terminating proxy or CDN speaks HTTP/2 to browsers
        "websockets": False,
        **listen_on(chosen),
        "workers": chosen.workers,
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
    from app.contact import storage

    path = config.default_database_path(environ)
    problem = storage.check(path)
    if problem:
        storage.log_problem(path, problem)
    config.mark_message_store_checked(environ)


if __name__ == "__main__":
    try:
        config.from_environment()  # the app's settings too: each worker would otherwise refuse them alone
        server = Granian(**settings())
    except config.ConfigError as error:
        sys.exit(f"Cannot start: {error}")  # a sentence, not a traceback
    server.on_startup(check_message_store)
    server.serve()
