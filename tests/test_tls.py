"""HTTPS in the stack `make serve` runs (deploy/stack.py, deploy/tls.py), against
a real ACME CA on loopback: Debian's pebble (tests/acme.py). The stack asks for
a certificate for portfolio.test, which pebble's DNS answers with 127.0.0.1, so
pebble validates the http-01 challenge against the stack's own PORT.

Every connection goes to 127.0.0.1; the name is given as SNI and Host.
"""

import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509

from app.config import ROOT
from deploy import tls
from tests.acme import Pebble, wait_until
from tests.processes import free_port
from tests.stack import NAME, TlsStack, client_context, get


def https_get(stack: TlsStack, path: str = "/", root: bytes | None = None, host: str = NAME):
    connection = http.client.HTTPSConnection("127.0.0.1", stack.https_port, timeout=10, context=client_context(root))
    connection.sock = client_context(root).wrap_socket(
        socket.create_connection(("127.0.0.1", stack.https_port), timeout=10), server_hostname=NAME)
    try:
        connection.request("GET", path, headers={"Host": f"{host}:{stack.https_port}"})
        response = connection.getresponse()
        return response.status, response.headers, response.read()  # headers: any spelling
    finally:
        connection.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One stack, first started on an empty STATE_DIR, with its certificate from pebble."""
    folder = tmp_path_factory.mktemp("tls")
    port = free_port()
    pebble = Pebble(folder / "pebble", port).start()
    stack = TlsStack(folder / "stack", port, folder / "state", ACME_DIRECTORY=pebble.directory,
                     ACME_CA_BUNDLE=str(pebble.ca_bundle))
    stack.wait_for_certificate()
    stack.pebble, stack.root, stack.state = pebble, pebble.root(), folder / "state"
    yield stack
    stack.stop()
    pebble.stop()


def test_the_certificate_is_issued_and_served_with_its_chain(served):
    # Verified against pebble's root alone: only the intermediate the stack sends links the leaf to it.
    status, headers, body = https_get(served, "/", served.root)
    assert status == 200 and body.startswith(b"<!doctype html>")
    leaf = served.served_certificate(served.root)
    assert leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == [NAME]
    assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_key_and_the_account_are_kept_private_in_state_dir(served):
    live = served.state / "letsencrypt" / "live" / NAME
    key = (live / "privkey.pem").resolve()
    assert key.is_relative_to(served.state) and key.stat().st_mode & 0o777 == 0o600
    assert list((served.state / "letsencrypt" / "accounts").rglob("private_key.json"))
    assert served.state.stat().st_mode & 0o077 == 0


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1], ids=["TLS 1.0", "TLS 1.1"])
def test_tls_1_0_and_1_1_are_refused(served, version):
    context = client_context(minimum_version=version, maximum_version=version)
    context.set_ciphers("ALL:@SECLEVEL=0")  # so that it is the server that refuses, not our OpenSSL
    with socket.create_connection(("127.0.0.1", served.https_port), timeout=5) as raw:
        with pytest.raises(ssl.SSLError):
            context.wrap_socket(raw, server_hostname=NAME)


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3], ids=["TLS 1.2", "TLS 1.3"])
def test_tls_1_2_and_1_3_speak_http2_and_resume_sessions(served, version):
    context = client_context(served.root, minimum_version=version, maximum_version=version)
    context.set_alpn_protocols(["h2", "http/1.1"])

    def handshake(session=None):
        with socket.create_connection(("127.0.0.1", served.https_port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=NAME, session=session) as tls:
                assert tls.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
                assert tls.selected_alpn_protocol() == "h2"
                tls.settimeout(0.5)
                try:
                    tls.recv(1)  # TLS 1.3 sends its session tickets after the handshake
                except (TimeoutError, ssl.SSLError):
                    pass
                return tls.session, tls.session_reused

    session, _ = handshake()
    assert handshake(session)[1] is True  # the second connection skipped the full handshake


def test_plain_http_redirects_to_site_url_whatever_the_host(served):
    for host in (NAME, "attacker.example", "127.0.0.1"):
        status, headers, _ = get(served.port, "/work?tag=rust&x=1", {"Host": host})
        assert status == 301
        assert headers["Location"] == f"{served.site_url}/work?tag=rust&x=1"


def test_the_challenge_path_is_never_redirected_and_an_unknown_token_is_404(served):
    for host in (NAME, "attacker.example"):
        status, headers, _ = get(served.port, "/.well-known/acme-challenge/no-such-token", {"Host": host})
        assert status == 404 and "Location" not in headers


def test_a_restart_keeps_the_certificate_and_orders_nothing(served, tmp_path):
    # A second stack on the same STATE_DIR, against the same CA, while the first keeps serving.
    orders = served.pebble.orders()
    again = TlsStack(tmp_path, free_port(), served.state, ACME_DIRECTORY=served.pebble.directory,
                     ACME_CA_BUNDLE=str(served.pebble.ca_bundle))
    try:
        certificate = again.wait_for_certificate(timeout=20)
        assert certificate.serial_number == served.served_certificate().serial_number
        wait_until(lambda: "kept:" in again.output(), 20, again.output())
        assert served.pebble.orders() == orders
    finally:
        assert again.stop() == 0


def test_renewal_at_start_and_on_sighup_with_no_request_failing(tmp_path):
    """TLS_RENEW_DAYS at its most (3650), longer than the life of pebble's certificates: every check renews."""
    port = free_port()
    pebble = Pebble(tmp_path / "pebble", port).start()
    acme = {"ACME_DIRECTORY": pebble.directory, "ACME_CA_BUNDLE": str(pebble.ca_bundle)}
    first = TlsStack(tmp_path / "first", port, tmp_path / "state", **acme)
    kept = first.wait_for_certificate().serial_number
    first.stop()
    stack = TlsStack(tmp_path / "stack", port, tmp_path / "state", **acme, TLS_RENEW_DAYS="3650")
    failures, answered, running = [], [], threading.Event()

    def visitor():
        while not running.is_set():
            try:
                status, _, body = https_get(stack, "/?during-reload")
                answered.append(status)
                if status != 200:
                    failures.append(status)
            except OSError as error:
                failures.append(repr(error))

    try:
        renewed = stack.wait_for_certificate(other_than=kept)
        assert pebble.orders() == 2
        threads = [threading.Thread(target=visitor) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1)
        stack.hang_up()
        again = stack.wait_for_certificate(other_than=renewed.serial_number)
        time.sleep(1)
        running.set()
        for thread in threads:
            thread.join()
        assert pebble.orders() == 3 and again.serial_number != kept
        assert failures == [] and len(answered) > 20
        assert stack.output().count("nginx reloaded") == 2
    finally:
        running.set()
        stack.stop()
        pebble.stop()


