"""The production stack in the foreground: nginx in front of granian.

    make serve                      # http://127.0.0.1:8000; HOST, PORT, WORKERS override
    TLS=acme SITE_URL=https://example.com HOST=0.0.0.0 PORT=80 make serve   # and HTTPS on 443

Renders deploy/nginx.conf.template into a private run directory, writes the
static files there under their hashed names (with gzip copies) for nginx to
serve, starts granian (server.py) on a unix socket in that directory and nginx
on HOST:PORT. SIGTERM or Ctrl-C stops both gracefully. If granian exits
(its own "crash loop detected", say), it is started again after a back-off
while nginx keeps answering from its cache; when the back-off gives up, or
nginx exits, the other is stopped too and this exits non-zero, for a
supervisor (systemd, compose) to start everything again.

nginx's error log passes through here: each line escaped like the app's
(app/requestlog.py), and its refusals (429, 413, the app unreachable) counted,
one line a minute.

TLS chooses how HTTPS is served (deploy/tls.py): off (plain HTTP on HOST:PORT),
acme (a certificate for SITE_URL's host, obtained and renewed by certbot) or
files (TLS_CERT and TLS_KEY). With TLS on, PORT answers ACME's challenges and
redirects the rest to SITE_URL, and HTTPS_PORT serves the site. SIGHUP checks
the certificate at once (and re-reads TLS=files certificates).
"""

import grp
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from string import Template

from app.assets import Assets
from app.config import ROOT
from app.requestlog import printable
from app.responses import gzipped
from deploy import tls

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
HTTP_TEMPLATE = ROOT / "deploy" / "nginx-http.conf.template"
TLS_TEMPLATE = ROOT / "deploy" / "nginx-tls.conf.template"
# How each child is stopped, in start order (granian, nginx), and how long it may take:
# granian gives requests in progress 30 s (server.py); nginx, a slow body 10 s (the template).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGQUIT)
STOP_SECONDS = (35, 15)
# Waits before each restart of a granian that exited; one that ran for HEALTHY_SECONDS
# starts the back-off afresh. After the last wait's restart fails too, the stack exits.
RESTART_DELAYS = (0.5, 1, 2, 4, 8, 16)
HEALTHY_SECONDS = 60
# nginx's error-log messages for requests it refused: counted, not written one by one.
# So are failures to reach granian while it restarts: nginx answers those from its cache, or with a 502.
REFUSALS = ("limiting connections by zone", "client intended to send too large body", "while connecting to upstream")
REFUSALS_EVERY_SECONDS = 60
# When started as root, nginx's workers run as the first of these that exists.
WORKER_USERS = ("www-data", "nobody")


def render_config(template: Path = TEMPLATE, **values: str) -> str:
    """The template with each ${NAME} filled in; nginx's own $variables stay."""
    text = template.read_text()
    rendered = Template(text).safe_substitute(values)
    missing = [name for name in Template(text).get_identifiers() if name.isupper() and name not in values]
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}")
    return rendered


def write_static(destination: Path) -> None:
    """static/ under the app's own hashed names, each with a .gz copy when that is smaller."""
    assets = Assets(ROOT / "static")
    for name, hashed in assets.hashed_names.items():
        body, content_type = assets.bodies[name]
        path = destination / "static" / hashed
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        packed = gzipped(body, content_type)
        if packed is not None:
            path.with_name(path.name + ".gz").write_bytes(packed)
    for folder in [destination, *destination.rglob("*")]:
        folder.chmod(0o755 if folder.is_dir() else 0o644)


def write_error_pages(destination: Path, environ) -> None:
    """nginx's own error pages (errors/400.html ...), rendered by the app's error template."""
    subprocess.run([sys.executable, "-m", "flask", "error-pages", str(destination / "errors")],
                   cwd=ROOT, env=environ, check=True)


def answers(socket_path: Path) -> bool:
    """The app answers HTTP: any status, since /healthz is 503 while the message store is down and pages are not."""
    connection = http.client.HTTPConnection("localhost", timeout=2)
    connection.sock = socket.socket(socket.AF_UNIX)
    try:
        connection.sock.settimeout(2)
        connection.sock.connect(str(socket_path))
        connection.request("GET", "/healthz")
        return connection.getresponse().status > 0
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def worker_user() -> tuple[str, str]:
    """nginx's workers' user and group: this user, or an unprivileged one when this is root."""
    if os.getuid() != 0:
        user = pwd.getpwuid(os.getuid())
    else:
        user = next(pwd.getpwnam(name) for name in WORKER_USERS if name in {u.pw_name for u in pwd.getpwall()})
    return user.pw_name, grp.getgrgid(user.pw_gid).gr_name


