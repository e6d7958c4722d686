"""The contact form: rendering, validation at the edges, CSRF, idempotency,
the abuse traps, the rate limit and the 503 path."""

import datetime
import logging
import re
import sqlite3
import time

import pytest
from itsdangerous import TimestampSigner

from app.contact import migrations, references, storage
from app.site import site_of
from tests.apps import database_locked, rows
from tests.html import PARTIAL, hidden_fields, soup, text

VALID = {"name": "Ada Lovelace", "email": "ada@example.com", "company": "Analytical Engines", "message": "Hello, let us build something."}


def form_fields(client, headers=None) -> dict:
    """The hidden fields of a freshly rendered form (token, key, signed time)."""
    return hidden_fields(client.get("/contact", headers=headers or {}))


def send(client, headers=None, **fields):
    data = {**form_fields(client), "website": "", **VALID, **fields}
    return client.post("/contact", data=data, headers=headers or {})


# --- the form as rendered ----------------------------------------------------------

def test_contact_page_has_a_labelled_form(client):
    response = client.get("/contact")
    page = soup(response)
    assert response.status_code == 200
    assert page.h1.get_text() == "Interested in building something ambitious?"
    form = page.select_one("form#contact-form")
    assert form["method"] == "post" and form["action"] == "/contact" and form["hx-post"] == "/contact"
    for name in ("name", "email", "company", "message"):
        control = form.select_one(f'[name="{name}"]')
        assert form.select_one(f'label[for="{control["id"]}"]'), name
    assert form.select_one("#name").has_attr("required") and form.select_one("#name")["maxlength"] == "100"
    assert form.select_one("#email")["type"] == "email" and form.select_one("#email")["maxlength"] == "254"
    assert not form.select_one("#company").has_attr("required")
    assert form.select_one("#message")["minlength"] == "10" and form.select_one("#message")["maxlength"] == "5000"
    assert "(optional)" in form.select_one('label[for="company"]').get_text()
    assert "#email-hint" in "#" + form.select_one("#email")["aria-describedby"]


def test_honeypot_is_hidden_from_people_and_assistive_technology(client):
    trap = soup(client.get("/contact")).select_one('input[name="website"]')
    assert trap["tabindex"] == "-1" and trap["autocomplete"] == "off"
    assert trap.find_parent(attrs={"aria-hidden": "true"})


@pytest.mark.parametrize("headers", [{}, PARTIAL])
def test_form_responses_are_never_cached(client, headers):
    response = client.get("/contact", headers=headers)
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_gets_the_form_alone(client):
    response = client.get("/contact", headers=PARTIAL)
    assert not response.get_data(as_text=True).startswith("<!doctype html>")
    assert soup(response).select_one("form#contact-form input[name=csrf_token]")


def test_each_form_gets_its_own_submission_key(client):
    assert form_fields(client)["submission_key"] != form_fields(client)["submission_key"]


def test_home_page_carries_no_token_and_loads_the_form_when_reached(client):
    response = client.get("/")
    assert "csrf_token" not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    slot = soup(response).select_one("#contact .contact-slot")
    assert slot["hx-get"] == "/contact" and slot["hx-trigger"] == "revealed"
    assert slot.select_one('a[href="/contact"]')  # without JavaScript, a link to the form


# --- sending ---------------------------------------------------------------------

def test_sending_without_javascript_redirects_to_a_thank_you_page(app, client):
    response = send(client)
    assert response.status_code == 303
    assert re.fullmatch(r"/contact/thanks\?ref=[A-Z2-7]{8}", response.headers["Location"])
    thanks = client.get(response.headers["Location"])
    reference = response.headers["Location"].rsplit("=", 1)[1]
    assert "Thank you: your message has been received." in text(thanks)
    assert reference in text(thanks)
    [row] = rows(app)
    assert {k: row[k] for k in VALID} == VALID
    assert row["status"] == "new"


