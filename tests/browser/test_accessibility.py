"""axe-core finds no WCAG 2.2 A/AA violation, in light and dark, on every page
and with a case study expanded. axe runs from node_modules: no network."""

import pytest
from playwright.sync_api import expect

from app.config import ROOT

AXE = ROOT / "node_modules/axe-core/axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def browser_context_args(browser_context_args):
    # axe is injected as an inline script, which the site's CSP rightly blocks;
    # every other browser test runs with the CSP enforced.
    return {**browser_context_args, "bypass_csp": True}


def violations(page) -> list[str]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make test`, which installs it with npm ci.")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in result["violations"]
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["/", "/work?tag=react", "/work/crypto-exchange", "/work/nope", "/contact", "/contact/thanks?ref=ABCDEFGH", "/cv"])
def test_pages_have_no_wcag_violations(page, path, scheme):
    page.guard.expect_status(404)
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    page.goto(path)
    assert violations(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_expanded_case_study_has_no_wcag_violations(page, scheme):
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    page.goto("/")
    page.locator("#toggle-crypto-exchange").click()
    expect(page.locator("#case-crypto-exchange .case-study")).to_be_visible()
    assert violations(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["/", "/cv"])
def test_pages_without_their_scripts_have_no_wcag_violations(page, path, scheme):
    # As with JavaScript off: the site's scripts (htmx, site.js) never run, and the templates have no
    # <noscript> to differ. Chromium cannot run axe itself with JavaScript off, so only the site's are left out.
    page.route("**/*.js", lambda route: route.fulfill(status=200, content_type="text/javascript", body=""))
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    page.goto(path)
    assert page.evaluate("typeof htmx") == "undefined"
    assert violations(page) == []


def test_axe_does_report_violations(page):
    # Guards the guard: a low-contrast line and an unlabelled image must be caught.
    page.goto("/")
    page.evaluate("""() => {
        const p = document.createElement('p');
        p.textContent = 'faint';
        p.style.color = '#eee';
        p.style.background = '#fff';
        const img = document.createElement('img');
        img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
        document.querySelector('main').append(p, img);
    }""")
    found = " ".join(violations(page))
    assert "color-contrast" in found and "image-alt" in found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_form_with_errors_has_no_wcag_violations(page, scheme):
    page.guard.expect_status(422)
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    page.goto("/contact")
    page.locator("#name").fill("Ada")
    page.locator("#email").fill("ada@localhost")
    page.locator("#message").fill("A message long enough.")
    page.locator("#contact-form button").click()
    expect(page.locator("#email-error")).to_be_visible()
    assert violations(page) == []


@pytest.mark.parametrize("scheme, chosen", [("light", "dark"), ("dark", "light")])
@pytest.mark.parametrize("path", ["/", "/work/crypto-exchange", "/contact"])
def test_a_chosen_theme_has_no_wcag_violations(page, path, scheme, chosen):
    # The theme control's choice, against the system's: every colour must still pass.
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    page.add_init_script(f"localStorage.setItem('theme', '{chosen}')")
    page.goto(path)
    assert page.evaluate("document.documentElement.dataset.theme") == chosen
    expect(page.locator(f'.theme-control [data-theme-choice="{chosen}"]')).to_have_attribute("aria-pressed", "true")
    assert violations(page) == []
