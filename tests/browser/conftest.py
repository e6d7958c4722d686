"""Browser fixtures: a live server, and pages that fail the test on any console
error, uncaught exception or request to another host."""

import re

import pytest

from app import create_app
from tests.browser.support import chromium_launch_args, live_server
from tests.conftest import app_settings

FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # pytest-playwright's hook: use Debian's Chromium, not a downloaded build.
    return {**browser_type_launch_args, **chromium_launch_args()}


@pytest.fixture(scope="session")
def browser_app(tmp_path_factory):
    return create_app(app_settings(tmp_path_factory.mktemp("db")))


@pytest.fixture(scope="session")
def base_url(browser_app):
    # pytest-playwright's fixture: page.goto("/") resolves against it.
    with live_server(browser_app) as url:
        yield url


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


@pytest.fixture
def page(context, base_url):
    """A page with JavaScript on."""
    page = guarded_page(context, base_url)
    yield page
    assert page.guard.problems == []


@pytest.fixture
def nojs_page(browser, browser_context_args, base_url):
    """A page with JavaScript off: every journey must still work as plain navigation."""
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = guarded_page(context, base_url)
    yield page
    context.close()
    assert page.guard.problems == []


def mark_document(page) -> None:
    """Tag the current document; is_same_document() tells if a full page load replaced it."""
    page.evaluate("window.__sameDocument = true")


def is_same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")
