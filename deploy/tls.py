"""HTTPS for the stack (deploy/stack.py): the certificate nginx serves, and keeping it.

    TLS=off     plain HTTP on HOST:PORT: a developer's machine, or a TLS proxy in front
    TLS=files   TLS_CERT (the whole chain) and TLS_KEY, obtained elsewhere; SIGHUP re-reads them
    TLS=acme    a certificate for SITE_URL's host from ACME_DIRECTORY, obtained by certbot
                over http-01 (the webroot nginx serves on PORT), kept in STATE_DIR

With TLS=acme the certificate is checked at start, every 12 hours and on SIGHUP,
and ordered only when the kept one has TLS_RENEW_DAYS or fewer left: a crash
loop must not use up the CA's limit of 5 identical certificates a week. When
the CA cannot be reached or refuses, the stack keeps serving; each attempt is
one log line, and the next comes after a back-off (or at once on SIGHUP).

certbot is the ACME client (Let's Encrypt's own recommendation), installed from
PyPI into the same virtual environment (requirements.txt): README, "Deploying".
"""

import datetime
import ipaddress
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509

from app.config import Tls

CHECK_EVERY = 12 * 3600
# After a failed attempt, wait 5 minutes, then twice as long each time, up to the
# 12-hour check: at most four failures in the first hour, under Let's Encrypt's
# limit of 5 failed validations per hostname per hour.
FIRST_RETRY = 300
CERTBOT_SECONDS = 600


def log(message: str) -> None:
    print(f"stack: {message}", file=sys.stderr, flush=True)


class CertificateError(Exception):
    """The certificate could not be obtained (the ACME server's or certbot's reason)."""


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def certificate_source(chosen: Tls):
    """The certificate TLS names (its settings checked by app/config.py), or None with TLS=off."""
    if chosen.mode == "files":
        return Files(chosen.certificate, chosen.key)
    if chosen.mode == "acme":
        return Acme(chosen)
    return None


def not_after(path: Path) -> datetime.datetime:
    return x509.load_pem_x509_certificate(path.read_bytes()).not_valid_after_utc


class Files:
    """TLS=files: served as they are; a SIGHUP makes nginx read them again."""

    def __init__(self, certificate: Path, key: Path):
        self.certificate, self.key = certificate, key
        self.read_once = False

    def paths(self) -> tuple[Path, Path]:
        return self.certificate, self.key

    def refresh(self) -> bool:
        """True when nginx should read the files again: on every SIGHUP, not at start."""
        reread, self.read_once = self.read_once, True
        if reread:
            log(f"re-reading {self.certificate} (valid until {not_after(self.certificate):%Y-%m-%d %H:%M} UTC)")
        return reread

    def stop(self) -> None:
        pass


class Acme:
    """TLS=acme: certbot's lineage for SITE_URL's host in STATE_DIR/letsencrypt."""

    def __init__(self, chosen: Tls):
        self.host = urlsplit(chosen.site_url).hostname
        self.state = chosen.state_dir
        self.directory = chosen.acme_directory
        self.email = chosen.acme_email
        self.ca_bundle = chosen.acme_ca_bundle
        self.renew_days = chosen.renew_days
        self.certbot = chosen.certbot
        self.webroot: Path | None = None  # where nginx serves /.well-known/acme-challenge/ from (stack.py sets it)
        self.live = self.state / "letsencrypt" / "live" / self.host
        self.process: subprocess.Popen | None = None
        self.stopped = False

    def paths(self) -> tuple[Path, Path] | None:
        chain, key = self.live / "fullchain.pem", self.live / "privkey.pem"
        return (chain, key) if chain.exists() and key.exists() else None

    def days_left(self) -> float | None:
        if self.paths() is None:
            return None
        return (not_after(self.live / "cert.pem") - datetime.datetime.now(datetime.UTC)).total_seconds() / 86400

    def refresh(self) -> bool:
        """Orders a certificate if none is kept or the kept one is due; True when there is a new one."""
        left = self.days_left()
        if left is not None and left > self.renew_days:
            log(f"certificate for {self.host} kept: {left:.0f} days left, renewed at {self.renew_days:g}")
            return False
        log(f"certificate for {self.host}: " + ("ordering one" if left is None else f"renewing ({left:.0f} days left)")
            + f" from {self.directory}")
        self.run_certbot(renew=left is not None)
        log(f"certificate for {self.host} obtained, valid until {not_after(self.live / 'cert.pem'):%Y-%m-%d %H:%M} UTC")
        return True

    def run_certbot(self, renew: bool) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        self.state.chmod(0o700)  # the account key and the certificate's key are below
        command = [
            self.certbot, "certonly", "--non-interactive", "--agree-tos", "--no-eff-email",
            "--webroot", "--webroot-path", str(self.webroot), "--domain", self.host, "--cert-name", self.host,
            "--server", self.directory,
            "--config-dir", str(self.state / "letsencrypt"), "--work-dir", str(self.state / "letsencrypt" / "work"),
            "--logs-dir", str(self.state / "letsencrypt" / "logs"),
            *(["--email", self.email] if self.email else ["--register-unsafely-without-email"]),
            *(["--force-renewal"] if renew else []),
        ]
        environ = {**os.environ, **({"REQUESTS_CA_BUNDLE": self.ca_bundle} if self.ca_bundle else {})}
        if self.stopped:
            raise CertificateError("the stack is stopping")
        self.process = subprocess.Popen(command, env=environ, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, process_group=0)
        try:
            output, _ = self.process.communicate(timeout=CERTBOT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise CertificateError(f"certbot took more than {CERTBOT_SECONDS} s") from None
        if self.process.returncode != 0:
            raise CertificateError(reason(output))

    def stop(self) -> None:
        self.stopped = True
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)


def reason(certbot_output: str) -> str:
    """certbot's error on one line, without its advice on where to look."""
    noise = ("Saving debug log", "Ask for help", "An unexpected error occurred", "Some challenges have failed")
    lines = [line.strip() for line in certbot_output.splitlines() if line.strip() and not line.startswith(noise)]
    return " ".join(lines)[:600] or "certbot failed and said nothing"


def retry_delay(failures: int) -> float:
    return min(FIRST_RETRY * 2 ** (failures - 1), CHECK_EVERY)


def keep(source, reload, wake: threading.Event, stopped: threading.Event) -> None:
    """Checks the certificate now, then every 12 hours or at once when `wake` is set (SIGHUP);
    calls reload() when nginx must read a new one. Never raises for the CA's sake."""
    failures = 0
    while not stopped.is_set():
        wait = CHECK_EVERY
        try:
            if source.refresh() and not stopped.is_set():
                reload()
            failures = 0
        except (CertificateError, OSError, ValueError) as error:
            if stopped.is_set():
                return
            failures += 1
            wait = retry_delay(failures)
            log(f"certificate not obtained (attempt {failures}; next in {wait / 60:.0f} min, or at once on SIGHUP): {error}")
        wake.wait(wait)
        wake.clear()