def test_sending_with_htmx_answers_with_a_confirmation_fragment(app, client):
    response = send(client, headers=PARTIAL)
    assert response.status_code == 200
    confirmation = soup(response)
    assert confirmation.select_one(".sent-title").get_text() == "Thank you: your message has been received."
    reference = confirmation.select_one(".reference").get_text()
    assert reference == references.reference_for(rows(app)[0]["submission_key"])
    assert response.headers["Cache-Control"] == "no-store"


def test_stored_row_has_every_column(app, client):
    send(client, headers={"User-Agent": "RecruiterBrowser/1.0"})
    [row] = rows(app)
    created = datetime.datetime.fromisoformat(row["created_at"])
    assert created.utcoffset() == datetime.timedelta(0)
    assert abs((datetime.datetime.now(datetime.timezone.utc) - created).total_seconds()) < 60
    assert row["user_agent"] == "RecruiterBrowser/1.0"
    assert row["ip_hash"] != "127.0.0.1" and len(row["ip_hash"]) == 64
    assert len(row["submission_key"]) >= 22


def test_text_is_stored_exactly_as_typed_apart_from_trimming(app, client):
    hostile = "<script>alert('x')</script> & \"quotes\" 😀 中文 Ünïcødé\n\tindented line\n=SUM(A1)"
    send(client, name="  Zoë O'Brien  ", company="", message=f"  {hostile}  \n")
    [row] = rows(app)
    assert row["name"] == "Zoë O'Brien"
    assert row["company"] == ""
    assert row["message"] == hostile


def test_browser_line_breaks_are_stored_as_newlines(app, client):
    send(client, message="first line\r\nsecond line")
    assert rows(app)[0]["message"] == "first line\nsecond line"


# --- validation at the edges -------------------------------------------------------

@pytest.mark.parametrize("field, value, ok", [
    ("name", "x", True),
    ("name", "x" * 100, True),
    ("name", "x" * 101, False),
    ("name", "", False),
    ("name", "    ", False),
    ("name", "  " + "x" * 100 + "  ", True),  # limits apply after trimming
    ("email", "a@example.com", True),
    ("email", "a" * 64 + "@" + ("b" * 63 + ".") * 2 + "c" * 57 + ".com", True),  # 254 characters
    ("email", "a" * 64 + "@" + ("b" * 63 + ".") * 2 + "c" * 58 + ".com", False),  # 255 characters
    ("email", "", False),
    ("email", "not-an-address", False),
    ("email", "ada@localhost", False),
    ("email", "ada@@example.com", False),
    ("company", "", True),
    ("company", "c" * 100, True),
    ("company", "c" * 101, False),
    ("message", "m" * 10, True),
    ("message", "m" * 9, False),
    ("message", "m" * 5000, True),
    ("message", "m" * 5001, False),
    ("message", "  " + "m" * 9 + "  ", False),
    ("message", "😀" * 10, True),  # characters, not bytes
])
def test_limits_at_their_edges(app, client, field, value, ok):
    response = send(client, **{field: value})
    if ok:
        assert response.status_code == 303, text(response)
        assert len(rows(app)) == 1
    else:
        assert response.status_code == 422
        assert rows(app) == []
        control = soup(response).select_one(f"#{field}")
        assert control["aria-invalid"] == "true"
        assert f"{field}-error" in control["aria-describedby"].split()
        assert soup(response).select_one(f"#{field}-error").get_text().strip()


def test_254_character_address_is_really_that_long():
    assert len("a" * 64 + "@" + ("b" * 63 + ".") * 2 + "c" * 57 + ".com") == 254


@pytest.mark.parametrize("field, value", [
    ("message", "Hello there\x00, NUL inside"),
    ("message", "Bell \x07 rings in here"),
    ("message", "Escape \x1b[31m red text"),
    ("message", "C1 control \x9b in here"),
    ("message", "lone carriage \r return"),
    ("name", "Ada\x00"),
    ("name", "Ada\nLovelace"),
    ("company", "Tab\tCorp"),
    ("email", "ada\x00@example.com"),
])
def test_control_characters_are_refused_with_a_clear_error(app, client, field, value):
    response = send(client, **{field: value})
    assert response.status_code == 422
    assert "control characters" in soup(response).select_one(f"#{field}-error").get_text()
    assert rows(app) == []


