"""The production stack in the foreground: nginx in front of granian.

    make serve                      # http://127.0.0.1:8000; HOST, PORT, WORKERS override
    TLS=acme SITE_URL=https://example.com HOST=0.0.0.0 PORT=80 make serve   # and HTTPS on 443

Renders deploy/nginx.conf.template into a private run directory, writes the
static files there under their hashed names (with gzip copies) for nginx to
serve, starts granian (server.py) on a unix socket in that directory and nginx
on HOST:PORT. SIGTERM or Ctrl-C stops both gracefully; if either one exits,
the other is stopped too and this exits non-zero, for a supervisor (systemd,
compose) to start everything again.

TLS chooses how HTTPS is served (deploy/tls.py): off (plain HTTP on HOST:PORT),
acme (a certificate for SITE_URL's host, obtained and renewed by certbot) or
files (TLS_CERT and TLS_KEY). With TLS on, PORT answers ACME's challenges and
redirects the rest to SITE_URL, and HTTPS_PORT serves the site. SIGHUP checks
the certificate at once (and re-reads TLS=files certificates).

    python -m deploy.stack prepare DIR   # the same files for compose.yaml's nginx
"""

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
from app.encoding import gzipped
from deploy import tls

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
HTTP_TEMPLATE = ROOT / "deploy" / "nginx-http.conf.template"
TLS_TEMPLATE = ROOT / "deploy" / "nginx-tls.conf.template"
# How each child is stopped, in start order (granian, nginx), and how long it may take:
# granian gives requests in progress 30 s (server.py); nginx, a slow body 10 s (the template).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGQUIT)
STOP_SECONDS = (35, 15)


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


def answers(socket_path: Path) -> bool:
    connection = http.client.HTTPConnection("localhost", timeout=2)
    connection.sock = socket.socket(socket.AF_UNIX)
    try:
        connection.sock.settimeout(2)
        connection.sock.connect(str(socket_path))
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


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


def write_config(run_dir: Path, chosen: dict, certificate, environ) -> str:
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
    (run_dir / "nginx.conf").write_text(render_config(
        USER=pwd.getpwuid(os.getuid()).pw_name,
        RUN_DIR=str(run_dir),
        LISTEN=listen,
        UPSTREAM=f"unix:{run_dir / 'app.sock'}",
        STATIC_ROOT=str(run_dir),
        PROXY_CACHE=chosen["proxy_cache"],
    ))
    return listen


def nginx_command(chosen: dict, run_dir: Path, *options: str) -> list[str]:
    return [chosen["nginx"], "-e", "stderr", "-p", str(run_dir), "-c", str(run_dir / "nginx.conf"), *options]


def run(run_dir: Path, environ) -> int:
    run_dir.chmod(0o711)  # nginx's workers reach the files below; nobody may list them
    socket_path = run_dir / "app.sock"
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
    write_config(run_dir, chosen, certificate, environ)
    app_environ = {
        **environ,
        "APP_ENV": "production",
        "SOCKET": str(socket_path),
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
            served = write_config(run_dir, chosen, certificate, environ)
            check = subprocess.run(nginx_command(chosen, run_dir, "-t", "-q"), capture_output=True, text=True)
            if check.returncode != 0:
                tls.log(f"nginx refused the new configuration, kept the old one: {check.stderr.strip()}")
                return
            children[1].send_signal(signal.SIGHUP)
            tls.log(f"nginx reloaded: the site on https://{served.split()[0]}")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, lambda signum, frame: wake.set())
    try:
        granian = start([sys.executable, str(ROOT / "server.py")], cwd=ROOT, env=app_environ)
        children.append(granian)
        deadline = time.monotonic() + 60
        while not stopping and not answers(socket_path):
            if granian.poll() is not None or time.monotonic() > deadline:
                print("stack: the app did not start (see above)", file=sys.stderr)
                return 1
            time.sleep(0.1)
        if stopping:
            return 0
        children.append(start(nginx_command(chosen, run_dir)))
        https = "" if certificate is None else (
            f" and https://{chosen['https_listen']}" if certificate.paths() else " (HTTPS once the certificate arrives)")
        print(f"stack: nginx on http://{chosen['listen']}{https}, granian on {socket_path}", file=sys.stderr, flush=True)
        if certificate is not None:
            threading.Thread(target=tls.keep, args=(certificate, reload, wake, stopped), daemon=True).start()
        while not stopping:
            if any(child.poll() is not None for child in children):
                print("stack: a process exited; stopping the others", file=sys.stderr)
                return 1
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
            # Workers left behind by a main process that died (each child leads its own group).
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def prepare(destination: Path) -> None:
    """For compose.yaml: the static files, and nginx.conf for the nginx container."""
    write_static(destination)
    (destination / "nginx.conf").write_text(render_config(
        USER="nginx",
        RUN_DIR="/tmp",
        LISTEN="80",
        UPSTREAM="app:8000",
        STATIC_ROOT=str(destination),
        PROXY_CACHE="pages",
    ))


if __name__ == "__main__":
    if sys.argv[1:2] == ["prepare"] and len(sys.argv) == 3:
        prepare(Path(sys.argv[2]))
    elif len(sys.argv) == 1:
        sys.exit(serve())
    else:
        sys.exit(__doc__)
