"""Browser fixtures: a live server, and guarded pages (tests/browser/pages.py)
with and without JavaScript, on a phone and a desktop."""

import pytest

from app import create_app
from tests.browser.pages import DEVICES, guarded_page
from tests.browser.support import chromium_launch_args, live_server
from tests.apps import app_settings


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


@pytest.fixture(params=list(DEVICES))
def visitor(request, browser, browser_context_args, base_url):
    """A page with JavaScript on, as a phone (touch) or a desktop."""
    context = browser.new_context(**{**browser_context_args, **DEVICES[request.param]})
    page = guarded_page(context, base_url)
    page.device_name = request.param
    yield page
    context.close()
    assert page.guard.problems == []


@pytest.fixture
def phone(browser, browser_context_args, base_url):
    """A page with JavaScript on, as a phone (touch)."""
    context = browser.new_context(**{**browser_context_args, **DEVICES["phone"]})
    page = guarded_page(context, base_url)
    yield page
    context.close()
    assert page.guard.problems == []