def test_newlines_and_tabs_are_fine_in_a_message(app, client):
    assert send(client, message="line one\n\tline two").status_code == 303
    assert rows(app)[0]["message"] == "line one\n\tline two"


def test_invalid_input_keeps_everything_typed(client):
    typed = {"name": "Grace <Hopper>", "email": "grace@", "company": "Navy & Co", "message": "Short 😀"}
    response = send(client, **typed)
    page = soup(response)
    assert response.status_code == 422
    assert page.select_one("#name")["value"] == "Grace <Hopper>"
    assert page.select_one("#email")["value"] == "grace@"
    assert page.select_one("#company")["value"] == "Navy & Co"
    assert page.select_one("#message").get_text() == "Short 😀"
    assert "<Hopper>" not in response.get_data(as_text=True)  # escaped when rendered


def test_first_invalid_field_gets_focus_and_errors_are_announced(client):
    page = soup(send(client, email="nope", message="short"))
    assert page.select_one("#email").has_attr("autofocus")
    assert not page.select_one("#message").has_attr("autofocus")
    assert "the 2 fields" in page.select_one('#contact-form [role="alert"]').get_text()


def test_invalid_input_with_htmx_is_a_422_fragment(client):
    response = send(client, headers=PARTIAL, message="short")
    assert response.status_code == 422
    assert response.get_data(as_text=True).lstrip().startswith("<form")
    assert soup(response).select_one("#message")["aria-invalid"] == "true"


def test_a_corrected_form_keeps_its_key_and_time(client):
    fields = form_fields(client)
    response = client.post("/contact", data={**fields, **VALID, "message": "short"})
    again = hidden_fields(response)
    assert again["submission_key"] == fields["submission_key"]
    assert again["rendered_at"] == fields["rendered_at"]


def test_body_over_64_kb_is_refused_with_413(app, client):
    response = send(client, message="m" * (65 * 1024))
    assert response.status_code == 413
    assert "too large" in text(response)
    assert rows(app) == []


def test_largest_valid_message_fits_under_the_body_limit(app, client):
    # 5,000 four-byte characters, percent-encoded, plus the longest other fields.
    response = send(client, name="😀" * 100, company="😀" * 100, message="😀" * 5000)
    assert response.status_code == 303
    assert rows(app)[0]["message"] == "😀" * 5000


# --- CSRF ------------------------------------------------------------------------------

def test_missing_token_is_a_400_with_the_form_and_text_kept(app, client):
    fields = form_fields(client)
    del fields["csrf_token"]
    response = client.post("/contact", data={**fields, **VALID})
    page = soup(response)
    assert response.status_code == 400
    assert "expired" in page.select_one('[role="alert"]').get_text()
    assert page.select_one("#message").get_text() == VALID["message"]
    assert page.select_one('input[name="csrf_token"]')["value"]
    assert rows(app) == []
    # The fresh token works.
    again = hidden_fields(response)
    assert client.post("/contact", data={**again, **VALID}).status_code == 303


def test_expired_token_is_a_400_with_a_fresh_token(app, client, monkeypatch):
    fields = form_fields(client)
    eight_days_later = int(time.time()) + 8 * 24 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: eight_days_later)
    response = client.post("/contact", data={**fields, **VALID}, headers=PARTIAL)
    assert response.status_code == 400
    fresh = soup(response).select_one('input[name="csrf_token"]')["value"]
    assert fresh != fields["csrf_token"]
    assert soup(response).select_one("#name")["value"] == VALID["name"]


def test_a_page_left_open_for_hours_still_sends(app, client, monkeypatch):
    fields = form_fields(client)
    five_hours_later = int(time.time()) + 5 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: five_hours_later)
    assert client.post("/contact", data={**fields, **VALID}).status_code == 303


