"""Visitor journeys in Chromium, with JavaScript on (htmx) and off (plain navigation)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.pages import guarded_page, is_same_document, mark_document, tab_to

DOCKER = ["L1 Market Data Engine", "WebRTC Video Platform"]
REACT = ["Crypto Exchange", "WebRTC Video Platform"]


def titles(page) -> list[str]:
    return page.locator("#work-list .project-title").all_inner_texts()


def focused_id(page) -> str:
    return page.evaluate("document.activeElement.id")


# --- JavaScript on -----------------------------------------------------------

def test_case_study_expands_and_collapses_in_place(page):
    page.goto("/")
    mark_document(page)
    toggle = page.locator("#toggle-write")
    slot = page.locator("#case-write")

    toggle.click()
    expect(slot.locator("h4").first).to_have_text("Architecture")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_contain_text("Close case study")

    toggle.click()
    expect(slot).to_be_empty()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(slot.locator(".case-study")).to_have_count(1)  # expanding again does not duplicate
    assert page.url.endswith("/")
    assert is_same_document(page)


def test_filter_then_back_forward_and_reload(page, base_url):
    page.goto("/")
    mark_document(page)
    status = page.locator("#work-status")
    expect(status).to_have_text("Showing all 5 projects.")

    page.locator("#filter-docker").click()
    expect(status).to_have_text("2 of 5 projects use Docker.")
    assert titles(page) == DOCKER
    expect(page).to_have_url(re.compile(r"/\?tag=docker"))
    expect(page.locator("#filter-docker")).to_have_attribute("aria-current", "page")

    page.locator("#filter-react").click()
    expect(status).to_have_text("2 of 5 projects use React.")
    assert titles(page) == REACT
    expect(page).to_have_url(re.compile(r"/\?tag=react"))
    assert is_same_document(page)  # no page load so far

    page.go_back()
    expect(page).to_have_url(re.compile(r"/\?tag=docker"))
    expect(page.locator("#filter-docker")).to_have_attribute("aria-current", "page")
    expect(page.locator("#work-list .project-title")).to_have_text(DOCKER)

    page.go_forward()
    expect(page).to_have_url(re.compile(r"/\?tag=react"))
    expect(page.locator("#work-list .project-title")).to_have_text(REACT)

    page.reload()
    expect(page.locator("#work-list .project-title")).to_have_text(REACT)
    expect(page.locator("#filter-react")).to_have_attribute("aria-current", "page")
    expect(page.locator("header.site-header")).to_have_count(1)  # a whole page, not a fragment

    page.locator("#filter-all").click()
    expect(status).to_have_text("Showing all 5 projects.")
    expect(page).to_have_url(base_url + "/")


def test_filter_on_the_work_page(page):
    page.goto("/work")
    mark_document(page)
    page.locator("#filter-c").click()
    expect(page.locator("#work-status")).to_have_text("1 of 5 projects uses C.")
    expect(page).to_have_url(re.compile(r"/work\?tag=c$"))
    assert titles(page) == ["Interactive Sun Ray Casting Simulation"]
    assert is_same_document(page)


def test_keyboard_only_filter_and_case_study(page):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"

    tab_to(page, "#filter-python")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.press("Enter")
    expect(page.locator("#work-status")).to_have_text("1 of 5 projects uses Python.")
    assert focused_id(page) == "filter-python"  # the swap keeps focus where it was

    tab_to(page, "#toggle-l1-market-data-engine")
    page.keyboard.press("Enter")
    expect(page.locator("#toggle-l1-market-data-engine")).to_have_attribute("aria-expanded", "true")
    assert focused_id(page) == "toggle-l1-market-data-engine"
    page.keyboard.press("Tab")  # into the study just opened
    assert page.evaluate("document.activeElement.closest('#case-l1-market-data-engine') !== null")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#toggle-l1-market-data-engine")).to_have_attribute("aria-expanded", "false")


def test_server_error_shows_a_message_and_swaps_nothing(page):
    page.guard.expect_status(503)
    page.goto("/")
    page.route("**/work/write", lambda route: route.fulfill(status=503, body="<h1>down</h1>", content_type="text/html"))
    page.locator("#toggle-write").click()
    expect(page.locator("#notice")).to_contain_text("something went wrong on our side")
    expect(page.locator("#case-write")).to_be_empty()
    expect(page.locator("#toggle-write")).to_have_attribute("aria-expanded", "false")


def test_unknown_case_study_is_a_styled_404(page):
    page.guard.expect_status(404)
    response = page.goto("/work/nope")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    page.locator("main a.button").click()
    expect(page.locator("#hero-title")).to_be_visible()


def test_numbers_count_up_only_without_reduced_motion(browser, browser_context_args):
    for motion, animates in (("reduce", False), ("no-preference", True)):
        context = browser.new_context(**browser_context_args, reduced_motion=motion)
        page = context.new_page()
        page.goto("/")
        page.evaluate("""() => {
            window.__seen = [];
            const figure = document.querySelector('.figures dd');
            new MutationObserver(() => window.__seen.push(figure.dataset.shown ?? figure.textContent)).observe(figure, {childList: true, characterData: true, subtree: true, attributes: true});
        }""")
        page.locator("#numbers").scroll_into_view_if_needed()
        page.wait_for_timeout(1300)
        seen = page.evaluate("window.__seen")
        assert bool(seen) == animates, (motion, seen)
        expect(page.locator(".figures dd").first).to_have_text("5")  # always ends on the real figure
        expect(page.locator(".figures dd").first).not_to_have_attribute("data-shown", re.compile(""))
        context.close()


@pytest.mark.parametrize("width", [320, 390, 1440, 2560])
@pytest.mark.parametrize("path", ["/", "/work", "/work/l1-market-data-engine"])
def test_no_horizontal_scroll(page, width, path):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(path)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


# --- JavaScript off ----------------------------------------------------------

def test_without_javascript_case_study_is_a_page(nojs_page):
    page = nojs_page
    page.goto("/")
    page.locator("#toggle-write").click()
    expect(page).to_have_url(re.compile(r"/work/write$"))
    expect(page.locator("h1")).to_have_text("Write")
    expect(page.locator("main")).to_contain_text("Managing editor state efficiently")
    page.locator('a[rel="next"]').click()
    expect(page.locator("h1")).to_have_text("Interactive Sun Ray Casting Simulation")
    page.locator(".back a").click()
    expect(page).to_have_url(re.compile(r"/#project-sun-ray-casting$"))


def test_without_javascript_filter_is_plain_navigation(nojs_page):
    page = nojs_page
    page.goto("/")
    page.locator("#filter-docker").click()
    expect(page).to_have_url(re.compile(r"/\?tag=docker#work$"))
    expect(page.locator("#work-status")).to_have_text("2 of 5 projects use Docker.")
    assert titles(page) == DOCKER
    page.locator("#filter-react").click()
    assert titles(page) == REACT
    page.go_back()
    assert titles(page) == DOCKER
    page.go_forward()
    assert titles(page) == REACT
    page.reload()
    assert titles(page) == REACT
    page.locator("#filter-all").click()
    expect(page.locator("#work-status")).to_have_text("Showing all 5 projects.")


def test_without_javascript_keyboard_only(nojs_page):
    page = nojs_page
    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    expect(page).to_have_url(re.compile(r"#main$"))
    tab_to(page, "#filter-c")
    page.keyboard.press("Enter")
    expect(page.locator("#work-status")).to_have_text("1 of 5 projects uses C.")
    tab_to(page, "#toggle-sun-ray-casting")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Interactive Sun Ray Casting Simulation")


def test_without_javascript_the_real_figures_show(nojs_page):
    nojs_page.goto("/")
    expect(nojs_page.locator(".figures dd")).to_have_text(["5", re.compile(r"^\d+$")])


def test_the_guard_catches_foreign_requests_and_console_errors(context, base_url):
    # Guards the guard. The foreign request is aborted in the browser, so nothing leaves the machine.
    page = guarded_page(context, base_url)
    page.route("http://elsewhere.invalid/**", lambda route: route.abort())
    page.goto("/")
    page.evaluate("""() => {
        const img = document.createElement('img');
        img.src = 'http://elsewhere.invalid/pixel.png';
        document.body.append(img);
        console.error('boom');
    }""")
    page.wait_for_timeout(200)
    assert any("elsewhere.invalid" in p for p in page.guard.problems)
    assert any("boom" in p for p in page.guard.problems)


def test_print_leaves_out_the_chrome(page):
    page.emulate_media(media="print")
    page.goto("/")
    for selector in (".site-header nav", ".filter", ".case-toggle", ".hero-actions", "#work-status"):
        assert page.locator(selector).first.evaluate("e => getComputedStyle(e).display") == "none", selector
    expect(page.locator("#hero-title")).to_be_visible()
    expect(page.locator("#project-write .project-problem")).to_be_visible()


def test_first_view_budget_in_the_browser(page):
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/", wait_until="networkidle")
    sizes = {r.url: r.sizes()["responseBodySize"] for r in finished}
    assert len(finished) <= 6, sizes
    assert sum(sizes.values()) <= 40 * 1024, sizes


def test_the_guard_catches_csp_violations(context, base_url):
    # The CSP is enforced in every browser test; a violation is a console error, so it fails the test.
    page = guarded_page(context, base_url)
    page.goto("/")
    page.evaluate("""() => {
        const script = document.createElement('script');
        script.textContent = 'window.inlineRan = true';
        document.body.append(script);
    }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.inlineRan") is None  # blocked
    assert any("Content Security Policy" in p for p in page.guard.problems)
