"""The optional content a recruiter's formats need: location, time zone, availability,
and what makes a milestone or project a CV entry. Checked by `flask content check`,
listed as gaps while unset, never invented."""

import pytest

from app.content import ContentError, load_content
from tests.apps import DATA
from tests.content_support import break_field, check
from tests.cv_support import fill_in
from tests.html import text

GAPS = ("identity.location", "identity.time_zone", "availability:", "journey.milestones: no milestone says")


def test_todays_content_lists_every_new_field_as_a_gap(runner):
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0
    for gap in GAPS:
        assert gap in result.output


def test_filled_in_content_is_loaded_and_its_gaps_are_gone(content_dir):
    site = load_content(fill_in(content_dir)).site
    assert (site.location, site.time_zone) == ("Pune, India", "Asia/Kolkata")
    assert site.availability.open and site.availability.starting == "March 2027"
    assert [m.kind for m in site.milestones] == ["education", "", "", "", "work"]
    assert site.milestones[0].until == 2025 and site.milestones[4].organisation == "L&T Technology Services"
    missing = " ".join(load_content(content_dir).missing)
    for gap in GAPS:
        assert gap not in missing


def test_not_open_to_opportunities_says_so_without_more(content_dir):
    fill_in(content_dir)
    break_field(content_dir / "site.toml", r"^open_to_opportunities = true$", "open_to_opportunities = false")
    assert load_content(content_dir).site.availability.sentence == "Not looking for new opportunities at the moment."


@pytest.mark.parametrize("pattern, replacement, expected", [
    (r'^time_zone = "Asia/Kolkata"$', 'time_zone = "Asia/Pune"',
     'identity.time_zone: "Asia/Pune" is not an IANA time zone name'),
    (r'^kind = "work"$', 'kind = "job"', 'journey.milestones[4].kind: expected "work" or "education", found "job"'),
    (r"^until = 2025$", 'until = "2025"', "journey.milestones[0].until: expected a whole number, found text"),
    (r"^open_to_opportunities = true$", 'open_to_opportunities = "yes"',
     "availability.open_to_opportunities: expected true or false, found text"),
    (r"^open_to_opportunities = true$", "", "availability.open_to_opportunities: missing"),
    (r"^replies = ", "reply = ", 'availability.reply: unknown key; did you mean "replies"?'),
    (r'^looking_for = .*$', 'looking_for = "remote"', "availability.looking_for: expected a list of text, found text"),
])
def test_wrong_new_fields_are_content_errors(content_dir, make_app, pattern, replacement, expected):
    fill_in(content_dir)
    break_field(content_dir / "site.toml", pattern, replacement)
    with pytest.raises(ContentError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        load_content(content_dir)
    assert expected in check(make_app(CONTENT_DIR=str(content_dir))).stderr


def test_a_kind_without_an_organisation_is_a_gap(content_dir):
    fill_in(content_dir)
    break_field(content_dir / "site.toml", r'^organisation = "L&T Technology Services"$', "")
    assert any("journey.milestones[4].organisation: the work has no organisation" in line
               for line in load_content(content_dir).missing)


def test_a_project_may_name_its_year_and_organisation(content_dir, make_app):
    project = content_dir / "projects" / "write.toml"
    project.write_text(project.read_text() + 'year = 2024\norganisation = "Side project"\n')
    client = make_app(CONTENT_DIR=str(content_dir)).test_client()
    assert "2024 · Side project" in text(client.get("/cv"))
    resume = client.get("/resume.json").get_json()
    write = next(p for p in resume["projects"] if p["name"] == "Write")
    assert (write["startDate"], write["entity"]) == ("2024", "Side project")


def test_without_the_new_fields_the_home_page_only_gains_the_cv_links(client):
    # Today's data: no availability line, no locality, nothing but the links to the CV, PDF and vCard.
    body = client.get("/").get_data(as_text=True)
    assert "availability" not in body and "p-locality" not in body and "u-email" not in body
    assert load_content(DATA).site.availability is None
