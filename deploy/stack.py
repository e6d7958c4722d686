"""The production stack in the foreground: nginx in front of granian.

    make serve                      # http://127.0.0.1:8000; HOST, PORT, WORKERS override
    TLS=acme SITE_URL=https://example.com HOST=0.0.0.0 PORT=80 make serve   # and HTTPS on 443

Checks every setting first (app/config.py): one that cannot work is one line
and a non-zero exit. Then makes a private run folder (one a killed stack left
behind is removed at the next start), renders nginx's configuration and the
static files there (deploy/nginx.py), starts granian (server.py) on a unix
socket in that folder and nginx on HOST:PORT, and supervises both
(deploy/supervisor.py). SIGTERM or Ctrl-C stops both gracefully. If granian
exits (its own "crash loop detected", say), it is started again after a
back-off while nginx keeps answering from its cache; when the back-off gives
up, or nginx exits, the other is stopped too and this exits non-zero, for a
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

import fcntl
import grp
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from app import config
from app.config import ROOT, ConfigError
from deploy import nginx, supervisor, tls

# How each child is stopped, in start order (granian, nginx), and how long it may take:
# granian gives requests in progress 30 s (server.py); nginx, a slow body 10 s (the template).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGQUIT)
STOP_SECONDS = (35, 15)
# Each stack's run folder: RUN_DIR_PREFIX and a random name in the temporary folder.
RUN_DIRS = Path(tempfile.gettempdir())
RUN_DIR_PREFIX = "portfolio-stack-"
STARTING_PREFIX = "portfolio-starting-"


def reclaim_run_dirs() -> None:
    """Removes the run folders of stacks killed outright (SIGKILL), which could not remove their own.

    A running stack holds a lock on its folder; the kernel lets it go when the
    stack dies, however it dies. A folder whose lock is free has no stack."""
    for folder in RUN_DIRS.glob(RUN_DIR_PREFIX + "*"):
        try:
            descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue  # removed meanwhile, or another user's
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            shutil.rmtree(folder, ignore_errors=True)
        except BlockingIOError:
            pass  # its stack is running
        finally:
            os.close(descriptor)


def make_run_dir() -> tuple[Path, int]:
    """A new run folder, locked for as long as this process lives; the lock's descriptor."""
    reclaim_run_dirs()
    draft = Path(tempfile.mkdtemp(prefix=STARTING_PREFIX))
    lock = os.open(draft, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(lock, fcntl.LOCK_EX)
    # Named as a run folder only once locked, so a stack starting meanwhile never takes it for a dead one's.
    run_dir = draft.with_name(RUN_DIR_PREFIX + draft.name.removeprefix(STARTING_PREFIX))
    draft.rename(run_dir)
    # nginx's workers reach the files below; nobody else may list them.
    run_dir.chmod(0o711)
    return run_dir, lock


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


def serve(environ=os.environ) -> int:
    try:
        # Every setting, the app's and granian's too, before anything starts.
        config.from_environment(environ)
        config.server_settings(environ)
        chosen = config.stack_settings(environ)
    except ConfigError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    run_dir, lock = make_run_dir()
    try:
        return run(run_dir, chosen, environ)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
        os.close(lock)


def run(run_dir: Path, chosen: config.Stack, environ) -> int:
    user, group = nginx.worker_user()
    # The socket's folder admits only this user and, when they run as another user, nginx's workers' group.
    (run_dir / "app").mkdir(mode=0o700)
    if os.getuid() == 0:
        os.chown(run_dir / "app", -1, grp.getgrnam(group).gr_gid)
        (run_dir / "app").chmod(0o710)
    socket_path = run_dir / "app" / "app.sock"
    nginx.write_static(run_dir)
    certificate = tls.certificate_source(chosen.tls)
    if certificate is None and not tls.is_loopback(chosen.host):
        tls.log("plain HTTP on a public address: a TLS proxy must be in front (the form's cookie is Secure), or set TLS=acme")
    if isinstance(certificate, tls.Acme):
        certificate.webroot = run_dir / "acme"
        certificate.webroot.mkdir(mode=0o755)
    nginx.write_config(run_dir, chosen, certificate, socket_path)
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
            served = nginx.write_config(run_dir, chosen, certificate, socket_path)
            check = subprocess.run(nginx.command(chosen, run_dir, "-t", "-q"), capture_output=True, text=True)
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
        try:
            nginx.write_error_pages(run_dir, app_environ)
        except subprocess.CalledProcessError:
            print("stack: the app did not start (see above)", file=sys.stderr)
            return 1
        granian = supervisor.Supervised("granian", [sys.executable, str(ROOT / "server.py")], leftovers=(socket_path,),
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
        children.append(supervisor.start(nginx.command(chosen, run_dir), stderr=subprocess.PIPE))
        error_log = nginx.ErrorLog(children[1].stderr)
        listen = nginx.address(chosen.host, chosen.port)
        https = "" if certificate is None else (
            f" and https://{nginx.address(chosen.host, chosen.https_port)}" if certificate.paths()
            else " (HTTPS once the certificate arrives)")
        print(f"stack: nginx on http://{listen}{https}, granian on {socket_path}", file=sys.stderr, flush=True)
        if certificate is not None:
            threading.Thread(target=tls.keep, args=(certificate, reload, wake, stopped), daemon=True).start()
        while not stopping:
            if children[1].poll() is not None:
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
            supervisor.stop(child, signum, seconds)
        if error_log is not None:
            error_log.thread.join(5)
            error_log.count_refusals(final=True)


if __name__ == "__main__":
    if len(sys.argv) == 1:
        sys.exit(serve())
    else:
        sys.exit(__doc__)
