"""Content as data: loading, validation, derived figures and `flask content check`."""

import datetime
import json
import os
import re
import subprocess

import pytest
from bs4 import BeautifulSoup

from app.config import ROOT
from app.content import ContentError, clock, load_content
from tests.apps import DATA
from tests.content_support import break_field, check


def test_loads_the_owners_five_projects_in_order():
    content = load_content(DATA)
    assert [p.slug for p in content.projects] == [
        "l1-market-data-engine", "crypto-exchange", "webrtc-video-platform", "write", "sun-ray-casting",
    ]
    assert [p.number for p in content.projects] == ["01", "02", "03", "04", "05"]


def test_derived_figures_follow_the_data():
    content = load_content(DATA)
    figures = {f.label: f.value for f in content.site.figures}
    assert figures["Projects"] == len(content.projects) == 5
    assert figures["Years Building"] == datetime.date.today().year - 2021


def years_building(response) -> str:
    figures = BeautifulSoup(response.text, "html.parser").select(".figures div")
    return next(div.dd.get_text() for div in figures if div.dt.get_text() == "Years Building")


def test_years_building_turns_over_on_new_years_day_without_a_restart(make_app, monkeypatch):
    # The journey's first year is 2021. The app starts on New Year's Eve and is still serving the next morning.
    monkeypatch.setattr(clock, "today", lambda: datetime.date(2030, 12, 31))
    client = make_app().test_client()
    new_years_eve = client.get("/")
    assert years_building(new_years_eve) == "9"
    monkeypatch.setattr(clock, "today", lambda: datetime.date(2031, 1, 1))
    # The browser's copy from last night is not confirmed (no 304): the page has changed.
    new_years_day = client.get("/", headers={"If-None-Match": new_years_eve.headers["ETag"]})
    assert new_years_day.status_code == 200
    assert years_building(new_years_day) == "10"


def test_unset_owner_figures_are_left_out_and_listed(content_dir):
    content = load_content(content_dir)
    labels = [f.label for f in content.site.figures]
    assert "DSA Problems" not in labels and "Major Systems" not in labels
    assert any("numbers.dsa_problems" in line for line in content.missing)
    assert any("links.github" in line for line in content.missing)


def test_owner_figures_and_links_once_set_are_used(content_dir):
    site = content_dir / "site.toml"
    text = site.read_text()
    text = text.replace("# dsa_problems = 0", "dsa_problems = 420").replace('github = ""', 'github = "https://github.com/example"')
    site.write_text(text)
    content = load_content(content_dir)
    assert [f.label for f in content.site.figures] == ["DSA Problems", "Projects", "Years Building"]
    assert content.site.figures[0].value == 420
    assert [link.label for link in content.site.links] == ["GitHub"]
    assert not any("numbers.dsa_problems" in line for line in content.missing)


@pytest.mark.parametrize("file, pattern, replacement, expected", [
    ("projects/write.toml", r"^title = .*$", "", "projects/write.toml: title: missing"),
    ("projects/write.toml", r"^order = .*$", 'order = "four"', "projects/write.toml: order: expected a whole number, found text"),
    ("projects/write.toml", r"^slug = .*$", 'slug = "Write It"', "projects/write.toml: slug: must be lowercase"),
    ("projects/write.toml", r"^slug = .*$", 'slug = "crypto-exchange"', "slug: 'crypto-exchange' is also used"),
    ("site.toml", r"^title = .*$", "title = 42", "site.toml: hero.title: expected text, found a whole number"),
    ("site.toml", r"^\[hero\]", "[heroes]", 'site.toml: heroes: unknown key; did you mean "hero"?'),
    ("site.toml", r"^github = .*$", 'github = "http://insecure"', "site.toml: links.github: expected an https:// address on github.com"),
    ("site.toml", r'^snippet_language = .*$', 'snippet_language = "klingon"', "principles.snippet_language: unknown language"),
    ("projects/write.toml", r"^stack = .*$", "stack = [", "projects/write.toml: not valid TOML"),
    ("site.toml", r"^suffix = ", "projects = 12\nsuffix = ", "site.toml: numbers.projects: is computed from the data"),
])
def test_broken_content_names_the_file_and_field(content_dir, file, pattern, replacement, expected):
    break_field(content_dir / file, pattern, replacement)
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert any(expected in line for line in error.value.errors), error.value.errors


