"""A visitor on HTTPS: Chromium, told that portfolio.test is 127.0.0.1, sends a
message through the stack `make serve` runs with TLS=acme and a certificate from
pebble (tests/acme.py); the message is stored and the owner's webhook told.

Chromium trusts the served certificate by its public key
(--ignore-certificate-errors-spki-list): pebble's root is made afresh at each
start and is not in any trust store. Everything else is as a visitor meets it:
a name, not 127.0.0.1 (which browsers treat as secure whatever the scheme), so
the Secure session cookie and the form's CSRF check work only over HTTPS.
"""

import base64
import hashlib
import re
import sqlite3

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import expect

from tests.acme import Pebble, wait_until
from tests.browser.pages import fill, guarded_page
from tests.browser.support import chromium_launch_args
from tests.processes import free_port
from tests.receivers import Webhook
from tests.stack import NAME, TlsStack


@pytest.fixture(scope="module")
def webhook_for_stack():
    hook = Webhook().start()
    yield hook
    hook.stop()


@pytest.fixture(scope="module")
def tls_stack(tmp_path_factory, webhook_for_stack):
    folder = tmp_path_factory.mktemp("https-browser")
    port = free_port()
    pebble = Pebble(folder / "pebble", port).start()
    stack = TlsStack(folder / "stack", port, folder / "state", ACME_DIRECTORY=pebble.directory,
                     ACME_CA_BUNDLE=str(pebble.ca_bundle), NOTIFY_URLS=webhook_for_stack.url)
    stack.leaf = stack.wait_for_certificate()
    yield stack
    stack.stop()
    pebble.stop()


def spki_hash(certificate) -> str:
    spki = certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture(scope="module")
def named_browser(playwright, tls_stack):
    launch = chromium_launch_args()
    browser = playwright.chromium.launch(executable_path=launch["executable_path"], args=[
        *launch["args"],
        f"--host-resolver-rules=MAP {NAME} 127.0.0.1",
        f"--ignore-certificate-errors-spki-list={spki_hash(tls_stack.leaf)}",
    ])
    yield browser
    browser.close()


@pytest.fixture(params=["javascript", "no javascript"])
def visitor(request, named_browser, tls_stack):
    context = named_browser.new_context(java_script_enabled=request.param == "javascript")
    page = guarded_page(context, tls_stack.site_url)
    yield page
    context.close()
    assert page.guard.problems == []


def stored(stack: TlsStack) -> list[str]:
    with sqlite3.connect(stack.database) as db:
        return [row[0] for row in db.execute("SELECT message FROM messages ORDER BY id")]


def send(page, text: str) -> None:
    page.goto(page.url.rsplit("/", 1)[0] + "/contact")
    fill(page, text)
    page.locator("#contact-form button").click()
    expect(page.locator(".sent-title")).to_have_text("Thank you: your message has been received.")


def assert_arrived(stack: TlsStack, webhook: Webhook, text: str) -> None:
    assert text in stored(stack)
    wait_until(lambda: any(text in note.get("message", "") for note in webhook.received), 30,
               f"the webhook was not told: {webhook.received}")


def test_a_message_sent_over_https_is_stored_and_notified(visitor, tls_stack, webhook_for_stack):
    visitor.goto(tls_stack.site_url + "/")
    expect(visitor.locator("h1")).to_be_visible()
    text = f"Sent over HTTPS with {visitor.context.browser.version} ({id(visitor)})."
    send(visitor, text)
    assert_arrived(tls_stack, webhook_for_stack, text)


def test_a_visitor_who_types_http_is_moved_to_https_and_the_message_arrives(visitor, tls_stack, webhook_for_stack):
    visitor.guard.expect_status(301)
    typed = f"http://{NAME}:{tls_stack.port}/"
    visitor.goto(typed)
    expect(visitor).to_have_url(tls_stack.site_url + "/")
    visitor.guard.problems.remove(f"request to another origin: {typed}")  # the one request before the redirect
    text = f"Typed http:// first ({id(visitor)})."
    send(visitor, text)
    assert re.match(rf"{re.escape(tls_stack.site_url)}/contact", visitor.url)
    assert_arrived(tls_stack, webhook_for_stack, text)
