"""The home page's h-card (microformats2, read by mf2py) agrees field for field with its JSON-LD Person."""

import json

import mf2py

from tests.cv_support import EMAIL, GITHUB, LINKEDIN, SITE_URL, fill_in
from tests.html import soup


def cards_and_person(client):
    response = client.get("/")
    parsed = mf2py.parse(doc=response.get_data(as_text=True), url=SITE_URL + "/")
    cards = [item for item in parsed["items"] if item["type"] == ["h-card"]]
    person = json.loads(soup(response).select_one('script[type="application/ld+json"]').string)
    return cards, person


def test_one_h_card_with_the_owners_name_role_and_url(client):
    cards, person = cards_and_person(client)
    assert len(cards) == 1
    card = cards[0]["properties"]
    assert card["name"] == [person["name"]] == ["Harsh Tiwari"]
    assert card["job-title"] == [person["jobTitle"]] == ["Software Engineer"]
    assert card["url"] == [person["url"]]
    assert card["note"] == [person["description"]]
    assert "email" not in card and "locality" not in card and "sameAs" not in person and "email" not in person


def test_filled_in_h_card_agrees_with_the_json_ld_person(content_dir, make_app):
    fill_in(content_dir)
    cards, person = cards_and_person(make_app(CONTENT_DIR=str(content_dir)).test_client())
    assert len(cards) == 1
    card = cards[0]["properties"]
    assert card["name"] == [person["name"]]
    assert card["job-title"] == [person["jobTitle"]]
    assert card["url"] == [person["url"], *person["sameAs"]] == [SITE_URL + "/", GITHUB, LINKEDIN]
    assert card["uid"] == [person["url"]]
    assert card["email"] == [f"mailto:{person['email']}"] == [f"mailto:{EMAIL}"]
    assert card["locality"] == [person["address"]["addressLocality"]] == ["Pune, India"]
