"""Keyboard and navigation, on a desktop and a phone: a way past the filter
chips, the filter kept on the way back, Back restoring an open case study and
the scroll position, a close control at the end of each study, an opaque header."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.pages import DEVICES, guarded_page


@pytest.fixture(params=[(device, js) for device in DEVICES for js in (True, False)],
                ids=lambda p: f"{p[0]}-{'js' if p[1] else 'nojs'}")
def reader(request, browser, browser_context_args, base_url):
    device, javascript = request.param
    context = browser.new_context(**{**browser_context_args, **DEVICES[device]}, java_script_enabled=javascript)
    page = guarded_page(context, base_url)
    page.javascript = javascript
    yield page
    context.close()
    assert page.guard.problems == []


def focused(page, selector: str) -> bool:
    return page.evaluate("(s) => Boolean(document.activeElement.closest(s))", selector)


def test_a_skip_link_passes_the_filter_chips(reader):
    page = reader
    page.goto("/")
    page.locator(".hero a").last.focus()  # the last stop before the work section's filters
    page.keyboard.press("Tab")
    skip = page.locator(".skip-filter")
    expect(skip).to_be_focused()
    expect(skip).to_have_text(re.compile(r"^Skip the \d+ technology filters$"))
    box = skip.bounding_box()
    assert box["width"] >= 44 and box["height"] >= (44 if reader.viewport_size["width"] < 640 else 20)  # seen when focused
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page, "#project-list .project:first-child"), page.evaluate("document.activeElement.outerHTML")


def test_back_to_the_work_keeps_the_filter(reader):
    page = reader
    page.goto("/?tag=docker#work")
    if page.javascript:
        page.locator("#toggle-webrtc-video-platform").click()
        page.locator("#case-webrtc-video-platform .case-permalink a").click()
    else:
        page.locator("#toggle-webrtc-video-platform").click()
    expect(page).to_have_url(re.compile(r"/work/webrtc-video-platform\?tag=docker$"))
    page.locator(".back a").click()
    expect(page).to_have_url(re.compile(r"/\?tag=docker#project-webrtc-video-platform$"))
    expect(page.locator("#work-status")).to_have_text("2 of 5 projects use Docker.")


def settled_scroll(page) -> int:
    """The scroll position once it has stopped changing (a smooth scroll, a study loading)."""
    before = None
    while (now := page.evaluate("scrollY")) != before:
        before = now
        page.wait_for_timeout(300)
    return now


def test_back_restores_the_open_study_and_the_scroll_position(visitor):
    page = visitor
    page.goto("/")
    page.locator("#toggle-write").click()
    permalink = page.locator("#case-write .case-permalink a")
    permalink.focus()  # a keyboard reader, reading the study
    where = settled_scroll(page)
    assert where > 1000
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/work/write$"))
    page.go_back()
    expect(page.locator("#toggle-write")).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#case-write .case-study")).to_be_visible()
    # Exactly where the page last settled before it was left...
    page.wait_for_function("() => Math.abs(scrollY - history.state.scrollY) <= 1", timeout=5000)
    # ...which is where the reader was, give or take a scroll the page makes as the link is followed
    # (7 to 170 px measured under load; cause not found). Without the restore, the study is closed
    # and the reader lands thousands of pixels away.
    page.wait_for_function("(y) => Math.abs(scrollY - y) <= 200", arg=where, timeout=5000)


def test_an_open_study_ends_with_a_close_control_that_returns_to_its_toggle(visitor):
    page = visitor
    page.goto("/")
    toggle = page.locator("#toggle-write")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_contain_text("Close case study")
    expect(toggle).not_to_contain_text("Hide")
    close = page.locator("#case-write .study-close button")
    expect(close).to_have_text("Close the case study: Write")
    close.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_contain_text("View case study")
    expect(page.locator("#case-write")).to_be_empty()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_sticky_header_is_opaque(page, scheme):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.emulate_media(color_scheme=scheme)
    page.goto("/")
    header = page.locator(".site-header")
    assert header.evaluate("e => getComputedStyle(e).position") == "sticky"
    colour = header.evaluate("e => getComputedStyle(e).backgroundColor")
    assert re.fullmatch(r"rgb\(\d+, \d+, \d+\)", colour), colour  # no alpha: nothing reads through
