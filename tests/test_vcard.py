"""The owner's vCard 4.0 (RFC 6350), at a stable address named after them, read by a real parser (vobject)."""

import vobject

from tests.cv_support import EMAIL, GITHUB, LINKEDIN, SITE_URL, fill_in


def card_of(client, path="/harsh-tiwari.vcf"):
    response = client.get(path)
    assert response.status_code == 200
    assert response.content_type == "text/vcard; charset=utf-8"
    return response.get_data(as_text=True)


def test_filled_in_vcard_has_every_field_and_round_trips(content_dir, make_app):
    fill_in(content_dir)
    client = make_app(CONTENT_DIR=str(content_dir)).test_client()
    raw = card_of(client)
    assert raw.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n") and raw.endswith("END:VCARD\r\n")
    card = vobject.readOne(raw)
    assert card.fn.value == "Harsh Tiwari"
    assert card.title.value == "Software Engineer"
    assert card.email.value == EMAIL
    assert card.url.value == SITE_URL + "/"
    profiles = {p.params["SERVICE-TYPE"][0]: p.value for p in card.contents["socialprofile"]}
    assert profiles == {"GitHub": GITHUB, "LinkedIn": LINKEDIN}
    assert card.tz.value == "Asia/Kolkata"
    assert card.adr.value.city == "Pune, India"
    assert card.source.value == SITE_URL + "/harsh-tiwari.vcf"
    again = vobject.readOne(card.serialize())
    assert {name: [line.value for line in lines] for name, lines in again.contents.items()} == \
        {name: [line.value for line in lines] for name, lines in card.contents.items()}


def test_todays_vcard_leaves_out_what_is_unset(client):
    card = vobject.readOne(card_of(client))
    assert set(card.contents) == {"version", "kind", "fn", "title", "url", "source"}


def test_long_and_special_values_are_escaped_and_folded(content_dir, make_app):
    site = content_dir / "site.toml"
    site.write_text(site.read_text().replace(
        'role = "Software Engineer"',
        'role = "Software Engineer; real-time, distributed and embedded systems \\\\ ünïcode all the way along this line"'))
    client = make_app(CONTENT_DIR=str(content_dir)).test_client()
    raw = card_of(client)
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    assert vobject.readOne(raw).title.value == \
        "Software Engineer; real-time, distributed and embedded systems \\ ünïcode all the way along this line"


def test_the_address_is_named_after_the_owner(content_dir, make_app):
    site = content_dir / "site.toml"
    site.write_text(site.read_text().replace('name = "Harsh Tiwari"', 'name = "Ada Lovelace"'))
    client = make_app(CONTENT_DIR=str(content_dir)).test_client()
    assert vobject.readOne(card_of(client, "/ada-lovelace.vcf")).fn.value == "Ada Lovelace"
    assert client.get("/harsh-tiwari.vcf").status_code == 404