def test_every_problem_is_reported_at_once(content_dir):
    break_field(content_dir / "projects/write.toml", r"^title = .*$", "")
    break_field(content_dir / "projects/crypto-exchange.toml", r"^outcome = .*$", "")
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert len(error.value.errors) == 2


def test_broken_content_stops_start_up_in_production(make_app, content_dir, monkeypatch):
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)  # the production server, not a `flask` command
    break_field(content_dir / "projects/write.toml", r"^title = .*$", "")
    with pytest.raises(ContentError, match="write.toml: title: missing"):
        make_app(APP_ENV="production", CONTENT_DIR=str(content_dir))


def test_broken_content_in_development_is_a_page_listing_the_errors(make_app, content_dir):
    break_field(content_dir / "projects/write.toml", r"^title = .*$", "tittle = 'Write'")
    client = make_app(CONTENT_DIR=str(content_dir)).test_client()
    response = client.get("/")
    assert response.status_code == 500
    page = BeautifulSoup(response.text, "html.parser")
    assert page.h1.text == "Content errors:"
    assert [li.text for li in page.find_all("li")] == [
        f'{content_dir}/projects/write.toml: tittle: unknown key; did you mean "title"?'
    ]


def test_content_check_passes_and_lists_the_owners_gaps(runner):
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("No content errors in ")
    assert "(5 projects" in result.output
    assert "Still the owner's to fill in:" in result.output
    for gap in ("numbers.dsa_problems", "numbers.major_systems", "links.email", "links.github", "links.linkedin"):
        assert gap in result.output


def test_content_check_fails_on_broken_content(content_dir, make_app):
    break_field(content_dir / "projects/write.toml", r"^outcome = .*$", "")
    result = check(make_app(CONTENT_DIR=str(content_dir)))
    assert result.exit_code == 1
    assert result.output.startswith("Content errors:\n")
    assert "Cannot start" not in result.output
    assert f"  - {content_dir}/projects/write.toml: outcome: missing\n" in result.output


def test_content_check_in_production_is_a_check_not_a_start_up(content_dir):
    break_field(content_dir / "projects/write.toml", r"^outcome = .*$", "")
    result = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "content", "check"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "APP_ENV": "production", "SECRET_KEY": "test-secret", "CONTENT_DIR": str(content_dir)},
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"Content errors:\n  - {content_dir}/projects/write.toml: outcome: missing\n"


@pytest.mark.parametrize("file, pattern, replacement, expected", [
    ("projects/write.toml", r"^title = ", "tittle = ", 'projects/write.toml: tittle: unknown key; did you mean "title"?'),
    ("projects/write.toml", r"^slug = ", 'repo = "https://github.com/x/y"\nslug = ',
     'projects/write.toml: repo: unknown key; did you mean "repository"?'),
    ("site.toml", r"^# dsa_problems = 0", "dsa_problem = 400", 'site.toml: numbers.dsa_problem: unknown key; did you mean "dsa_problems"?'),
    ("site.toml", r'^github = ""', 'githb = "https://github.com/x"', 'site.toml: links.githb: unknown key; did you mean "github"?'),
    ("site.toml", r"^\[footer\]", "[footer]\nfavourite_colour = 'blue'", "site.toml: footer.favourite_colour: unknown key"),
])
def test_an_unknown_key_is_one_error_with_a_suggestion(content_dir, make_app, file, pattern, replacement, expected):
    break_field(content_dir / file, pattern, replacement)
    result = check(make_app(CONTENT_DIR=str(content_dir)))
    assert result.exit_code == 1
    assert result.output.splitlines() == ["Content errors:", f"  - {content_dir}/{expected}"]


def test_invalid_toml_is_one_error_with_its_line_and_column(content_dir, make_app):
    break_field(content_dir / "site.toml", r'^role = .*$', "role = Software Engineer")
    result = check(make_app(CONTENT_DIR=str(content_dir)))
    assert result.output.splitlines() == [
        "Content errors:", f"  - {content_dir}/site.toml: not valid TOML at line 7, column 8: Invalid value",
    ]


def test_a_wrong_type_says_what_was_expected_and_found_once(content_dir, make_app):
    break_field(content_dir / "projects/write.toml", r"^stack = .*$", 'stack = "Next.js, TypeScript"')
    result = check(make_app(CONTENT_DIR=str(content_dir)))
    assert result.output.splitlines() == [
        "Content errors:", f"  - {content_dir}/projects/write.toml: stack: expected a list of text, found text",
    ]