class Supervised:
    """A child process started again after a back-off each time it exits, until the back-off gives up."""

    def __init__(self, name: str, command: list[str], delays=RESTART_DELAYS, leftovers: tuple[Path, ...] = (), **kwargs):
        self.name, self.command, self.delays, self.kwargs = name, command, delays, kwargs
        self.leftovers = leftovers  # files a killed process leaves that would stop the next one (its socket)
        self.failures = 0
        self.process = self.start()

    def start(self) -> subprocess.Popen:
        self.started = time.monotonic()
        return start(self.command, **self.kwargs)

    def revive(self, stopping) -> bool:
        """When the process has exited: wait, start it again, True; False once the back-off is spent."""
        code = self.process.poll()
        if code is None:
            return True
        kill_group(self.process)  # workers the dead process left behind
        if time.monotonic() - self.started >= HEALTHY_SECONDS:
            self.failures = 0
        if self.failures == len(self.delays):
            print(f"stack: {self.name} exited ({code}) {self.failures + 1} times in a row; giving up",
                  file=sys.stderr, flush=True)
            return False
        delay = self.delays[self.failures]
        self.failures += 1
        print(f"stack: {self.name} exited ({code}); starting it again in {delay} s", file=sys.stderr, flush=True)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            if stopping():
                return True
            time.sleep(0.1)
        for path in self.leftovers:
            path.unlink(missing_ok=True)
        self.process = self.start()
        return True


def kill_group(child: subprocess.Popen) -> None:
    # Each child leads its own process group.
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


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


def die_with_parent() -> None:
    # If this launcher is killed outright, its children go too (Linux only).
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start(command: list[str], **kwargs) -> subprocess.Popen:
    # Own process group: Ctrl-C reaches only this launcher, which stops each child gracefully.
    return subprocess.Popen(command, process_group=0, preexec_fn=die_with_parent, **kwargs)


def serve(environ=os.environ) -> int:
    run_dir = Path(tempfile.mkdtemp(prefix="portfolio-"))
    try:
        return run(run_dir, environ)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def settings(environ=os.environ) -> dict:
    """What the stack reads from the environment (the README's Configuration table)."""
    return {
        "listen": f"{environ.get('HOST', '127.0.0.1')}:{environ.get('PORT', '8000')}",
        "https_listen": f"{environ.get('HOST', '127.0.0.1')}:{environ.get('HTTPS_PORT', '443')}",
        "proxy_cache": environ.get("PROXY_CACHE", "pages"),
        "nginx": environ.get("NGINX") or shutil.which("nginx") or "/usr/sbin/nginx",
    }


def write_config(run_dir: Path, chosen: dict, certificate, environ, socket_path: Path) -> str:
    """nginx.conf and its two TLS parts; the address the site is served on."""
    listen, http_part, tls_part = chosen["listen"], "# TLS=off\n", "# TLS=off\n"
    if certificate is not None:
        http_part = render_config(HTTP_TEMPLATE, LISTEN=listen, ACME_WEBROOT=str(run_dir / "acme"),
                                  SITE_URL=environ["SITE_URL"].rstrip("/"))
        paths = certificate.paths()
        if paths:
            listen = f"{chosen['https_listen']} ssl http2"
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
        PROXY_CACHE=chosen["proxy_cache"],
    ))
    return listen


def nginx_command(chosen: dict, run_dir: Path, *options: str) -> list[str]:
    return [chosen["nginx"], "-e", "stderr", "-p", str(run_dir), "-c", str(run_dir / "nginx.conf"), *options]


