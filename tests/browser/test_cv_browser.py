"""The CV page in Chromium: printed on A4 and US Letter in at most two pages
(cv.css's print rules decide the breaks), and readable on a phone."""

import io

import pytest
from pypdf import PdfReader


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_cv_prints_on_two_pages_at_most(page, paper):
    page.goto("/cv")
    printed = PdfReader(io.BytesIO(page.pdf(format=paper, prefer_css_page_size=False)))
    assert 1 <= len(printed.pages) <= 2
    text = " ".join(p.extract_text() for p in printed.pages)
    assert "Harsh Tiwari" in text and "SKILLS" in text
    # The site's chrome and the download links are not printed.
    assert "Skip to content" not in text and "JSON Resume" not in text


def test_cv_fits_a_phone_without_sideways_scrolling(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/cv")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
