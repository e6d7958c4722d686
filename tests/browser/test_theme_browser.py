"""A theme of one's own: light, dark or the system's, remembered across visits,
painted from the first frame (no flash of the other theme), under the strict
CSP, and absent without JavaScript. (axe in both chosen themes: test_accessibility.)"""

import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from tests.browser.pages import DEVICES, guarded_page

BACKGROUND = {"light": (0xF7, 0xF7, 0xF4), "dark": (0x0E, 0x10, 0x13)}


def first_pixel(png: bytes) -> tuple[int, int, int]:
    """The top-left pixel of a PNG screenshot (8-bit RGB or RGBA, as Chromium writes them)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, width, channels = 8, b"", 0, 0
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        data = png[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, _, depth, colour = struct.unpack(">IIBB", data[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += data
        position += 12 + length
    row = zlib.decompress(idat)[:1 + width * channels]
    # Filter types 0 (none), 1 (sub), 2 (up: the first row has none above), 3 (average), 4 (Paeth):
    # for the first pixel of the first row, every one leaves the bytes as they are or halves nothing.
    assert row[0] in (0, 1, 2, 4), row[0]
    return tuple(row[1:4])


def painted_at_first_frame(page, path: str) -> tuple[int, int, int]:
    """Navigate and capture the first frame painted while site.js is still held back
    (deferred scripts run late on a slow network: a theme applied there would flash
    the other one first)."""
    held = []
    page.route(re.compile(r"/static/js/site\.[0-9a-f]+\.js$"), lambda route: held.append(route))
    page.goto(path, wait_until="commit")
    page.wait_for_function("() => document.readyState !== 'loading' && Boolean(document.body)")  # parsed; site.js not run
    assert page.evaluate("!document.querySelector('.theme-control').checkVisibility()")  # site.js has not run
    pixel = first_pixel(page.screenshot(clip={"x": 0, "y": 0, "width": 2, "height": 2}, animations="disabled"))
    for route in held:
        route.continue_()
    return pixel


@pytest.fixture(params=list(DEVICES))
def size(request):
    return request.param


def visitor_with(browser, browser_context_args, base_url, size, scheme, javascript=True):
    context = browser.new_context(**{**browser_context_args, **DEVICES[size]}, color_scheme=scheme,
                                  java_script_enabled=javascript)
    return context, guarded_page(context, base_url)


@pytest.mark.parametrize("scheme, choice, expected", [
    ("light", "dark", "dark"),
    ("dark", "light", "light"),
    ("dark", "system", "dark"),
    ("light", "system", "light"),
])
def test_a_chosen_theme_is_remembered_and_painted_from_the_first_frame(browser, browser_context_args, base_url,
                                                                       size, scheme, choice, expected):
    context, page = visitor_with(browser, browser_context_args, base_url, size, scheme)
    page.goto("/work")
    control = page.locator(".theme-control")
    expect(control).to_be_visible()
    expect(control.locator('[aria-pressed="true"]')).to_have_text("System")
    control.get_by_role("button", name=choice.capitalize()).click()
    expect(control.get_by_role("button", name=choice.capitalize())).to_have_attribute("aria-pressed", "true")
    # A later visit, another page: the first frame is already in the chosen theme.
    fresh = context.new_page()
    fresh.guard = page.guard
    assert painted_at_first_frame(fresh, "/") == BACKGROUND[expected]
    expect(fresh.locator(".theme-control [aria-pressed=true]")).to_have_text(choice.capitalize())
    context.close()
    assert page.guard.problems == []


def test_without_javascript_there_is_no_control_and_the_system_rules(browser, browser_context_args, base_url, size):
    for scheme in ("light", "dark"):
        context, page = visitor_with(browser, browser_context_args, base_url, size, scheme, javascript=False)
        page.goto("/")
        expect(page.locator(".theme-control")).to_be_hidden()
        assert first_pixel(page.screenshot(clip={"x": 0, "y": 0, "width": 2, "height": 2})) == BACKGROUND[scheme]
        context.close()
        assert page.guard.problems == []
