"""nginx as the stack runs it (deploy/stack.py): its configuration, the files it
serves from disk, and its error log.

The configuration is deploy/nginx.conf.template with the stack's settings filled
in; every value comes from app/config.py, which has checked it (a host, a port,
pages or off), so nothing a setting says can add a directive.
"""

import grp
import os
import pwd
import subprocess
import sys
import threading
import time
from pathlib import Path
from string import Template

# The app's own code: nginx serves the very bytes the app would, and its log
# lines are escaped as the app's are.
from app.assets import Assets
from app.config import ROOT, Stack
from app.requestlog import printable
from app.responses import gzipped

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
HTTP_TEMPLATE = ROOT / "deploy" / "nginx-http.conf.template"
TLS_TEMPLATE = ROOT / "deploy" / "nginx-tls.conf.template"
# When started as root, nginx's workers run as the first of these that exists.
WORKER_USERS = ("www-data", "nobody")
# nginx's error-log messages for requests it refused: counted, not written one by one.
# So are failures to reach granian while it restarts: nginx answers those from its cache, or with a 502.
REFUSALS = ("limiting connections by zone", "client intended to send too large body", "while connecting to upstream")
REFUSALS_EVERY_SECONDS = 60


def render_config(template: Path = TEMPLATE, **values: str) -> str:
    """The template with each ${NAME} filled in; nginx's own $variables stay."""
    text = template.read_text()
    rendered = Template(text).safe_substitute(values)
    missing = [name for name in Template(text).get_identifiers() if name.isupper() and name not in values]
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}")
    return rendered


def address(host: str, port: int) -> str:
    """host:port as nginx's listen takes it (an IPv6 address in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def worker_user() -> tuple[str, str]:
    """nginx's workers' user and group: this user, or an unprivileged one when this is root."""
    if os.getuid() != 0:
        user = pwd.getpwuid(os.getuid())
    else:
        user = next(pwd.getpwnam(name) for name in WORKER_USERS if name in {u.pw_name for u in pwd.getpwall()})
    return user.pw_name, grp.getgrgid(user.pw_gid).gr_name


def write_static(run_dir: Path) -> None:
    """static/ under the app's own hashed names, each with a .gz copy when that is smaller."""
    assets = Assets(ROOT / "static")
    static = run_dir / "static"
    for name, hashed in assets.hashed_names.items():
        body, content_type = assets.bodies[name]
        path = static / hashed
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        packed = gzipped(body, content_type)
        if packed is not None:
            path.with_name(path.name + ".gz").write_bytes(packed)
    # Readable by nginx's workers; the run folder above keeps its own mode.
    for path in [static, *static.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def write_error_pages(run_dir: Path, environ) -> None:
    """nginx's own error pages (errors/400.html ...), rendered by the app's error template."""
    subprocess.run([sys.executable, "-m", "flask", "error-pages", str(run_dir / "errors")],
                   cwd=ROOT, env=environ, check=True)


def write_config(run_dir: Path, chosen: Stack, certificate, socket_path: Path) -> str:
    """nginx.conf and its two TLS parts; the address the site is served on."""
    listen, http_part, tls_part = address(chosen.host, chosen.port), "# TLS=off\n", "# TLS=off\n"
    if certificate is not None:
        http_part = render_config(HTTP_TEMPLATE, LISTEN=listen, ACME_WEBROOT=str(run_dir / "acme"),
                                  SITE_URL=chosen.tls.site_url)
        paths = certificate.paths()
        if paths:
            listen = f"{address(chosen.host, chosen.https_port)} ssl http2"
            tls_part = render_config(TLS_TEMPLATE, CERTIFICATE=str(paths[0]), CERTIFICATE_KEY=str(paths[1]))
        else:
            # No certificate yet (a first start): PORT serves the challenges, and the
            # site waits on a socket nobody connects to until the certificate arrives.
            listen = f"unix:{run_dir / 'https-pending.sock'}"
    (run_dir / "http.conf").write_text(http_part)
    (run_dir / "tls.conf").write_text(tls_part)
    user, group = worker_user()
    (run_dir / "nginx.conf").write_text(render_config(
        USER=user,
        GROUP=group,
        RUN_DIR=str(run_dir),
        LISTEN=listen,
        UPSTREAM=f"unix:{socket_path}",
        STATIC_ROOT=str(run_dir),
        PROXY_CACHE=chosen.proxy_cache,
    ))
    return listen


def command(chosen: Stack, run_dir: Path, *options: str) -> list[str]:
    return [chosen.nginx, "-e", "stderr", "-p", str(run_dir), "-c", str(run_dir / "nginx.conf"), *options]


class ErrorLog:
    """nginx's error log, read from its standard error: lines escaped, refusals counted."""

    def __init__(self, stream, out=sys.stderr):
        self.stream, self.out = stream, out
        self.refused: dict[str, int] = {}
        self.since = time.monotonic()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self) -> None:
        for raw in self.stream:
            line = printable(raw.rstrip(b"\n").decode("utf-8", "surrogateescape"))
            refusal = next((kind for kind in REFUSALS if kind in line), None)
            with self.lock:
                if refusal:
                    self.refused[refusal] = self.refused.get(refusal, 0) + 1
                else:
                    print(line, file=self.out, flush=True)
            self.count_refusals()

    def count_refusals(self, final: bool = False) -> None:
        """One line for the refusals since the last one, at most every REFUSALS_EVERY_SECONDS."""
        with self.lock:
            elapsed = time.monotonic() - self.since
            if not self.refused or (elapsed < REFUSALS_EVERY_SECONDS and not final):
                return
            kinds = ", ".join(f"{kind}: {count}" for kind, count in self.refused.items())
            print(f"stack: nginx refused {sum(self.refused.values())} request(s) in {elapsed:.0f} s ({kinds})",
                  file=self.out, flush=True)
            self.refused, self.since = {}, time.monotonic()
