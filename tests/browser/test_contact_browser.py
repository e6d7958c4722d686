"""Sending a message in Chromium: with htmx, without JavaScript, invalid then
corrected, a double click, keyboard only, and the 422 and 429 messages."""

import re
import time

import pytest
from playwright.sync_api import expect

from app.contact import storage
from tests.browser.pages import fill, is_same_document, open_home_form


@pytest.fixture
def messages(browser_app):
    """Messages stored during the test, by their text."""

    def stored_since(start_id):
        db = storage.connect(storage.database_path(browser_app))
        try:
            return [r["message"] for r in db["messages"].rows_where("id > ?", [start_id], order_by="id")]
        finally:
            db.conn.close()

    db = storage.connect(storage.database_path(browser_app))
    start = db.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
    db.conn.close()
    return lambda: stored_since(start)


def test_send_with_javascript_without_a_page_load(page, messages):
    open_home_form(page)
    fill(page, "Hello from the home page, with htmx.")
    page.locator("#contact-form button").click()
    confirmation = page.locator("#contact-sent")
    expect(confirmation).to_contain_text("Thank you: your message has been received.")
    expect(confirmation.locator(".reference")).to_have_text(re.compile(r"^[A-Z2-7]{8}$"))
    expect(page.locator(".sent-title")).to_be_focused()
    assert is_same_document(page)
    assert messages() == ["Hello from the home page, with htmx."]


def test_send_without_javascript_lands_on_a_thank_you_page(nojs_page, messages):
    page = nojs_page
    page.goto("/")
    page.locator("#contact .contact-slot a").click()
    expect(page).to_have_url(re.compile(r"/contact$"))
    fill(page, "Hello without JavaScript.")
    page.locator("#contact-form button").click()
    expect(page).to_have_url(re.compile(r"/contact/thanks\?ref=[A-Z2-7]{8}$"))
    expect(page.locator(".sent-title")).to_have_text("Thank you: your message has been received.")
    assert messages() == ["Hello without JavaScript."]


def test_invalid_then_corrected(page, messages):
    page.guard.expect_status(422)
    open_home_form(page)
    # The browser accepts this address; the server's check does not.
    fill(page, "A message with a doubtful address.", email="ada@localhost")
    page.locator("#contact-form button").click()
    alert = page.locator('#contact-form [role="alert"]')
    expect(alert).to_be_visible()
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email-error")).to_be_visible()
    expect(page.locator("#email")).to_be_focused()
    expect(page.locator("#message")).to_have_value("A message with a doubtful address.")  # nothing lost
    page.locator("#email").fill("ada@example.com")
    page.locator("#contact-form button").click()
    expect(page.locator("#contact-sent")).to_be_visible()
    assert messages() == ["A message with a doubtful address."]


def test_invalid_then_corrected_without_javascript(nojs_page, messages):
    page = nojs_page
    page.guard.expect_status(422)
    page.goto("/contact")
    fill(page, "Checking the server's own validation.", email="ada@localhost")
    page.locator("#contact-form button").click()
    expect(page.locator("#email-error")).to_be_visible()
    expect(page.locator("#email")).to_be_focused()
    expect(page.locator("#message")).to_have_value("Checking the server's own validation.")
    page.locator("#email").fill("ada@example.com")
    page.locator("#contact-form button").click()
    expect(page).to_have_url(re.compile(r"/contact/thanks"))
    assert messages() == ["Checking the server's own validation."]


@pytest.fixture
def slow_storage(monkeypatch):
    """Make each store take a while, so a second click lands while the first is in flight."""
    real_store = storage.store_message

    def slow_store(*args, **kwargs):
        time.sleep(0.6)
        return real_store(*args, **kwargs)

    monkeypatch.setattr(storage, "store_message", slow_store)


def test_button_is_disabled_in_flight_and_a_double_click_stores_one(page, messages, slow_storage):
    open_home_form(page)
    fill(page, "Clicked twice, stored once.")
    button = page.locator("#contact-form button")
    button.dblclick()
    expect(button).to_be_disabled()
    expect(page.locator("#contact-sent")).to_be_visible()
    assert messages() == ["Clicked twice, stored once."]


def test_a_resent_form_without_javascript_stores_one(nojs_page, messages):
    """A browser retry after a dropped connection: the same bytes reach the server twice."""
    page = nojs_page
    sent = []

    def send_twice(route):
        if route.request.method != "POST":
            return route.continue_()
        sent.append(route.fetch(max_redirects=0))
        sent.append(route.fetch(max_redirects=0))
        route.fulfill(response=sent[-1])

    page.route("**/contact", send_twice)
    page.goto("/contact")
    fill(page, "Sent twice by a retrying browser.")
    page.locator("#contact-form button").click()
    expect(page).to_have_url(re.compile(r"/contact/thanks\?ref="))
    assert [r.status for r in sent] == [303, 303]
    assert sent[0].headers["location"] == sent[1].headers["location"]  # the same reference both times
    assert messages() == ["Sent twice by a retrying browser."]


def test_keyboard_only(page, messages):
    open_home_form(page)
    page.locator("#contact-form").evaluate("form => form.closest('section').querySelector('h2').scrollIntoView()")
    page.locator("#name").focus()
    page.keyboard.type("Grace Hopper")
    page.keyboard.press("Tab")
    page.keyboard.type("grace@example.com")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("Typed with the keyboard alone.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"  # the honeypot is skipped
    page.keyboard.press("Enter")
    expect(page.locator(".sent-title")).to_be_focused()
    assert messages() == ["Typed with the keyboard alone."]


def test_rate_limit_message_is_visible_and_announced(page, browser_app, messages, monkeypatch):
    page.guard.expect_status(429)
    open_home_form(page)
    fill(page, "First of two in a row.")
    page.locator("#contact-form button").click()
    expect(page.locator("#contact-sent")).to_be_visible()

    # This address has now sent at least one message within the hour.
    monkeypatch.setitem(browser_app.config, "CONTACT_RATE_LIMIT", (1, 3600))
    page.goto("/contact")
    fill(page, "Second, over the limit.")
    page.locator("#contact-form button").click()
    alert = page.locator('#contact-form [role="alert"]')
    expect(alert).to_contain_text("try again in about")
    expect(page.locator("#message")).to_have_value("Second, over the limit.")
    assert messages() == ["First of two in a row."]


def test_server_failure_keeps_the_form_and_says_so(page, messages, monkeypatch):
    page.guard.expect_status(503)

    def locked(*args, **kwargs):
        import sqlite3

        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(storage, "store_message", locked)
    open_home_form(page)
    fill(page, "Please keep this text safe.")
    page.locator("#contact-form button").click()
    expect(page.locator("#notice")).to_contain_text("could not be saved")
    expect(page.locator("#message")).to_have_value("Please keep this text safe.")
    expect(page.locator("#contact-form button")).to_be_enabled()