def test_csrf_can_be_switched_off(make_app):
    app = make_app(WTF_CSRF_ENABLED=False)
    client = app.test_client()
    fields = form_fields(client)
    fields.pop("csrf_token", None)
    assert client.post("/contact", data={**fields, **VALID}).status_code == 303


# --- idempotency -----------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, PARTIAL])
def test_the_same_submission_twice_stores_one_message(app, client, headers):
    data = {**form_fields(client), **VALID}
    first = client.post("/contact", data=data, headers=headers)
    second = client.post("/contact", data=data, headers=headers)
    assert len(rows(app)) == 1
    assert first.status_code == second.status_code
    assert first.data == second.data
    assert first.headers.get("Location") == second.headers.get("Location")


def test_a_forged_submission_key_is_refused(app, client):
    response = send(client, submission_key="short")
    assert response.status_code == 422
    assert rows(app) == []


# --- abuse: honeypot and minimum time ---------------------------------------------------

def test_honeypot_looks_like_success_but_is_stored_as_spam(app, client):
    response = send(client, website="https://spam.example")
    assert response.status_code == 303
    assert [r["status"] for r in rows(app)] == ["spam"]


@pytest.fixture
def timed_app(make_app):
    return make_app(CONTACT_MIN_SECONDS=3)


def test_a_form_sent_too_quickly_is_stored_as_suspect(timed_app):
    # Autofill and paste can beat the minimum time: maybe a person, so not spam.
    client = timed_app.test_client()
    response = send(client, headers=PARTIAL)
    assert response.status_code == 200 and soup(response).select_one(".reference")
    assert [r["status"] for r in rows(timed_app)] == ["suspect"]


def test_a_missing_render_time_is_stored_as_spam(timed_app, monkeypatch):
    client = timed_app.test_client()
    later = int(time.time()) + 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    send(client, rendered_at="")
    assert [r["status"] for r in rows(timed_app)] == ["spam"]


def test_a_form_sent_after_the_minimum_time_is_a_message(timed_app, monkeypatch):
    client = timed_app.test_client()
    fields = form_fields(client)
    later = int(time.time()) + 4
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    client.post("/contact", data={**fields, **VALID})
    assert [r["status"] for r in rows(timed_app)] == ["new"]


def test_a_forged_render_time_is_stored_as_spam(timed_app, monkeypatch):
    client = timed_app.test_client()
    later = int(time.time()) + 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    send(client, rendered_at="contact-form.forged.signature")
    assert [r["status"] for r in rows(timed_app)] == ["spam"]


def test_minimum_time_zero_turns_the_trap_off(app, client):
    send(client)
    assert [r["status"] for r in rows(app)] == ["new"]


# --- abuse: rate limit ----------------------------------------------------------

@pytest.fixture
def limited_app(make_app):
    return make_app(CONTACT_RATE_LIMIT=(2, 3600))


def test_over_the_rate_limit_is_a_429_with_retry_after_and_text_kept(limited_app):
    client = limited_app.test_client()
    assert send(client).status_code == 303
    assert send(client).status_code == 303
    response = send(client, message="A third message, please keep me.")
    assert response.status_code == 429
    assert 3500 <= int(response.headers["Retry-After"]) <= 3601
    alert = soup(response).select_one('[role="alert"]').get_text()
    assert "try again in about 60 minutes" in alert
    assert soup(response).select_one("#message").get_text() == "A third message, please keep me."
    assert len(rows(limited_app)) == 2


def test_429_for_htmx_is_a_fragment(limited_app):
    client = limited_app.test_client()
    send(client)
    send(client)
    response = send(client, headers=PARTIAL)
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert response.get_data(as_text=True).lstrip().startswith("<form")


def test_rate_limit_is_per_client_address(limited_app):
    client = limited_app.test_client()
    here = {"REMOTE_ADDR": "192.0.2.1"}
    there = {"REMOTE_ADDR": "192.0.2.2"}
    for _ in range(2):
        client.post("/contact", data={**form_fields(client), **VALID}, environ_base=here)
    assert client.post("/contact", data={**form_fields(client), **VALID}, environ_base=here).status_code == 429
    assert client.post("/contact", data={**form_fields(client), **VALID}, environ_base=there).status_code == 303


