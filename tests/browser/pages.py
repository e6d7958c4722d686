"""Pages as the browser tests drive them: a guard that fails the test on any
console error, uncaught exception or request to another origin; the devices a
page is seen on; and the steps several tests take (fill the contact form, Tab
to a control, tell a full page load from a swap)."""

import re

import pytest
from playwright.sync_api import expect

FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")

DEVICES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 3},
    "desktop": {"viewport": {"width": 1440, "height": 900}},
}


class Guard:
    """Watches one page; the test fails at teardown if anything went wrong."""

    def __init__(self, page, origin: str):
        self.problems: list[str] = []
        self.expected_statuses: set[int] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("request", lambda request: self._request(request.url, origin))

    def expect_status(self, *statuses: int) -> None:
        """The browser logs every 4xx/5xx response as a console error; allow these."""
        self.expected_statuses.update(statuses)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        failed = FAILED_LOAD.search(message.text)
        if failed and int(failed.group(1)) in self.expected_statuses:
            return
        self.problems.append(f"console error: {message.text}")

    def _request(self, url: str, origin: str) -> None:
        if not (url.startswith(origin + "/") or url.startswith("data:")):
            self.problems.append(f"request to another origin: {url}")


def guarded_page(context, base_url):
    page = context.new_page()
    page.guard = Guard(page, base_url)
    return page


def mark_document(page) -> None:
    """Tag the current document; is_same_document() tells if a full page load replaced it."""
    page.evaluate("window.__sameDocument = true")


def is_same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def fill(page, message: str, email: str = "ada@example.com") -> None:
    page.locator("#name").fill("Ada Lovelace")
    page.locator("#email").fill(email)
    page.locator("#company").fill("Analytical Engines")
    page.locator("#message").fill(message)


def open_home_form(page):
    page.goto("/")
    mark_document(page)
    page.locator("#contact").scroll_into_view_if_needed()
    expect(page.locator("#contact-form")).to_be_visible()  # fetched when the section was reached


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching selector has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} never received focus by Tab")
