"""Content as data: loading, validation, derived figures and `flask content check`."""

import datetime
import re

import pytest

from app import create_app
from app.content import ContentError, load_content, tag_slug
from tests.conftest import DATA, app_settings


def test_loads_the_owners_five_projects_in_order():
    content = load_content(DATA)
    assert [p.slug for p in content.projects] == [
        "l1-market-data-engine", "crypto-exchange", "webrtc-video-platform", "write", "sun-ray-casting",
    ]
    assert [p.number for p in content.projects] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("name, slug", [
    ("Python", "python"), ("Node.js", "nodejs"), ("Socket.io", "socketio"), ("STUN/TURN", "stun-turn"),
    ("Binance API", "binance-api"), ("C", "c"), ("Computer Graphics", "computer-graphics"), ("Next.js", "nextjs"),
])
def test_tag_slugs_are_lowercase_ascii(name, slug):
    assert tag_slug(name) == slug


def test_derived_figures_follow_the_data():
    content = load_content(DATA)
    figures = {f.label: f.value for f in content.site.figures}
    assert figures["Projects"] == len(content.projects) == 5
    assert figures["Years Building"] == datetime.date.today().year - 2021


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


def break_field(path, pattern, replacement):
    text = path.read_text()
    new = re.sub(pattern, replacement, text, count=1, flags=re.M)
    assert new != text
    path.write_text(new)


@pytest.mark.parametrize("file, pattern, replacement, expected", [
    ("projects/write.toml", r"^title = .*$", "", "projects/write.toml: title: missing"),
    ("projects/write.toml", r"^order = .*$", 'order = "four"', "projects/write.toml: order: must be a whole number"),
    ("projects/write.toml", r"^slug = .*$", 'slug = "Write It"', "projects/write.toml: slug: must be lowercase"),
    ("projects/write.toml", r"^slug = .*$", 'slug = "crypto-exchange"', "slug: 'crypto-exchange' is also used"),
    ("site.toml", r"^title = .*$", "title = 42", "site.toml: hero.title: must be text, found int"),
    ("site.toml", r"^\[hero\]", "[heroes]", "site.toml: hero: missing"),
    ("site.toml", r"^github = .*$", 'github = "http://insecure"', "site.toml: links.github: must be an https:// address"),
    ("site.toml", r'^snippet_language = .*$', 'snippet_language = "klingon"', "principles.snippet_language: unknown language"),
    ("projects/write.toml", r"^stack = .*$", "stack = [", "projects/write.toml: not valid TOML"),
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


def test_broken_content_stops_start_up(content_dir, tmp_path):
    break_field(content_dir / "projects/write.toml", r"^title = .*$", "")
    with pytest.raises(ContentError, match="write.toml: title: missing"):
        create_app(app_settings(tmp_path, CONTENT_DIR=str(content_dir)))


def test_content_check_passes_and_lists_the_owners_gaps(runner):
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "valid (5 projects" in result.output
    assert "Still the owner's to fill in:" in result.output
    for gap in ("numbers.dsa_problems", "numbers.major_systems", "links.email", "links.github", "links.linkedin"):
        assert gap in result.output


def test_content_check_fails_on_broken_content(app, content_dir):
    app.config["CONTENT_DIR"] = str(content_dir)
    break_field(content_dir / "projects/write.toml", r"^outcome = .*$", "")
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1
    assert "projects/write.toml: outcome: missing" in result.output


def test_content_check_documents_itself(runner):
    result = runner.invoke(args=["content", "check", "--help"])
    assert "what is still the owner's to fill in" in result.output