def test_forwarded_for_is_ignored_without_trusted_proxies(limited_app):
    client = limited_app.test_client()
    for i in range(3):
        response = send(client, headers={"X-Forwarded-For": f"198.51.100.{i}"})
    assert response.status_code == 429  # one socket address, whatever the header claims


def test_forwarded_for_is_honoured_behind_a_trusted_proxy(make_app):
    app = make_app(CONTACT_RATE_LIMIT=(2, 3600), TRUSTED_PROXIES=1)
    client = app.test_client()
    for i in range(3):
        response = send(client, headers={"X-Forwarded-For": f"198.51.100.{i}"})
        assert response.status_code == 303
    send(client, headers={"X-Forwarded-For": "198.51.100.9"})
    send(client, headers={"X-Forwarded-For": "198.51.100.9"})
    assert send(client, headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 429


def test_spam_counts_towards_the_limit(limited_app):
    client = limited_app.test_client()
    send(client, website="x")
    send(client, website="x")
    assert send(client).status_code == 429


def test_a_repeated_submission_is_not_limited(limited_app):
    client = limited_app.test_client()
    data = {**form_fields(client), **VALID}
    send(client)
    first = client.post("/contact", data=data)
    assert client.post("/contact", data=data).status_code == first.status_code == 303


# --- when the database cannot take it ------------------------------------------------

def test_a_locked_database_is_a_503_with_the_text_kept(app, client, monkeypatch, caplog):
    with database_locked(app, monkeypatch), caplog.at_level(logging.ERROR):
        response = send(client, message="Please do not lose this message.")
    assert response.status_code == 503
    assert "could not be saved" in soup(response).select_one('[role="alert"]').get_text()
    assert soup(response).select_one("#message").get_text() == "Please do not lose this message."
    assert "cannot take messages: database is locked" in caplog.text
    assert rows(app) == []
    # Once the lock is gone, the same form goes through.
    assert send(client).status_code == 303


@pytest.mark.parametrize("error", ["attempt to write a readonly database", "database or disk is full"])
def test_a_read_only_or_full_database_is_a_503(app, client, monkeypatch, error):
    def fail(*args, **kwargs):
        raise sqlite3.OperationalError(error)

    monkeypatch.setattr(storage, "store_message", fail)
    response = send(client, headers=PARTIAL)
    assert response.status_code == 503
    assert soup(response).select_one("#name")["value"] == VALID["name"]


# --- storage ----------------------------------------------------------------------

def test_schema_is_created_at_start_up_in_wal_mode_with_a_version(app):
    db = storage.connect(storage.database_path(app))
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(migrations.MIGRATIONS)
        assert set(db["messages"].columns_dict) == {
            "id", "created_at", "name", "email", "company", "message", "status", "submission_key", "ip_hash", "user_agent",
            "reference", "sender_hash",
        }
    finally:
        db.conn.close()


def test_migrating_twice_changes_nothing(app):
    db = storage.connect(storage.database_path(app))

    def schema():
        return db.execute("PRAGMA user_version").fetchone()[0], db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()

    try:
        before = schema()
        migrations.migrate(db)
        migrations.migrate(db)
        assert schema() == before
    finally:
        db.conn.close()


def test_database_defaults_to_the_instance_folder():
    class App:
        config = {"DATABASE_PATH": None}
        instance_path = "/srv/portfolio/instance"

    assert str(storage.database_path(App())) == "/srv/portfolio/instance/messages.db"


# --- input the visitor cannot see ----------------------------------------------------

@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\r\n"])
def test_pasted_line_and_paragraph_separators_are_stored_as_newlines(app, client, separator):
    response = send(client, message=f"First pasted line{separator}second pasted line")
    assert response.status_code == 303
    assert rows(app)[0]["message"] == "First pasted line\nsecond pasted line"


@pytest.mark.parametrize("field", ["name", "company"])
@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"])
def test_text_direction_characters_are_refused_in_name_and_company(app, client, field, char):
    response = send(client, **{field: f"Ada{char}ecalevol"})
    assert response.status_code == 422
    error = soup(response).select_one(f"#{field}-error").get_text()
    assert "text-direction characters" in error
    assert rows(app) == []


@pytest.mark.parametrize("char", ["\u2028", "\u2029"])
def test_a_name_is_one_line(app, client, char):
    assert send(client, name=f"Ada{char}Lovelace").status_code == 422


# --- files -------------------------------------------------------------------------

def test_database_and_its_folder_are_private(make_app, tmp_path):
    path = tmp_path / "new" / "nested" / "messages.db"
    app = make_app(DATABASE_PATH=str(path))
    db = storage.connect(path)  # held open, as a running server does: the -wal and -shm files stay
    try:
        send(app.test_client())
        assert (path.stat().st_mode & 0o777) == 0o600
        for companion in ("messages.db-wal", "messages.db-shm"):
            assert (path.parent / companion).stat().st_mode & 0o777 == 0o600, companion
    finally:
        db.conn.close()
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert path.parent.parent.stat().st_mode & 0o777 == 0o700


def test_private_even_under_a_permissive_umask(make_app, tmp_path):
    import os

    before = os.umask(0)
    try:
        path = tmp_path / "open" / "messages.db"
        make_app(DATABASE_PATH=str(path))
    finally:
        os.umask(before)
    assert (path.stat().st_mode & 0o777) == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_upgrading_a_database_with_messages_gives_each_its_reference(tmp_path):
    path = tmp_path / "old.db"
    db = storage.connect(path)
    for step in migrations.MIGRATIONS[:2]:  # the schema as it was before notifications
        step(db)
    db.execute("PRAGMA user_version = 2")
    db.execute(
        "INSERT INTO messages (created_at, name, email, company, message, status, submission_key, ip_hash)"
        " VALUES ('2026-11-01T09:00:00+00:00', 'Ada', 'ada@example.com', '', 'Kept across the upgrade.', 'new', ?, 'x')",
        ["k" * 22],
    )
    migrations.migrate(db)
    [row] = db["messages"].rows
    assert row["reference"] == references.reference_for("k" * 22)
    assert db["notifications"].count == 0  # old messages are not announced again
    db.conn.close()



def test_an_old_database_upgrades_without_the_unused_heartbeat_table(make_app, tmp_path):
    path = tmp_path / "shipped.db"
    db = storage.connect(path)
    for step in migrations.MIGRATIONS[:5]:  # the schema production databases have: version 5
        step(db)
    db.execute("PRAGMA user_version = 5")
    assert "heartbeat" in db.table_names()
    db.conn.close()
    app = make_app(DATABASE_PATH=str(path))  # the server starting on it
    assert send(app.test_client()).status_code == 303
    db = storage.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(migrations.MIGRATIONS)
        assert "heartbeat" not in db.table_names()
    finally:
        db.conn.close()


def test_a_new_database_has_no_heartbeat_table(app):
    db = storage.connect(storage.database_path(app))
    try:
        assert "heartbeat" not in db.table_names()
    finally:
        db.conn.close()


# --- references ------------------------------------------------------------------------

@pytest.mark.parametrize("typed, any_case, found", [
    ("ABCD2345", False, "ABCD2345"),
    ("ABCD2345", True, "ABCD2345"),
    ("abcd2345", True, "ABCD2345"),  # the owner types what they read, in any case
    ("AbCd2345", True, "ABCD2345"),
    ("abcd2345", False, None),  # a page shows only what the site wrote itself
    ("ABCD1234", True, None),  # 0, 1, 8 and 9 are not in base32's alphabet
    ("ABCD234", True, None),
    ("ABCD23456", True, None),
    ("ABCD2345\n", False, None),
    ("ＡBCD2345", True, None),  # fullwidth letters are not the site's
    ("ſBCD2345", True, None),  # "ſ".upper() is "S", but no reference was written with it
    ("", True, None),
])
def test_a_reference_is_eight_base32_characters_in_the_case_each_reader_needs(typed, any_case, found):
    assert references.parse_reference(typed, any_case=any_case) == found


@pytest.mark.parametrize("asked, shown", [("ABCD2345", True), ("abcd2345", False), ("ABCD2345x", False),
                                          ("<b>ABCD2345</b>", False)])
def test_the_thanks_page_shows_only_a_reference_the_site_wrote(client, asked, shown):
    page = client.get("/contact/thanks", query_string={"ref": asked})
    assert page.status_code == 200
    assert bool(soup(page).select_one(".reference")) is shown
    assert ("ABCD2345" in text(page)) is shown

# --- a fair rate limit: per browser, with a larger allowance per address ---------------

OFFICE = {"REMOTE_ADDR": "192.0.2.50"}  # one address shared by many people (NAT)


def send_from(client, environ=OFFICE, **fields):
    data = {**hidden_fields(client.get("/contact", environ_base=environ)), "website": "", **VALID, **fields}
    return client.post("/contact", data=data, environ_base=environ)


def test_people_sharing_an_address_do_not_use_up_each_others_limit(limited_app):
    # The limit is 2 per hour: six people behind one address, each writing once, all get through.
    for person in range(6):
        assert send_from(limited_app.test_client(), message=f"Hello from person {person}.").status_code == 303
    assert len(rows(limited_app)) == 6


def test_one_sender_flooding_is_stopped_at_their_own_limit(limited_app):
    flooder = limited_app.test_client()
    statuses = [send_from(flooder).status_code for _ in range(4)]
    assert statuses == [303, 303, 429, 429]
    # ...while a colleague behind the same address still gets through.
    assert send_from(limited_app.test_client()).status_code == 303


def test_a_sender_who_drops_the_cookie_each_time_meets_the_address_allowance(limited_app):
    # A fresh browser for every message: the address as a whole is capped at 4 x 2.
    statuses = [send_from(limited_app.test_client()).status_code for _ in range(storage.ADDRESS_ALLOWANCE * 2 + 2)]
    assert statuses.count(303) == storage.ADDRESS_ALLOWANCE * 2
    assert statuses[-2:] == [429, 429]


def test_a_limited_message_is_neutral_and_offers_another_way(limited_app):
    for _ in range(storage.ADDRESS_ALLOWANCE * 2):
        send_from(limited_app.test_client())
    first_timer = limited_app.test_client()
    response = send_from(first_timer, message="My very first message, please keep me.")
    assert response.status_code == 429
    alert = soup(response).select_one('[role="alert"]')
    words = " ".join(alert.get_text().split())
    assert "You have sent" not in words and "you sent" not in words.lower()  # never blames this sender
    assert "at most 8 messages an hour from one network address" in words
    site = site_of(limited_app).content.site
    expected = [link.href for link in site.links if link.kind in ("email", "linkedin")]
    assert [a["href"] for a in alert.select("a")] == expected
    assert soup(response).select_one("#message").get_text() == "My very first message, please keep me."


def test_without_the_owners_links_the_limited_message_offers_none(make_app, content_dir):
    site = content_dir / "site.toml"
    site.write_text(re.sub(r"(?m)^(email|linkedin|github) = .*$", "", site.read_text()))
    app = make_app(CONTACT_RATE_LIMIT=(1, 3600), CONTENT_DIR=str(content_dir))
    client = app.test_client()
    send_from(client)
    response = send_from(client)
    assert response.status_code == 429
    assert soup(response).select('[role="alert"] a') == []


# --- the signed form time: bound to its key, used once, expiring ---------------------

def test_one_fetched_form_cannot_be_replayed_under_new_keys(timed_app, monkeypatch):
    client = timed_app.test_client()
    fields = form_fields(client)
    later = int(time.time()) + 4
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    for n in range(5):
        key = f"replayed-key-number-{n}-xxxxxxxx"
        client.post("/contact", data={**fields, **VALID, "submission_key": key})
    # The signed time belongs to the key it was given with; under any other it is forged.
    assert [r["status"] for r in rows(timed_app)] == ["spam"] * 5


def test_the_same_form_posted_again_stores_nothing_new(timed_app, monkeypatch):
    client = timed_app.test_client()
    fields = form_fields(client)
    later = int(time.time()) + 4
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    for _ in range(5):
        client.post("/contact", data={**fields, **VALID})
    assert [r["status"] for r in rows(timed_app)] == ["new"]


def test_an_expired_form_time_is_a_400_with_a_fresh_one(make_app, monkeypatch):
    app = make_app(CONTACT_MIN_SECONDS=3, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    fields = form_fields(client)
    eight_days_later = int(time.time()) + 8 * 24 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: eight_days_later)
    response = client.post("/contact", data={**fields, **VALID})
    assert response.status_code == 400
    assert "expired" in soup(response).select_one('[role="alert"]').get_text()
    assert soup(response).select_one('[role="alert"] button[type="submit"]')  # the way on is in the alert
    again = hidden_fields(response)
    assert again["rendered_at"] != fields["rendered_at"]
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: eight_days_later + 4)
    assert client.post("/contact", data={**again, **VALID}).status_code == 303
    assert [r["status"] for r in rows(app)] == ["new"]