def test_with_the_ca_down_the_stack_stays_up_and_a_sighup_brings_the_certificate(tmp_path):
    port = free_port()
    pebble = Pebble(tmp_path / "pebble", port)  # configured, not started: the CA is down
    stack = TlsStack(tmp_path / "stack", port, tmp_path / "state", ACME_DIRECTORY=pebble.directory,
                     ACME_CA_BUNDLE=str(pebble.ca_bundle))
    try:
        wait_until(lambda: "certificate not obtained (attempt 1;" in stack.output(), 60, stack.output())
        time.sleep(2)
        assert stack.process.poll() is None
        assert get(port, "/", {"Host": NAME})[0] == 301  # PORT keeps answering
        [line] = [line for line in stack.output().splitlines() if "certificate not obtained" in line]
        assert "Connection refused" in line and "next in 5 min" in line
        assert stack.served_certificate() is None

        pebble.start()
        stack.hang_up()
        stack.wait_for_certificate()
        assert stack.output().count("certificate not obtained") == 1
        assert https_get(stack, "/", pebble.root())[0] == 200
    finally:
        assert stack.stop() == 0
        pebble.stop()


def test_tls_files_are_served_and_reread_on_sighup(tmp_path):
    def certificate_files(folder: Path) -> tuple[Path, Path]:
        from tests.acme import ec, issue, pem, serialization
        folder.mkdir()
        ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        ca = issue("company CA", ca_key, ca=True)
        leaf = issue(NAME, key, ca_key, ca, names=(NAME,))
        (folder / "chain.pem").write_bytes(pem(leaf) + pem(ca))
        (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        return folder / "chain.pem", folder / "key.pem"

    chain, key = certificate_files(tmp_path / "first")
    stack = TlsStack(tmp_path / "stack", free_port(), tmp_path / "state", TLS="files",
                     TLS_CERT=str(chain), TLS_KEY=str(key))
    try:
        first = stack.wait_for_certificate()
        new_chain, new_key = certificate_files(tmp_path / "second")
        new_chain.replace(chain)
        new_key.replace(key)
        stack.hang_up()
        assert stack.wait_for_certificate(other_than=first.serial_number).serial_number != first.serial_number
        assert get(stack.port, "/", {"Host": NAME})[0] == 301
    finally:
        assert stack.stop() == 0


def run_stack_briefly(tmp_path, **settings) -> tuple[int | None, str]:
    """Starts the stack, waits until it serves or exits, stops it; its exit code (None if it ran) and its log."""
    port = free_port()
    environ = {**os.environ, "SECRET_KEY": "s" * 32, "SITE_URL": "https://harsh.example", "WORKERS": "1",
               "DATABASE_PATH": str(tmp_path / "messages.db"), "PORT": str(port), "STATE_DIR": str(tmp_path / "state"),
               **settings}
    with open(tmp_path / "stack.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "deploy.stack"], cwd=ROOT, env=environ, stdout=log, stderr=log)
        try:
            wait_until(lambda: process.poll() is not None or b"stack: nginx on" in (tmp_path / "stack.log").read_bytes(),
                       60, "the stack neither started nor exited")
            code = process.poll()
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            process.wait(60)
    return code, (tmp_path / "stack.log").read_text()


def test_plain_http_on_a_public_address_says_a_tls_proxy_must_be_in_front(tmp_path):
    # Bound to every interface for a moment; nothing is sent to it.
    code, log = run_stack_briefly(tmp_path, HOST="0.0.0.0", TLS="off")
    assert code is None
    assert log.count("a TLS proxy must be in front") == 1


def test_plain_http_on_loopback_says_nothing_of_it(tmp_path):
    code, log = run_stack_briefly(tmp_path, HOST="127.0.0.1")
    assert code is None and "TLS proxy" not in log


@pytest.mark.parametrize("settings, message", [
    ({"TLS": "acme", "SITE_URL": "http://harsh.example"}, "TLS=acme needs SITE_URL=https://"),
    ({"TLS": "files"}, "TLS=files needs TLS_CERT and TLS_KEY"),
    ({"TLS": "yes"}, "TLS='yes': expected off, acme or files"),
])
def test_settings_that_cannot_work_are_refused_with_a_clear_message(tmp_path, settings, message):
    code, log = run_stack_briefly(tmp_path, **settings)
    assert code == 2 and message in log


# testssl 3.0 rates these HIGH for reasons of the test set-up or its age: pebble's
# certificates carry no revocation address, and letting the client pick among
# ciphers that are all AEAD with forward secrecy is what Mozilla advises.
ACCEPTED = {"cert_revocation", "cipher_order"}


def test_testssl_finds_nothing_high_or_critical(served, tmp_path):
    root = tmp_path / "pebble-root.pem"
    root.write_bytes(served.root)
    report = tmp_path / "testssl.json"
    # Protocols, server defaults, forward secrecy, vulnerabilities, header checks; --fast skips the slow extras.
    result = subprocess.run(
        ["testssl", "--quiet", "--color", "0", "--fast", "--warnings", "off", "--add-ca", str(root),
         "--ip", "127.0.0.1", "-p", "-S", "-f", "-U", "-h", "--jsonfile", str(report), served.site_url],
        capture_output=True, text=True, timeout=240)
    findings = json.loads(report.read_text())
    assert findings, result.stdout + result.stderr
    graded = {finding["id"] for finding in findings}
    assert {"TLS1", "TLS1_1", "TLS1_2", "TLS1_3", "HSTS_time", "cert_chain_of_trust"} <= graded
    serious = [(f["id"], f["finding"]) for f in findings if f["severity"] in ("HIGH", "CRITICAL") and f["id"] not in ACCEPTED]
    assert serious == []
    by_id = {f["id"]: f["finding"] for f in findings}
    assert by_id["TLS1"] == "not offered" and by_id["TLS1_1"] == "not offered"
    assert "passed" in by_id["cert_chain_of_trust"]


class Source:
    """Stands in for the CA in deploy/tls.py's loop: fails `failing` times, then succeeds."""

    def __init__(self, failing: int = 0):
        self.calls, self.failing = 0, failing

    def refresh(self) -> bool:
        self.calls += 1
        if self.calls <= self.failing:
            raise tls.CertificateError("the CA said no")
        return True


def run_keeper(source, seconds: float):
    wake, stopped, reloads = threading.Event(), threading.Event(), []
    keeper = threading.Thread(target=tls.keep, args=(source, lambda: reloads.append(1), wake, stopped))
    keeper.start()
    time.sleep(seconds)
    stopped.set()
    wake.set()
    keeper.join(5)
    return reloads


def test_the_certificate_is_checked_again_every_check_period(monkeypatch):
    monkeypatch.setattr(tls, "CHECK_EVERY", 0.2)  # 12 hours in production
    source = Source()
    reloads = run_keeper(source, 1.1)
    assert 5 <= source.calls <= 7 and len(reloads) == source.calls


def test_a_failing_ca_is_retried_after_a_growing_back_off_that_never_passes_the_check_period(monkeypatch):
    assert [tls.retry_delay(n) for n in range(1, 10)] == [300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 43200]
    monkeypatch.setattr(tls, "FIRST_RETRY", 0.1)
    source = Source(failing=3)
    reloads = run_keeper(source, 1.2)  # fails at 0, 0.1, 0.3; succeeds at 0.7
    assert source.calls == 4 and len(reloads) == 1
