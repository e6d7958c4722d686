"""A private ACME CA on loopback: Debian's pebble, with pebble-challtestsrv as
its DNS server answering every name with 127.0.0.1, so pebble validates http-01
challenges against the stack's own PORT.

pebble serves ACME over HTTPS with a certificate it is given: a throw-away CA
made here signs it, and that CA's file is what the stack gets as ACME_CA_BUNDLE.
The certificates pebble issues chain to a root it makes at each start, read from
its management API (/roots/0).
"""

import datetime
import ipaddress
import json
import os
import signal
import ssl
import subprocess
import urllib.request
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.processes import free_port, wait_for


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def issue(subject: str, key, issuer_key=None, issuer=None, names=(), ca=False) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer.subject if issuer else name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in names]),
            critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def make_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A CA file, and a certificate and key it signed for 127.0.0.1 and localhost."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = issue("pebble test CA", ca_key, ca=True)
    leaf = issue("127.0.0.1", key, ca_key, ca, names=("127.0.0.1", "localhost"))
    paths = folder / "ca.pem", folder / "pebble.pem", folder / "pebble.key"
    paths[0].write_bytes(pem(ca))
    paths[1].write_bytes(pem(leaf))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


class Pebble:
    """pebble and pebble-challtestsrv, validating http-01 on `http_port` of 127.0.0.1."""

    def __init__(self, folder: Path, http_port: int):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.ca_bundle, certificate, key = make_ca(folder)
        self.port, self.management_port, self.dns_port = free_port(), free_port(), free_port()
        self.directory = f"https://127.0.0.1:{self.port}/dir"
        self.config = folder / "pebble.json"
        self.config.write_text(json.dumps({"pebble": {
            "listenAddress": f"127.0.0.1:{self.port}",
            "managementListenAddress": f"127.0.0.1:{self.management_port}",
            "certificate": str(certificate),
            "privateKey": str(key),
            "httpPort": http_port,
            "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }}))
        self.log_path = folder / "pebble.log"
        self.dns = None
        self.process = None

    def start(self) -> "Pebble":
        self.dns = subprocess.Popen(
            ["pebble-challtestsrv", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
             "-dns01", f"127.0.0.1:{self.dns_port}", "-http01", "", "-https01", "", "-tlsalpn01", "",
             "-management", f"127.0.0.1:{free_port()}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.log = open(self.log_path, "ab")
        # PEBBLE_VA_NOSLEEP: validate at once, not after a random pause of up to 15 s.
        # PEBBLE_WFE_NONCEREJECT=0: pebble otherwise refuses 5% of good nonces on purpose.
        environ = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"}
        self.process = subprocess.Popen(
            ["pebble", "-config", str(self.config), "-dnsserver", f"127.0.0.1:{self.dns_port}"],
            stdout=self.log, stderr=self.log, env=environ, cwd=self.folder)
        if not wait_for(self.answers, 20):
            self.stop()
            raise RuntimeError("pebble did not start: " + self.log_path.read_text())
        return self

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_bundle))

    def answers(self) -> bool:
        try:
            urllib.request.urlopen(self.directory, context=self.context(), timeout=2).read()
            return True
        except OSError:
            return False

    def root(self) -> bytes:
        """The root pebble's certificates chain to (made anew at each start of pebble)."""
        url = f"https://127.0.0.1:{self.management_port}/roots/0"
        return urllib.request.urlopen(url, context=self.context(), timeout=5).read()

    def orders(self) -> int:
        """How many certificates were ordered from this pebble."""
        self.log.flush()
        return self.log_path.read_text().count("/order-plz")

    def stop(self) -> None:
        for process in (self.process, self.dns):
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.process = None
        if hasattr(self, "log"):
            self.log.close()


def wait_until(condition, timeout: float, message: str) -> None:
    assert wait_for(condition, timeout, interval=0.2), message
