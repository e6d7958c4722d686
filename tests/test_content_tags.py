"""Technologies as tags: each name's slug, collisions, and the slugs the owner chooses (app/content/tags.py)."""

import pytest

from app.content import ContentError, load_content, tag_slug
from tests.content_support import break_field, check


def test_c_cpp_and_csharp_are_three_tags(content_dir):
    break_field(content_dir / "projects/write.toml", r"^stack = \[", 'stack = ["C++", "C#", ')
    content = load_content(content_dir)
    assert {"c", "cpp", "csharp"} <= content.tags.keys()
    assert [p.slug for p in content.projects_tagged("c")] == ["sun-ray-casting"]
    assert [p.slug for p in content.projects_tagged("cpp")] == [p.slug for p in content.projects_tagged("csharp")] == ["write"]


@pytest.mark.parametrize("name, slug", [
    ("Python", "python"), ("Node.js", "nodejs"), ("Socket.io", "socketio"), ("STUN/TURN", "stun-turn"),
    ("Binance API", "binance-api"), ("C", "c"), ("Computer Graphics", "computer-graphics"), ("Next.js", "nextjs"),
    ("C++", "cpp"), ("C#", "csharp"), ("F#", "fsharp"), ("Pokémon Go", "pokemon-go"),
])
def test_tag_slugs_are_lowercase_ascii(name, slug):
    assert tag_slug(name) == slug


@pytest.mark.parametrize("stack, expected", [
    ('["C", "c"]', 'stack: "c" and "C" ({dir}/projects/sun-ray-casting.toml) would share the tag slug "c"'),
    ('["Node.js", "NodeJS"]', 'stack: "NodeJS" and "Node.js" ({dir}/projects/crypto-exchange.toml) would share the tag slug "nodejs"'),
    ('["日本語"]', 'stack: "日本語" has no letter or digit to make its tag slug from'),
])
def test_a_slug_collision_or_an_empty_slug_names_the_technologies(content_dir, make_app, stack, expected):
    break_field(content_dir / "projects/write.toml", r"^stack = .*$", f"stack = {stack}")
    result = check(make_app(CONTENT_DIR=str(content_dir)))
    assert result.exit_code == 1
    assert f"{content_dir}/projects/write.toml: {expected.format(dir=content_dir)}" in result.output


def test_the_owner_can_choose_a_technologys_slug(content_dir, make_app):
    break_field(content_dir / "projects/write.toml", r"^stack = .*$", 'stack = ["日本語", "C++"]')
    (content_dir / "site.toml").write_text(
        (content_dir / "site.toml").read_text() + '\n[technology_slugs]\n"日本語" = "japanese"\n"C++" = "cplusplus"\n'
    )
    content = load_content(content_dir)
    assert [(t.name, t.slug) for t in content.project("write").stack] == [("日本語", "japanese"), ("C++", "cplusplus")]
    client = make_app(CONTENT_DIR=str(content_dir)).test_client()
    assert "Write" in client.get("/work?tag=japanese").text


def test_two_chosen_slugs_that_collide_are_one_error_not_a_false_unused_one(content_dir):
    (content_dir / "site.toml").write_text(
        (content_dir / "site.toml").read_text() + '\n[technology_slugs]\n"Node.js" = "node"\n"React" = "node"\n'
    )
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert all('would share the tag slug "node"' in line for line in error.value.errors), error.value.errors


def test_a_chosen_slug_for_a_technology_no_project_uses_is_an_error(content_dir, make_app):
    (content_dir / "site.toml").write_text(
        (content_dir / "site.toml").read_text() + '\n[technology_slugs]\n"Nodejs" = "node"\n'
    )
    result = check(make_app(CONTENT_DIR=str(content_dir)))
    assert 'site.toml: technology_slugs."Nodejs": no project\'s stack names this technology; did you mean "Node.js"?' in result.output
