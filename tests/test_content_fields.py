"""The field checks under the content schema (app/content/fields.py), on tables of their own:
every mistake recorded with its file and field, in TOML's words, none raised."""

import pytest

from app.content.fields import Fields


def read(data: dict, read_fields) -> list[str]:
    """The errors from reading ``data`` with ``read_fields(fields)``, unknown keys included."""
    errors: list[str] = []
    fields = Fields(data, "site.toml", errors)
    read_fields(fields)
    fields.check_unknown_keys()
    return errors


@pytest.mark.parametrize("read_field", [
    lambda f: f.text("title"), lambda f: f.integer("title"), lambda f: f.boolean("title"), lambda f: f.texts("title"),
])
def test_a_misspelt_key_is_one_error_where_the_owner_wrote_it(read_field):
    assert read({"tittle": 1}, read_field) == ['site.toml: tittle: unknown key; did you mean "title"?']


@pytest.mark.parametrize("value, found", [(True, "true or false"), ("4", "text"), (4.0, "a decimal number"), ([4], "a list")])
def test_a_value_of_the_wrong_kind_says_what_was_found_in_tomls_words(value, found):
    assert read({"order": value}, lambda f: f.integer("order")) == [f"site.toml: order: expected a whole number, found {found}"]


def test_a_table_of_the_wrong_kind_is_one_error_not_one_per_key():
    def read_availability(root):
        table = root.table("availability")
        table.boolean("open")
        table.text("starting")
    assert read({"availability": "yes"}, read_availability) == ["site.toml: availability: expected a table, found text"]


def test_a_missing_key_and_an_empty_one_are_named_with_their_table():
    def read_hero(root):
        hero = root.table("hero")
        hero.text("title")
        hero.texts("lines")
    assert read({"hero": {"lines": []}}, read_hero) == ["site.toml: hero.title: missing", "site.toml: hero.lines: is empty"]


def test_an_email_address_is_normalised_and_a_bad_one_says_why():
    errors: list[str] = []
    links = Fields({"good": "mailto:Harsh@EXAMPLE.com", "bad": "harsh at example"}, "site.toml", errors)
    assert links.email("good") == "Harsh@example.com"
    assert links.email("bad") == ""
    assert errors == ['site.toml: bad: "harsh at example" is not an e-mail address: '
                      "An email address must have an @-sign."]
