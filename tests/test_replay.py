"""app/replay.py answers repeat requests for cached content without Flask:
the answer must be exactly what Flask gave, for every variant, and bounded."""

import logging

import pytest
from flask import request_started

from tests.html import PARTIAL

PER_REQUEST = {"X-Request-ID", "Date"}
VARIANTS = [
    ("/", {}),
    ("/", PARTIAL),
    ("/", {"Accept-Encoding": "br, gzip"}),
    ("/", {"Accept-Encoding": "gzip"}),
    ("/?tag=docker", PARTIAL),
    ("/?tag=docker", {"Accept-Encoding": "gzip", **PARTIAL}),
    ("/work?tag=c", {}),
    ("/work/write", PARTIAL),
    ("/work/write", {"HX-Request": "true", "HX-Request-Type": "full"}),
    ("/work/write", {"HX-Request": "true", "HX-History-Restore-Request": "true"}),
    ("/sitemap.xml", {"Accept-Encoding": "br"}),
    ("/robots.txt", {}),
]


@pytest.fixture
def flask_calls(app):
    calls = []

    def count(sender, **extra):
        calls.append(1)

    request_started.connect(count, app)
    yield calls
    request_started.disconnect(count, app)


def comparable(response):
    return response.status_code, response.data, sorted((k, v) for k, v in response.headers if k not in PER_REQUEST)


@pytest.mark.parametrize("path, headers", VARIANTS)
def test_a_replayed_answer_is_exactly_flasks(client, flask_calls, path, headers):
    first = client.get(path, headers=headers)
    assert len(flask_calls) == 1
    second = client.get(path, headers=headers)
    assert len(flask_calls) == 1  # answered without Flask
    assert comparable(second) == comparable(first)
    assert second.headers["X-Request-ID"] != first.headers["X-Request-ID"]


def test_each_variant_is_kept_apart(client):
    for path, headers in VARIANTS:
        client.get(path, headers=headers)
    page, fragment = client.get("/work/write"), client.get("/work/write", headers=PARTIAL)
    assert page.data.startswith(b"<!doctype html>") and not fragment.data.startswith(b"<!doctype html>")
    assert client.get("/", headers={"Accept-Encoding": "gzip"}).headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in client.get("/").headers


@pytest.mark.parametrize("if_none_match", ['"{etag}"', 'W/"{etag}"', '"other", "{etag}"', "*"])
def test_replay_answers_304(client, flask_calls, if_none_match):
    etag = client.get("/").headers["ETag"].strip('"')
    client.get("/")
    calls = len(flask_calls)
    response = client.get("/", headers={"If-None-Match": if_none_match.format(etag=etag)})
    assert len(flask_calls) == calls
    assert response.status_code == 304 and response.data == b""
    assert response.headers["ETag"] == f'"{etag}"'


def test_a_stale_etag_gets_the_body(client):
    client.get("/")
    response = client.get("/", headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200 and response.data


def test_head_is_replayed_without_a_body(client):
    get = client.get("/work")
    head = client.head("/work")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


@pytest.mark.parametrize("path", ["/?utm_source=x", "/?tag=", "/nope", "/?tag=cobol", "/contact", "/healthz", "/static/css/site.css?v=1"])
def test_only_canonical_cached_answers_are_kept(app, client, path):
    client.get(path)
    client.get(path)
    assert app.extensions["replay"].kept == {}


def test_posts_are_never_replayed(app, client):
    client.get("/")
    assert client.post("/").status_code == 405  # from Flask, not the kept page
    assert len(app.extensions["replay"].kept) == 1


def test_the_store_is_bounded_by_the_site(app, client):
    for i in range(50):
        client.get(f"/?tag=docker&x={i}")
        client.get("/", headers={"Accept-Encoding": f"gzip;q=0.{i % 10}"})
        client.get("/", headers={"HX-Request": "true", "HX-Request-Type": f"t{i}"})
    # page and fragment, each with and without gzip: four answers in all.
    assert len(app.extensions["replay"].kept) <= 4


def test_replayed_requests_are_logged_with_their_id(client, caplog):
    client.get("/work")
    with caplog.at_level(logging.INFO, logger="app.requests"):
        response = client.get("/work", headers={"X-Request-ID": "edge-7"})
    assert response.headers["X-Request-ID"] == "edge-7"
    assert [r.getMessage() for r in caplog.records if r.name == "app.requests"][0].startswith("GET /work 200 ")
    assert caplog.records[-1].getMessage().endswith("id=edge-7")


def test_an_answer_that_sets_a_cookie_is_never_kept(app, client):
    from flask import session

    @app.after_request
    def touch_session(response):
        session["seen"] = True  # as a future bug might
        return response

    client.get("/work")
    client.get("/work")
    assert app.extensions["replay"].kept == {}