# --- what a visitor could smuggle past the eye (issue 15) --------------------------------

ENCODED_BIDI_AND_HEADER = "=?utf-8?q?=E2=80=AEevil=0D=0ABcc:_x@evil.example?="


@pytest.mark.parametrize("field", ["name", "company"])
def test_an_encoded_word_is_decoded_before_the_checks_and_refused_for_what_it_hides(app, client, field):
    response = send(client, **{field: ENCODED_BIDI_AND_HEADER})
    assert response.status_code == 422
    assert "invisible" in text(response)  # the line break and the override it decodes to
    assert rows(app) == []


def test_a_harmless_encoded_word_is_stored_as_the_text_it_encodes(app, client):
    assert send(client, name="=?utf-8?q?Zo=C3=AB?= Quinn").status_code == 303
    assert rows(app)[0]["name"] == "Zoë Quinn"


def test_an_encoded_word_that_cannot_be_decoded_is_refused(app, client):
    response = send(client, company="=?no-such-charset?q?x?=")
    assert response.status_code == 422 and "plain text" in text(response)
    assert rows(app) == []


@pytest.mark.parametrize("field", ["name", "company"])
@pytest.mark.parametrize("char", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\U000e0041"])
def test_invisible_format_characters_are_refused_in_name_and_company(app, client, field, char):
    response = send(client, **{field: f"Ada{char}Lovelace"})
    assert response.status_code == 422
    assert "invisible characters" in text(response)
    assert rows(app) == []


@pytest.mark.parametrize("name", [
    "क्‍षमा",          # Devanagari with ZWJ inside the word (a half form)
    "می‌خواهم",        # Persian with ZWNJ inside the word
    "Ada 👩‍💻",             # an emoji ZWJ sequence
    "Ada 🏴󠁧󠁢󠁳󠁣󠁴󠁿",      # a flag made of TAG characters
])
def test_joiners_writing_needs_and_emoji_sequences_are_accepted(app, client, name):
    assert send(client, name=name).status_code == 303
    assert rows(app)[0]["name"] == name


def test_an_international_domain_is_accepted_as_typed(app, client):
    assert send(client, email="zoe@exämple.com").status_code == 303
    assert rows(app)[0]["email"] == "zoe@exämple.com"


def test_letters_mail_servers_may_refuse_before_the_at_are_explained(app, client):
    response = send(client, email="zoë@example.com")
    assert response.status_code == 422
    assert "only Latin letters, digits and . _ - + before the @" in text(response)
    assert soup(response).select_one("#email")["value"] == "zoë@example.com"  # nothing typed is lost
