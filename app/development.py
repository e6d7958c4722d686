"""`make run`: a development server that follows every edit.

Each request first compares the files under the content folder, templates/
and static/ with what was seen last (names, sizes, modification times: a
fraction of a millisecond for this site). When anything was added, changed
or deleted, the whole site is read again into a new ``Site`` (app/site.py:
content, static files and their hashed names, pictures, empty caches for
rendered pages and the CV's exports) and swapped in with one assignment, in
this process, without a restart: a new project file is a page on the next
request. Python code is still werkzeug's reloader's to watch.

Why not let that reloader restart on every edit: its stat loop watches a list
of files fixed at start-up (a new project file is missed), its watchdog loop
is another dependency and only matches *.py and named files, each restart
drops the site for a moment, and a restart on invalid content exits.

While the content has errors, every request gets a page listing them in the
words of `flask content check`, and the site comes back on the first request
after they are fixed. Only in development: in production invalid content
stops start-up (app/site_loader.py) and files are read once.
"""

import dataclasses
import logging
import os
import re
import threading
import time
from html import escape
from pathlib import Path
from urllib.parse import parse_qs

from flask import Flask
from flask.logging import default_handler

from .config import ROOT
from .contact import delivery
from .content import ContentError
from .requestlog import log_request, request_id
from .site import site_of, use_site
from .site_loader import load_site

log = logging.getLogger("app.development")

# The long poll through which an open page hears of an edit (static/js/dev-reload.js):
# served by FollowEdits, so it exists only where edits are followed, never in production.
CHANGES_PATH = "/__dev/changes"
POLL_SECONDS = 25.0
POLL_INTERVAL = 0.2
# Werkzeug's own access line ("127.0.0.1 - - [date] "GET / HTTP/1.1" 200 -"): app/requestlog.py
# already writes one line per request, with its time and id.
WERKZEUG_ACCESS_LINE = re.compile(r'^\S+ - - \[[^]]*\] "')


def drop_werkzeug_access_lines(record: logging.LogRecord) -> bool:
    return not WERKZEUG_ACCESS_LINE.match(record.getMessage())


def snapshot(folders: list[Path]) -> frozenset:
    """Every file under these folders, as (path, size, modification time)."""
    seen = set()
    for folder in folders:
        for directory, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(directory, name)
                try:
                    stat = os.stat(path)
                except FileNotFoundError:  # deleted while we looked: the next request sees it gone
                    continue
                seen.add((path, stat.st_size, stat.st_mtime_ns))
    return frozenset(seen)


def content_errors_page(errors: tuple[str, ...], following: bool) -> bytes:
    items = "\n".join(f"<li>{escape(line)}</li>" for line in errors)
    if following:
        refresh = '<meta http-equiv="refresh" content="2">\n'
        next_step = "Fix the files and the site comes back by itself: this page reloads every 2 seconds."
    else:
        refresh = ""
        next_step = "Fix the files, then restart the server (<code>make run</code> follows edits by itself)."
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{refresh}<title>Content errors</title>
</head>
<body style="font: 1rem/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem">
<h1>Content errors:</h1>
<ul>
{items}
</ul>
<p>{next_step} <code>flask content check</code> prints the same list. The production server does not start on invalid content.</p>
</body>
</html>
""".encode()


class FollowEdits:
    """WSGI middleware: under `make run`, follow edits; while the content has errors, list them."""

    def __init__(self, app: Flask, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.following = app.debug and app.config["APP_ENV"] != "production"
        self.folders = [Path(app.config["CONTENT_DIR"]), Path(app.template_folder), ROOT / "static"]
        self.seen = snapshot(self.folders) if self.following else frozenset()
        self.version = 0  # edits seen so far: what an open page's long poll compares
        self.lock = threading.Lock()

    def follow(self) -> None:
        with self.lock:
            now = snapshot(self.folders)
            if now != self.seen:
                self.reload()  # an unexpected error leaves seen as it was: the next request tries again
                self.seen = now
                self.version += 1

    def changes(self, environ, start_response):
        """GET /__dev/changes?since=N: answers the edit count at once when it is not N,
        else when an edit arrives or after POLL_SECONDS (a long poll; dev-reload.js asks again)."""
        since = parse_qs(environ.get("QUERY_STRING", "")).get("since", [""])[0]
        deadline = time.monotonic() + POLL_SECONDS
        self.follow()
        while since == str(self.version) and time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL)
            self.follow()
        body = str(self.version).encode()
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                                  ("Cache-Control", "no-store")])
        return [body]

    def __call__(self, environ, start_response):
        if self.following and environ.get("PATH_INFO") == CHANGES_PATH:
            return self.changes(environ, start_response)
        if self.following:
            self.follow()
        errors = site_of(self.app).errors
        if not errors:
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        rid = request_id(environ.get("HTTP_X_REQUEST_ID"))
        body = content_errors_page(errors, self.following)
        start_response("500 Internal Server Error", [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("X-Request-ID", rid),
        ])
        log_request(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), 500, started, rid)
        return [body]

    def reload(self) -> None:
        """Swap in a whole new site; while data/ is invalid, keep the last good one, with its errors."""
        old = site_of(self.app)
        try:
            new = load_site(self.app, old.url_setting)
        except ContentError as error:
            errors = tuple(error.errors)
            if errors != old.errors:
                log.warning("Content errors:\n%s", "\n".join(f"  - {line}" for line in errors))
            use_site(self.app, dataclasses.replace(old, errors=errors))
            return
        if old.errors:
            log.info("The content is valid again.")
        use_site(self.app, new)


def init_app(app: Flask) -> None:
    if app.config["APP_ENV"] == "production" and not site_of(app).errors:
        return
    if app.debug and default_handler not in logging.getLogger("app").handlers:
        # `flask run` configures no logging: without this, the request log (app/requestlog.py) is silent.
        logging.getLogger("app").addHandler(default_handler)
    follower = FollowEdits(app, app.wsgi_app)
    app.wsgi_app = follower
    if follower.following:
        logging.getLogger("werkzeug").addFilter(drop_werkzeug_access_lines)
        app.jinja_env.globals["dev_reload"] = True  # base.html adds static/js/dev-reload.js
        log.info("Following edits under %s: open pages reload by themselves. %s",
                 ", ".join(str(folder) for folder in follower.folders), delivery.describe(app))
