"""The home page printed from Chromium (A4) is a document: the real figures,
with JavaScript on or off, printed at once or after scrolling; no form
controls; headings kept with what follows; the owner's addresses written out;
no page holding only the footer; at most 4 pages."""

import re
import shutil
import subprocess

import pytest

from app.site import site_of
from tests.browser.pages import DEVICES

MAX_PAGES = 4


def pdf_pages(pdf: bytes, tmp_path) -> list[str]:
    """The text of each page, as poppler's pdftotext reads it."""
    path = tmp_path / "home.pdf"
    path.write_bytes(pdf)
    text = subprocess.run([shutil.which("pdftotext") or "pdftotext", "-layout", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


@pytest.mark.parametrize("size", list(DEVICES))
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("when", ["at-once", "after-scrolling"])
def test_the_printed_home_page_is_a_document(browser, browser_context_args, base_url, browser_app, tmp_path,
                                              size, javascript, when):
    context = browser.new_context(**browser_context_args, **DEVICES[size], java_script_enabled=javascript,
                                  reduced_motion="no-preference")
    page = context.new_page()
    page.goto("/")
    if when == "after-scrolling":
        # As a visitor reads down, so the contact form is fetched and the figures count.
        height = page.evaluate("document.documentElement.scrollHeight")
        for y in range(0, height, 500):
            page.evaluate(f"window.scrollTo(0, {y})")
            page.wait_for_timeout(30)
        page.wait_for_timeout(300)  # mid-count: the paper must still say the real figure
        if javascript:
            page.locator("#contact-form").wait_for()
    pages = pdf_pages(page.pdf(format="A4", print_background=True), tmp_path)
    context.close()
    text = "\n".join(pages)
    words = " ".join(text.split())

    assert len(pages) <= MAX_PAGES, f"{len(pages)} pages"
    content = site_of(browser_app).content
    # The Numbers section, as printed: its figures in order, each the real one (never a 0 from the count-up).
    numbers = words.split(content.site.numbers_heading.upper(), 1)[1].split(content.site.contact_heading[0], 1)[0]
    assert re.findall(r"\d+\+?", numbers) == [f"{f.value}{f.suffix}" for f in content.site.figures], numbers
    assert all(figure.label in numbers for figure in content.site.figures)
    for control in ("Send message", "Write a message", "See the work", "Get in touch", "Show all", "View case study"):
        assert control not in words
    site_url = site_of(browser_app).url
    assert f"Write to {content.site.name} at {site_url}/contact" in words
    assert f"This portfolio: {site_url}/" in words
    for project in content.projects:
        assert project.title in words
    # No page is only the footer, and no page ends on a heading.
    footer = f"© {content.site.copyright_year} {content.site.name}"
    last_lines = [line.strip() for line in pages[-1].splitlines() if line.strip()]
    assert not last_lines[0].startswith(footer), pages[-1]
    for number, page_text in enumerate(pages[:-1], start=1):
        last = [line.strip() for line in page_text.splitlines() if line.strip()][-1]
        headings = [content.site.numbers_heading.upper(), content.site.work_heading, content.site.journey_heading,
                    content.site.principles_heading, content.site.philosophy_heading.upper()]
        assert last not in headings, f"page {number} ends with the heading {last!r}"
