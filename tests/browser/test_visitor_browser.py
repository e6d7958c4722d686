"""What a visitor feels on a phone and a desktop: feedback within 100 ms of every
click that waits on the network (on slow 3G), repeated clicks ignored, keyboard
journeys that never lose focus, 44 px touch targets, honest figures, titles."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.pages import guarded_page, tab_to

# Chrome DevTools' "Slow 3G": 2 s round trip, about 50 KB/s each way.
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
CONTROLS = "a[href], button, input:not([type=hidden]), textarea, select, [role=button], [tabindex='0']"


def slow_3g(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)


def watch_feedback(page, control: str, region: str) -> None:
    """Record when a click lands and when, after it, the control is marked as
    waiting and the region busy, each stamped at the next frame (when it shows)."""
    page.evaluate("""([control, region]) => {
        window.__feedback = {};
        document.addEventListener('click', () => { window.__feedback.click ??= performance.now(); }, true);
        document.addEventListener('keydown', () => { window.__feedback.click ??= performance.now(); }, true);
        document.addEventListener('submit', () => { window.__feedback.click ??= performance.now(); }, true);
        const stamp = (name) => requestAnimationFrame(() => { window.__feedback[name] ??= performance.now(); });
        new MutationObserver(() => {
            if (document.querySelector(control)?.classList.contains('htmx-request')) stamp('control');
            if (document.querySelector(region)?.getAttribute('aria-busy') === 'true') stamp('region');
        }).observe(document.body, {attributes: true, subtree: true, attributeFilter: ['class', 'aria-busy']});
    }""", [control, region])


def feedback_delays(page) -> dict:
    for _ in range(100):  # wait_for_function would need eval, which the site's CSP forbids
        seen = page.evaluate("window.__feedback")
        if "control" in seen and "region" in seen:
            break
        page.wait_for_timeout(20)
    return {name: seen[name] - seen["click"] for name in ("control", "region")}


def assert_quick(page) -> None:
    delays = feedback_delays(page)
    assert max(delays.values()) < 100, delays


# --- Feedback while waiting, on slow 3G ---------------------------------------

def test_case_study_toggle_shows_loading_at_once(visitor):
    page = visitor
    page.goto("/")
    slow_3g(page)
    toggle, slot = page.locator("#toggle-write"), page.locator("#case-write")
    watch_feedback(page, "#toggle-write", "#case-write")
    toggle.click()
    assert_quick(page)
    expect(slot).to_have_attribute("aria-busy", "true")
    assert slot.evaluate("e => getComputedStyle(e, '::before').content") == '"Loading the case study…"'
    assert slot.bounding_box()["height"] > 20  # the words are on screen, not only in the DOM
    expect(slot.locator(".case-study")).to_be_visible(timeout=15_000)
    expect(slot).not_to_have_attribute("aria-busy", "true")
    expect(toggle).to_have_attribute("aria-expanded", "true")


def test_filter_chip_shows_loading_at_once(visitor):
    page = visitor
    page.goto("/")
    slow_3g(page)
    watch_feedback(page, "#filter-docker", "#work-list")
    page.locator("#filter-docker").click()
    assert_quick(page)
    expect(page.locator("#work-list")).to_have_attribute("aria-busy", "true")
    assert float(page.locator("#work-list .projects").evaluate("e => getComputedStyle(e).opacity")) < 1
    assert page.locator("#filter-docker").evaluate("e => getComputedStyle(e).borderStyle") == "dashed"
    expect(page.locator("#work-status")).to_have_text("2 of 5 projects use Docker.", timeout=15_000)
    expect(page.locator("#work-list")).not_to_have_attribute("aria-busy", "true")
    assert float(page.locator("#work-list .projects").evaluate("e => getComputedStyle(e).opacity")) == 1


def test_contact_form_arriving_shows_loading(visitor):
    page = visitor
    page.goto("/")
    slow_3g(page)
    watch_feedback(page, "#contact .contact-slot", "#contact .contact-slot")
    page.evaluate("window.__feedback.click = performance.now()")  # the "click" here is reaching the section
    page.locator("#contact").scroll_into_view_if_needed()
    slot = page.locator("#contact .contact-slot")
    expect(slot).to_have_attribute("aria-busy", "true")
    assert slot.evaluate("e => getComputedStyle(e, '::after').content") == '"Loading the form…"'
    expect(page.locator("#contact-form")).to_be_visible(timeout=15_000)
    expect(slot).not_to_have_attribute("aria-busy", "true")


def test_send_says_sending_at_once(visitor):
    page = visitor
    page.goto("/contact")
    for field, value in (("#name", "Ada"), ("#email", "ada@example.com"), ("#message", "Hello, on a slow network.")):
        page.locator(field).fill(value)
    slow_3g(page)
    button = page.locator("#contact-form button")
    expect(button).to_have_text("Send message", use_inner_text=True)
    watch_feedback(page, "#contact-form", "#contact-form")
    button.click()
    assert_quick(page)
    expect(button).to_have_text("Sending…", use_inner_text=True)
    expect(button).to_be_disabled()
    expect(page.locator("#contact-sent")).to_be_visible(timeout=20_000)


# --- Repeated clicks -----------------------------------------------------------

def test_double_click_on_view_case_study_ends_open(visitor):
    page = visitor
    page.goto("/")
    slow_3g(page)
    requests = []
    page.on("request", lambda request: requests.append(request.url) if request.url.endswith("/work/write") else None)
    toggle = page.locator("#toggle-write")
    toggle.dblclick()
    expect(page.locator("#case-write .case-study")).to_be_visible(timeout=15_000)
    page.wait_for_timeout(500)  # a second request, had one been queued, would now collapse it
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#case-write .case-study")).to_have_count(1)
    assert len(requests) == 1


def test_second_click_on_the_same_chip_while_waiting_is_ignored(phone):
    page = phone
    page.goto("/")
    slow_3g(page)
    requests = []
    page.on("request", lambda request: requests.append(request.url) if "tag=react" in request.url else None)
    chip = page.locator("#filter-react")
    chip.click()
    chip.click()
    expect(page.locator("#work-status")).to_have_text("2 of 5 projects use React.", timeout=15_000)
    assert len(requests) == 1


# --- Keyboard --------------------------------------------------------------------

def test_toggle_is_an_expandable_button_that_answers_enter_and_space(page):
    page.emulate_media(reduced_motion="reduce")  # no smooth scrolling still under way when scrollY is read
    page.goto("/")
    toggle = page.locator("#toggle-crypto-exchange")
    expect(toggle).to_have_attribute("role", "button")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", "case-crypto-exchange")
    tab_to(page, "#toggle-crypto-exchange")
    scrolled = page.evaluate("window.scrollY")
    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#case-crypto-exchange .case-study")).to_be_visible()
    assert page.evaluate("window.scrollY") == scrolled  # Space did not scroll the page
    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()


def test_toggles_stay_buttons_after_the_filter_swaps_the_list_and_after_back(page):
    page.goto("/")
    page.locator("#toggle-write").click()
    expect(page.locator("#toggle-write")).to_have_attribute("aria-expanded", "true")
    page.locator("#filter-react").click()
    expect(page.locator("#work-status")).to_have_text("2 of 5 projects use React.")
    page.locator("#filter-docker").click()
    expect(page.locator("#work-status")).to_have_text("2 of 5 projects use Docker.")
    page.go_back()  # htmx 4 fetches the page again and swaps it in
    expect(page.locator("#work-status")).to_have_text("2 of 5 projects use React.")
    for toggle in page.locator("#work-list .case-toggle").all():
        expect(toggle).to_have_attribute("role", "button")
        expect(toggle).to_have_attribute("aria-expanded", "false")
    page.locator("#toggle-crypto-exchange").press("Space")
    expect(page.locator("#case-crypto-exchange .case-study")).to_be_visible()


def test_without_javascript_toggles_are_plain_links(nojs_page):
    nojs_page.goto("/")
    toggle = nojs_page.locator("#toggle-write")
    assert toggle.get_attribute("role") is None and toggle.get_attribute("aria-expanded") is None
    assert nojs_page.evaluate("document.querySelector('#toggle-write').href").endswith("/work/write")


def test_focus_moves_into_the_contact_form_when_it_replaces_the_focused_link(page):
    page.goto("/")
    slow_3g(page)
    tab_to(page, "#contact .contact-slot a")  # reaching it scrolls the section in: the form is fetched
    expect(page.locator("#contact .contact-slot")).to_have_attribute("aria-busy", "true")
    expect(page.locator("#name")).to_be_focused(timeout=15_000)
    page.keyboard.press("Tab")
    expect(page.locator("#email")).to_be_focused()


@pytest.mark.parametrize("failure", ["503", "no network"])
def test_failed_send_returns_focus_to_the_button(page, failure):
    page.guard.expect_status(503)
    page.goto("/contact")
    for field, value in (("#name", "Ada"), ("#email", "ada@example.com"), ("#message", "Hello, to a server that fails.")):
        page.locator(field).fill(value)

    def fail(route):
        if route.request.method != "POST":
            route.continue_()
        elif failure == "503":
            route.fulfill(status=503, body="<p>down</p>", content_type="text/html")
        else:
            route.abort()

    page.route("**/contact", fail)
    tab_to(page, "#contact-form button")
    page.keyboard.press("Enter")
    expect(page.locator("#notice")).not_to_be_empty()
    button = page.locator("#contact-form button")
    expect(button).to_be_enabled()
    expect(button).to_be_focused()
    expect(page.locator("#message")).to_have_value("Hello, to a server that fails.")
    # The browser and htmx log the aborted request as console errors; those are expected here.
    page.guard.problems = [p for p in page.guard.problems if not ("ERR_FAILED" in p or "Failed to fetch" in p)]


# --- Touch -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/?tag=python", "/work/l1-market-data-engine", "/contact", "/contact/thanks?ref=ABCDEFGH", "/work/nope", "/cv"])
def test_every_control_on_a_phone_is_at_least_44_px(phone, path):
    page = phone
    page.guard.expect_status(404)
    page.goto(path)
    if path == "/":
        page.locator("#toggle-write").click()  # an open case study has controls too
        expect(page.locator("#case-write .case-study")).to_be_visible()
        page.locator("#contact").scroll_into_view_if_needed()
        expect(page.locator("#contact-form")).to_be_visible()
    small = page.evaluate("""(selector) => [...document.querySelectorAll(selector)]
        .filter((e) => e.getClientRects().length && !e.closest('[aria-hidden=true]') && !e.matches('.skip-link, .skip-filter:not(:focus)'))
        .map((e) => [e.id || e.className || e.tagName, e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
        .filter(([, , box]) => box.width < 44 || box.height < 44)
        .map(([name, text, box]) => `${name} "${text}" ${Math.round(box.width)}x${Math.round(box.height)}`)""", CONTROLS)
    assert small == []


def test_tech_pills_on_a_case_page_are_links_edge_to_edge(phone):
    phone.goto("/work/l1-market-data-engine")
    for pill in phone.locator(".case-page .stack li").all():
        pill_box, link_box = pill.bounding_box(), pill.locator("a").bounding_box()
        assert link_box == pill_box  # the whole pill is the link


def test_phone_filter_row_says_it_scrolls(phone):
    phone.goto("/")
    row = phone.locator(".filter ul")
    assert row.evaluate("e => e.scrollWidth > e.clientWidth")  # one row, wider than the screen
    expect(phone.locator(".filter-hint")).to_be_visible()
    expect(phone.locator(".filter-hint")).to_have_text("Swipe sideways for all 26 filters.")
    assert row.evaluate("e => getComputedStyle(e).maskImage") != "none"  # the edge fades: more to come


def test_desktop_filter_wraps_without_a_hint(page):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/")
    expect(page.locator(".filter-hint")).to_be_hidden()
    assert page.locator(".filter ul").evaluate("e => e.scrollWidth <= e.clientWidth")


# --- Figures and titles ---------------------------------------------------------------

def sample_first_figure(page) -> None:
    """Record, every frame, the first figure's number as painted (the count-up paints
    data-shown over the real text) whenever any of it is on screen."""
    page.evaluate("""() => {
        window.__shown = [];
        const figure = document.querySelector('.figures dd');
        const sample = () => {
            const box = figure.getBoundingClientRect();
            if (box.bottom > 0 && box.top < innerHeight) window.__shown.push(parseInt(figure.dataset.shown ?? figure.textContent));
            requestAnimationFrame(sample);
        };
        requestAnimationFrame(sample);
    }""")


def test_count_up_never_shows_the_figure_then_a_smaller_one(phone):
    page = phone
    page.emulate_media(reduced_motion="no-preference")
    page.goto("/")
    sample_first_figure(page)
    # Scroll the figure in slowly: first a sliver of it, then all of it.
    top = page.evaluate("document.querySelector('.figures dd').getBoundingClientRect().top + scrollY")
    for offset in (40, 30, 20, 0, -200):
        page.evaluate(f"window.scrollTo({{top: {top} - innerHeight + {40 - offset}, behavior: 'instant'}})")
        page.wait_for_timeout(150)
    page.wait_for_timeout(1200)
    shown = page.evaluate("window.__shown")
    assert shown and shown[-1] == 5
    assert shown == sorted(shown), shown  # never back down


def test_arriving_at_the_numbers_counts_up_from_zero_or_not_at_all(phone):
    phone.emulate_media(reduced_motion="no-preference")
    phone.goto("/#numbers")
    sample_first_figure(phone)
    # Until any count-up has finished (the real text is "5" throughout; the count paints over it).
    phone.wait_for_function("() => window.__shown.length && !document.querySelector('.figures dd').dataset.shown")
    phone.wait_for_timeout(100)
    shown = phone.evaluate("window.__shown")
    assert shown and shown[-1] == 5 and shown == sorted(shown), shown


def test_a_figure_on_screen_when_the_page_opens_is_not_animated(browser, browser_context_args, base_url):
    # A screen tall enough to show the numbers at once: the real figure stays, no count.
    context = browser.new_context(**browser_context_args, viewport={"width": 1440, "height": 12000}, reduced_motion="no-preference")
    page = guarded_page(context, base_url)
    page.goto("/")
    sample_first_figure(page)
    page.wait_for_timeout(1200)
    shown = page.evaluate("window.__shown")
    context.close()
    assert page.guard.problems == []
    assert shown and set(shown) == {5}, shown


def test_filtering_in_place_retitles_the_page(page):
    page.goto("/")
    expect(page).to_have_title("Harsh Tiwari — Software Engineer")
    page.locator("#filter-docker").click()
    expect(page).to_have_title("Work with Docker — Harsh Tiwari")
    page.locator("#filter-all").click()
    expect(page).to_have_title("Harsh Tiwari — Software Engineer")


# --- First view stays light -------------------------------------------------------------

def test_first_view_loads_no_preview_manifest_or_touch_icon(visitor):
    page = visitor
    urls = []
    page.on("requestfinished", lambda request: urls.append(request.url))
    page.goto("/", wait_until="networkidle")
    paths = [re.sub(r"^https?://[^/]+", "", url) for url in urls]
    assert not [p for p in paths if p.startswith(("/social/", "/icons/", "/site.webmanifest", "/apple-touch-icon"))], paths
    assert len(paths) <= 6, paths
