"""One URL, page or fragment: what each kind of htmx request gets, and Vary."""

import json

import pytest

from tests.html import PARTIAL, project_titles, soup

FULL = {"HX-Request": "true", "HX-Request-Type": "full"}
RESTORE = {"HX-Request": "true", "HX-Request-Type": "full", "HX-History-Restore-Request": "true"}
# An htmx 2-style restore (no HX-Request-Type) must get the page too.
RESTORE_WITHOUT_TYPE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
PAGES = ["/", "/?tag=docker", "/work", "/work?tag=react", "/work/write"]


def is_full_page(response) -> bool:
    return response.get_data(as_text=True).startswith("<!doctype html>")


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("headers", [{}, FULL, RESTORE, RESTORE_WITHOUT_TYPE], ids=["plain", "full", "restore", "restore-untyped"])
def test_page_for_everything_but_an_htmx_partial_request(client, path, headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    assert is_full_page(response)


@pytest.mark.parametrize("path", PAGES)
def test_fragment_for_an_htmx_partial_request(client, path):
    response = client.get(path, headers=PARTIAL)
    assert response.status_code == 200
    assert not is_full_page(response)
    assert "<header" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES + ["/nope", "/?tag=cobol"])
@pytest.mark.parametrize("headers", [{}, PARTIAL, RESTORE])
def test_every_response_varies_on_the_htmx_headers(client, path, headers):
    vary = client.get(path, headers=headers).headers["Vary"]
    for header in ("HX-Request", "HX-Request-Type", "HX-History-Restore-Request"):
        assert header in vary


def test_filter_fragment_is_the_list_and_a_count_for_the_live_region(client):
    response = client.get("/?tag=react", headers=PARTIAL)
    page = soup(response)
    assert project_titles(response) == ["Crypto Exchange", "WebRTC Video Platform"]
    assert [a.get_text() for a in page.select('.filter a[aria-current="page"]')] == ["React"]
    status = page.select_one("#work-status")
    assert status["hx-swap-oob"] == "innerHTML"
    assert status.get_text() == "2 of 5 projects use React."


def test_the_page_has_no_out_of_band_copy_of_the_status(client):
    page = soup(client.get("/?tag=react"))
    assert len(page.select("#work-status")) == 1
    assert not page.select("[hx-swap-oob]")


def test_case_study_fragment_is_the_study_alone(client):
    page = soup(client.get("/work/write", headers=PARTIAL))
    assert [h.get_text() for h in page.find_all("h4")] == ["Architecture", "Challenges", "Outcome"]
    assert not page.find_all(["h1", "h2", "h3"])
    assert "Managing editor state efficiently" in page.get_text()
    assert page.select_one(".case-permalink a")["href"] == "/work/write"


def test_case_study_toggle_fetches_into_its_own_slot(client):
    toggle = soup(client.get("/")).select_one("#toggle-write")
    assert toggle["hx-get"] == "/work/write"
    assert toggle["hx-target"] == "#case-write"
    assert toggle["hx-sync"] == "drop"  # a click while the study loads is dropped, not queued
    # site.js sets aria-controls from hx-target, with the button role: the slot must exist.
    assert soup(client.get("/")).select_one("#case-write.case-slot")


def test_filter_chips_share_one_request_queue(client):
    for chip in soup(client.get("/")).select(".filter a.chip"):
        assert chip["hx-sync"] == "#work-list:replace"


def test_filter_links_swap_the_list_and_push_the_url(client):
    link = soup(client.get("/")).select_one("#filter-docker")
    assert link["hx-get"] == "/?tag=docker"
    assert link["hx-target"] == "#work-list"
    assert link["hx-push-url"] == "true"


@pytest.mark.parametrize("path", ["/nope", "/work/nope", "/?tag=cobol"])
def test_htmx_404_is_a_small_fragment(client, path):
    response = client.get(path, headers=PARTIAL)
    assert response.status_code == 404
    assert not is_full_page(response)
    assert soup(response).select_one('[role="alert"]')


def test_page_and_fragment_are_cached_apart(client):
    fragment = client.get("/work/write", headers=PARTIAL)
    page = client.get("/work/write")
    assert not is_full_page(fragment) and is_full_page(page)
    assert fragment.headers["ETag"] != page.headers["ETag"]


def test_conditional_request_answers_304(client):
    etag = client.get("/").headers["ETag"]
    response = client.get("/", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""


def test_htmx_config_never_swaps_server_errors(client):
    meta = soup(client.get("/")).select_one('meta[name="htmx-config"]')
    config = json.loads(meta["content"])
    assert config["noSwap"] == [204, 304, "5xx"]
    assert config["includeIndicatorCSS"] is False  # it would inject a style the CSP forbids