def test_a_wrong_snippet_language_is_reported_once(content_dir, make_app):
    break_field(content_dir / "site.toml", r"^snippet_language = .*$", "snippet_language = 5")
    result = check(make_app(CONTENT_DIR=str(content_dir)))
    assert result.output.splitlines() == [
        "Content errors:", f"  - {content_dir}/site.toml: principles.snippet_language: expected text, found a whole number",
    ]


def test_a_folder_where_a_project_file_belongs_is_a_content_error(content_dir):
    (content_dir / "projects/extra.toml").mkdir()
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert error.value.errors == [f"{content_dir}/projects/extra.toml: cannot be read (Is a directory)"]


@pytest.mark.parametrize("pattern, replacement, expected", [
    (r'^url = ""', 'url = "harsh.dev"', 'identity.url: expected an absolute http:// or https:// address, such as "https://example.com", found "harsh.dev"'),
    (r'^url = ""', 'url = "ftp://harsh.dev"', "identity.url: expected an absolute http:// or https:// address"),
    (r'^email = ""', 'email = "harsh at example"', 'links.email: "harsh at example" is not an e-mail address'),
    (r'^email = ""', 'email = "harsh@example"', 'links.email: "harsh@example" is not an e-mail address'),
    (r'^github = ""', 'github = "https://gitlab.com/harsh"', "links.github: expected an https:// address on github.com"),
    (r'^github = ""', 'github = "github.com/harsh"', "links.github: expected an https:// address on github.com"),
    (r'^linkedin = ""', 'linkedin = "https://github.com/harsh"', "links.linkedin: expected an https:// address on linkedin.com"),
])
def test_links_are_checked(content_dir, pattern, replacement, expected):
    break_field(content_dir / "site.toml", pattern, replacement)
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    [only] = error.value.errors
    assert only.startswith(f"{content_dir}/site.toml: {expected}")


def test_good_links_are_accepted(content_dir):
    site = content_dir / "site.toml"
    break_field(site, r'^url = ""', 'url = "https://harsh.example/"')
    break_field(site, r'^email = ""', 'email = "harsh@example.com"')
    break_field(site, r'^github = ""', 'github = "https://github.com/harsh"')
    break_field(site, r'^linkedin = ""', 'linkedin = "https://www.linkedin.com/in/harsh"')
    content = load_content(content_dir)
    assert content.site.url == "https://harsh.example"
    assert [link.href for link in content.site.links] == [
        "mailto:harsh@example.com", "https://github.com/harsh", "https://www.linkedin.com/in/harsh",
    ]


def test_content_check_documents_itself(runner):
    result = runner.invoke(args=["content", "check", "--help"])
    assert "what is still the owner's to fill in" in result.output


REPOSITORY, DEMO = "https://github.com/example/write", "https://write.example.com/"


def site_with_links(make_app, content_dir, links: str):
    break_field(content_dir / "projects/write.toml", r"^slug = ", f"{links}\nslug = ")
    return make_app(CONTENT_DIR=str(content_dir)).test_client()


def json_ld(page) -> dict:
    return json.loads(page.select_one('script[type="application/ld+json"]').string)


def test_a_projects_source_and_demo_are_on_its_card_page_and_json_ld(content_dir, make_app):
    client = site_with_links(make_app, content_dir, f'repository = "{REPOSITORY}"\ndemo = "{DEMO}"')
    card = BeautifulSoup(client.get("/").text, "html.parser").select_one("#project-write")
    links = [(a.get_text(), a["href"]) for a in card.select(".project-links a")]
    assert links == [("Source: Write", REPOSITORY), ("Live demo: Write", DEMO)]
    page = BeautifulSoup(client.get("/work/write").text, "html.parser")
    assert [(a.get_text(), a["href"]) for a in page.select(".project-links a")] == links
    assert json_ld(page)["about"] == {"@type": "SoftwareSourceCode", "name": "Write", "codeRepository": REPOSITORY, "url": DEMO}
    assert json_ld(page)["url"].endswith("/work/write")


def test_a_project_with_only_a_repository_shows_only_source(content_dir, make_app):
    client = site_with_links(make_app, content_dir, f'repository = "{REPOSITORY}"')
    page = BeautifulSoup(client.get("/work/write").text, "html.parser")
    assert [a.get_text() for a in page.select(".project-links a")] == ["Source: Write"]
    assert json_ld(page)["about"] == {"@type": "SoftwareSourceCode", "name": "Write", "codeRepository": REPOSITORY}


