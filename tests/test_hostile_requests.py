"""Defence in depth in the app itself, for deployments without our nginx:
crafted requests get a 4xx, one log line each, and nothing built from Host."""

import io
import logging
import sqlite3

import pytest

from app.config import ConfigError
from app.contact import migrations, storage
from tests.html import hidden_fields, soup

VALID = {"name": "Ada", "email": "ada@example.com", "company": "", "message": "Hello there, Harsh."}


def request_log_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "app.requests"]


@pytest.mark.parametrize("path, query, shown", [
    ("/x\nGET /forged 200 1.0ms id=abc", "", r"/x\nGET /forged"),
    ("/x\r\n\x1b[31mred", "", r"/x\r\n\x1b[31mred"),
    ("/work", "tag=\n\x1b", r"/work?tag=\n\x1b"),
])
def test_every_request_stays_one_log_line(client, caplog, path, query, shown):
    # As a server hands them over: the path percent-decoded, the query raw.
    with caplog.at_level(logging.INFO, logger="app.requests"):
        client.get(environ_overrides={"PATH_INFO": path, "QUERY_STRING": query})
    [line] = request_log_lines(caplog)
    assert shown in line
    assert line.isprintable()


def form_fields(client) -> dict:
    return {**hidden_fields(client.get("/contact")), **VALID}


def test_a_file_where_the_message_belongs_is_a_400(client):
    fields = {**form_fields(client), "message": (io.BytesIO(b"Hello there, Harsh."), "message.txt")}
    response = client.post("/contact", data=fields, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "text only" in response.get_data(as_text=True)


def test_a_multipart_form_missing_a_part_is_a_422(client):
    fields = form_fields(client)
    del fields["message"]
    assert client.post("/contact", data=fields, content_type="multipart/form-data").status_code == 422


@pytest.mark.parametrize("body, content_type", [
    (b"--xx\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAda\r\n--xx", "multipart/form-data; boundary=xx"),
    (b"garbage", "multipart/form-data"),
    (b"\xff\xfe\x00", "multipart/form-data; boundary=\xff"),
])
def test_a_malformed_multipart_body_is_a_400(client, body, content_type):
    assert client.post("/contact", data=body, headers={"Content-Type": content_type}).status_code == 400


def chunked_post(client, fields: dict):
    from urllib.parse import urlencode

    return client.post("/contact", input_stream=io.BytesIO(urlencode(fields).encode()), headers={
        "Transfer-Encoding": "chunked", "Content-Type": "application/x-www-form-urlencoded",
    })


def test_a_chunked_body_over_the_limit_is_a_413(app, client):
    response = chunked_post(client, {**form_fields(client), "message": "Hello. " + "x" * 70_000})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_a_chunked_body_within_the_limit_is_read_whole(app, client):
    assert chunked_post(client, form_fields(client)).status_code == 303
    with sqlite3.connect(storage.database_path(app)) as db:
        assert db.execute("SELECT message FROM messages").fetchall() == [(VALID["message"],)]


@pytest.mark.parametrize("path", ["/work//write", "//", "///work", "//evil.example/"])
def test_no_redirect_is_built_from_the_host_header(client, path):
    response = client.get(environ_overrides={"PATH_INFO": path}, headers={"Host": "evil.example"})
    assert "Location" not in response.headers
    assert response.status_code in (200, 404)  # Werkzeug drops leading slashes itself


# --- /healthz -------------------------------------------------------------------------

def health_writes(app) -> int:
    with sqlite3.connect(storage.database_path(app)) as db:
        return db.execute("SELECT writes FROM health_check").fetchone()[0]


def test_healthz_writes_at_most_once_every_few_seconds(app, client, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("app.health.time.monotonic", lambda: clock[0])
    for _ in range(20):
        assert client.get("/healthz").status_code == 200
    assert health_writes(app) == 1
    clock[0] += 6
    assert client.get("/healthz").status_code == 200
    assert health_writes(app) == 2


def test_healthz_keeps_its_own_table_apart_from_the_message_schema(make_app, monkeypatch):
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])  # the messages alone
    app = make_app()
    assert app.test_client().get("/healthz").status_code == 200


# --- production settings ----------------------------------------------------------------

@pytest.mark.parametrize("site_url", ["", "harsh.dev", "//harsh.dev", "ftp://harsh.dev", "https://"])
def test_production_refuses_to_start_without_an_absolute_site_url(make_app, site_url):
    with pytest.raises(ConfigError, match="SITE_URL"):
        make_app(APP_ENV="production", SITE_URL=site_url)


def test_production_names_its_site_url_everywhere(make_app):
    client = make_app(APP_ENV="production", SITE_URL="https://harsh.example").test_client()
    assert soup(client.get("/")).select_one('link[rel="canonical"]')["href"] == "https://harsh.example/"
    assert "127.0.0.1" not in client.get("/sitemap.xml").get_data(as_text=True)