def run(run_dir: Path, environ) -> int:
    run_dir.chmod(0o711)  # nginx's workers reach the files below; nobody may list them
    user, group = worker_user()
    # The socket's folder admits only this user and, when they run as another user, nginx's workers' group.
    (run_dir / "app").mkdir(mode=0o700)
    if os.getuid() == 0:
        os.chown(run_dir / "app", -1, grp.getgrnam(group).gr_gid)
        (run_dir / "app").chmod(0o710)
    socket_path = run_dir / "app" / "app.sock"
    write_static(run_dir)
    chosen = settings(environ)
    try:
        certificate = tls.certificate_source(environ)
    except ValueError as error:
        print(f"stack: {error}", file=sys.stderr)
        return 2
    if certificate is None and not tls.is_loopback(environ.get("HOST", "127.0.0.1")):
        tls.log("plain HTTP on a public address: a TLS proxy must be in front (the form's cookie is Secure), or set TLS=acme")
    if isinstance(certificate, tls.Acme):
        certificate.webroot = run_dir / "acme"
        certificate.webroot.mkdir(mode=0o755)
    write_config(run_dir, chosen, certificate, environ, socket_path)
    app_environ = {
        **environ,
        "APP_ENV": "production",
        "SOCKET": str(socket_path),
        "SOCKET_MODE": "666",  # its folder decides who may connect
        # nginx replaces X-Forwarded-For with the address it saw: exactly one hop, whatever stands in front.
        "TRUSTED_PROXIES": "1",
    }
    children: list[subprocess.Popen] = []
    stopping = False
    # The certificate's keeper (deploy/tls.py) runs beside the main loop; SIGHUP wakes it.
    wake, stopped, reloading = threading.Event(), threading.Event(), threading.Lock()

    def stop(signum=None, frame=None):
        nonlocal stopping
        stopping = True

    def reload():
        """nginx reads the new certificate: new workers start, the old ones finish what they hold."""
        with reloading:
            if stopped.is_set():
                return
            served = write_config(run_dir, chosen, certificate, environ, socket_path)
            check = subprocess.run(nginx_command(chosen, run_dir, "-t", "-q"), capture_output=True, text=True)
            if check.returncode != 0:
                tls.log(f"nginx refused the new configuration, kept the old one: {check.stderr.strip()}")
                return
            children[1].send_signal(signal.SIGHUP)
            tls.log(f"nginx reloaded: the site on https://{served.split()[0]}")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, lambda signum, frame: wake.set())
    error_log = None
    try:
        write_error_pages(run_dir, app_environ)
        granian = Supervised("granian", [sys.executable, str(ROOT / "server.py")], leftovers=(socket_path,),
                             cwd=ROOT, env=app_environ)
        children.append(granian.process)
        deadline = time.monotonic() + 60
        while not stopping and not answers(socket_path):
            if granian.process.poll() is not None or time.monotonic() > deadline:
                print("stack: the app did not start (see above)", file=sys.stderr)
                return 1
            time.sleep(0.1)
        if stopping:
            return 0
        nginx = start(nginx_command(chosen, run_dir), stderr=subprocess.PIPE)
        children.append(nginx)
        error_log = ErrorLog(nginx.stderr)
        https = "" if certificate is None else (
            f" and https://{chosen['https_listen']}" if certificate.paths() else " (HTTPS once the certificate arrives)")
        print(f"stack: nginx on http://{chosen['listen']}{https}, granian on {socket_path}", file=sys.stderr, flush=True)
        if certificate is not None:
            threading.Thread(target=tls.keep, args=(certificate, reload, wake, stopped), daemon=True).start()
        while not stopping:
            if nginx.poll() is not None:
                print("stack: nginx exited; stopping granian", file=sys.stderr)
                return 1
            if not granian.revive(lambda: stopping):
                return 1
            children[0] = granian.process
            error_log.count_refusals()
            time.sleep(0.2)
        return 0
    finally:
        with reloading:
            stopped.set()
        wake.set()
        if certificate is not None:
            certificate.stop()
        # nginx first (SIGQUIT: it stops accepting and finishes what it holds, passing
        # the last requests on to granian), then granian (SIGTERM: the same).
        for child, signum, seconds in reversed(list(zip(children, STOP_SIGNALS, STOP_SECONDS))):
            if child.poll() is None:
                child.send_signal(signum)
            try:
                child.wait(seconds)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            kill_group(child)  # workers left behind by a main process that died
        if error_log is not None:
            error_log.thread.join(5)
            error_log.count_refusals(final=True)


if __name__ == "__main__":
    if len(sys.argv) == 1:
        sys.exit(serve())
    else:
        sys.exit(__doc__)