def test_without_links_nothing_is_rendered(client):
    assert not any("Source" in a.get_text() or "demo" in a.get_text()
                   for a in BeautifulSoup(client.get("/").text, "html.parser").select("a"))
    page = BeautifulSoup(client.get("/work/write").text, "html.parser")
    assert page.select(".project-links") == []
    assert "about" not in json_ld(page)


@pytest.mark.parametrize("links, expected", [
    ('repository = "http://github.com/example/write"', 'repository: expected an https:// address, found "http://github.com/example/write"'),
    ('demo = "write.example.com"', 'demo: expected an https:// address, found "write.example.com"'),
    # urlsplit raises on an unbalanced "[": a content error, not a traceback.
    ('repository = "https://[github.com/example/write"', 'repository: expected an https:// address, found "https://[github.com/example/write"'),
])
def test_project_links_must_be_https(content_dir, links, expected):
    break_field(content_dir / "projects/write.toml", r"^slug = ", f"{links}\nslug = ")
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert error.value.errors == [f"{content_dir}/projects/write.toml: {expected}"]


# --- editing without surprises ---------------------------------------------------------

def copy_project(content_dir, source: str, name: str, **changes) -> "os.PathLike":
    """A new project file started as a copy of another, written after it (so newer)."""
    text = (content_dir / "projects" / source).read_text()
    for key, value in changes.items():
        text = re.sub(rf"^{key} = .*$", f"{key} = {json.dumps(value)}", text, count=1, flags=re.M)
    path = content_dir / "projects" / name
    path.write_text(text)
    older = (content_dir / "projects" / source).stat().st_mtime
    os.utime(path, (older + 60, older + 60))
    return path


def test_a_copied_projects_duplicate_order_is_blamed_on_the_copy(content_dir):
    # "aaa-" sorts before "write": blame goes by age, not by name.
    copy = copy_project(content_dir, "write.toml", "aaa-tiny-db.toml", slug="aaa-tiny-db")
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert error.value.errors == [
        f"{copy}: order: 4 is also used by {content_dir}/projects/write.toml, an older file; give this one its own order"
    ]


def test_a_copied_projects_duplicate_slug_is_blamed_on_the_copy(content_dir):
    copy = copy_project(content_dir, "write.toml", "tiny-db.toml", order=6)
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert f"{copy}: slug: 'write' is also used by {content_dir}/projects/write.toml, an older file; " \
           "give this one its own slug" in error.value.errors
    assert not any(line.startswith(f"{content_dir}/projects/write.toml") for line in error.value.errors)


def test_a_slug_that_differs_from_its_file_name_says_which_wins(content_dir):
    break_field(content_dir / "projects/write.toml", r"^slug = .*$", 'slug = "write-editor"')
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert error.value.errors == [
        f'{content_dir}/projects/write.toml: slug: "write-editor" differs from the file name "write.toml"; the slug '
        'wins (the page is /work/write-editor), so rename the file to write-editor.toml or set slug = "write"'
    ]


@pytest.mark.parametrize("key, label", [("dsa_problems", "DSA Problems"), ("major_systems", "Major Systems")])
def test_a_figure_of_zero_is_a_content_error(content_dir, key, label):
    # The example in site.toml, uncommented as it stands.
    break_field(content_dir / "site.toml", rf"^# {key} = 0$", f"{key} = 0")
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert error.value.errors == [
        f'{content_dir}/site.toml: numbers.{key}: 0 would read "0+ {label}": write the real figure, '
        "or leave the line commented out to leave the figure out"
    ]


def test_card_numbers_follow_the_list_not_the_raw_order(make_app, content_dir):
    for n, name in enumerate(["l1-market-data-engine", "crypto-exchange", "webrtc-video-platform", "write", "sun-ray-casting"]):
        break_field(content_dir / "projects" / f"{name}.toml", r"^order = .*$", f"order = {n * 4 + 2}")  # 2, 6, 10, 14, 18
    content = load_content(content_dir)
    assert [p.number for p in content.projects] == ["01", "02", "03", "04", "05"]
    client = make_app(CONTENT_DIR=str(content_dir)).test_client()
    page = BeautifulSoup(client.get("/").text, "html.parser")
    assert [p.text for p in page.select(".project-number")] == ["01", "02", "03", "04", "05"]
    case = BeautifulSoup(client.get("/work/webrtc-video-platform").text, "html.parser")
    assert case.select_one(".project-number").text == "03"
