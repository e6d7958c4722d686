"""Byte budgets: deterministic, so ordinary tests rather than benchmarks.

The first view of / may transfer at most 40 KB compressed, in at most 6
requests (HTML, CSS, JavaScript, fonts, images); the CV page's at most 30 KB; a case-study fragment at most 4 KB.
"""

import pytest

from tests.html import PARTIAL, soup

FIRST_VIEW_BYTES, FIRST_VIEW_REQUESTS, FRAGMENT_BYTES = 40 * 1024, 6, 4 * 1024
CV_FIRST_VIEW_BYTES = 30 * 1024  # /cv
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def transferred(response) -> int:
    assert response.status_code == 200
    return len(response.data)


def first_view(client, path: str) -> dict:
    """Bytes transferred for the page and every subresource its first view loads."""
    page = client.get(path, headers=BROWSER)
    html = soup(client.get(path))
    subresources = [
        e.get("href") or e.get("src")
        for e in html.select("link[rel=stylesheet], link[rel=icon], link[rel=preload], script[src], img[src]")
    ]
    sizes = {path: transferred(page)} | {url: transferred(client.get(url, headers=BROWSER)) for url in subresources}
    print("first view:", sizes, sum(sizes.values()), "bytes")
    assert not html.select('link[href*="font"], style')  # no web fonts, no inline styles
    return sizes


def test_first_view_of_home_fits_the_budget(client):
    sizes = first_view(client, "/")
    assert len(sizes) <= FIRST_VIEW_REQUESTS
    assert sum(sizes.values()) <= FIRST_VIEW_BYTES


def test_first_view_of_the_cv_fits_its_budget(client):
    assert sum(first_view(client, "/cv").values()) <= CV_FIRST_VIEW_BYTES


@pytest.mark.parametrize("slug", ["l1-market-data-engine", "crypto-exchange", "webrtc-video-platform", "write", "sun-ray-casting"])
def test_case_study_fragment_fits_the_budget(client, slug):
    assert transferred(client.get(f"/work/{slug}", headers={**PARTIAL, **BROWSER})) <= FRAGMENT_BYTES
