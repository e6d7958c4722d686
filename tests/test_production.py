"""Production serving: security headers everywhere, styled errors, caching,
compression, static assets, the health check and the request log."""

import gzip
import logging
import re

import brotli
import pytest

from app.contact import storage
from app.site import site_of
from tests.apps import database_locked
from tests.html import PARTIAL, hidden_fields, soup

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@pytest.fixture
def app(make_app):
    # PROPAGATE_EXCEPTIONS off: a bug must reach the error page, as in production.
    app = make_app(CONTACT_RATE_LIMIT=(1, 3600), PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")  # an unhandled exception, as a bug would raise
    def boom():
        raise RuntimeError("secret internals: do not show")

    return app


def assert_secure(response):
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
                      "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # not configured for HTTPS
    for value in response.headers.values():
        assert not re.search(r"(Werkzeug|Flask|Python|granian)/\d", value)


def contact_fields(client):
    return hidden_fields(client.get("/contact"))


MESSAGE = {"name": "Ada", "email": "ada@example.com", "company": "", "message": "Hello there, Harsh."}


def every_kind_of_response(client):
    """(label, response) for each route and each error status."""
    yield "home", client.get("/")
    yield "home fragment", client.get("/?tag=c", headers=PARTIAL)
    yield "work", client.get("/work")
    yield "case study", client.get("/work/write")
    yield "case fragment", client.get("/work/write", headers=PARTIAL)
    yield "contact", client.get("/contact")
    yield "thanks", client.get("/contact/thanks?ref=ABCDEFGH")
    yield "sitemap", client.get("/sitemap.xml")
    yield "robots", client.get("/robots.txt")
    yield "healthz", client.get("/healthz")
    yield "static", client.get(soup(client.get("/")).select_one("link[rel=stylesheet]")["href"])
    yield "304", client.get("/", headers={"If-None-Match": client.get("/").headers["ETag"]})
    yield "303", client.post("/contact", data={**contact_fields(client), **MESSAGE})
    yield "400", client.post("/contact", data=MESSAGE)
    yield "404", client.get("/nope")
    yield "404 fragment", client.get("/nope", headers=PARTIAL)
    yield "405", client.post("/work")
    yield "413", client.post("/contact", data={"message": "x" * 70_000})
    yield "422", client.post("/contact", data={**contact_fields(client), **MESSAGE, "message": "short"})
    yield "429", client.post("/contact", data={**contact_fields(client), **MESSAGE})
    yield "500", client.get("/boom")
    yield "500 fragment", client.get("/boom", headers=PARTIAL)


def test_every_response_carries_the_security_headers(client):
    seen = {}
    for label, response in every_kind_of_response(client):
        assert_secure(response)
        seen[label] = response.status_code
    assert seen["304"] == 304 and seen["303"] == 303 and seen["400"] == 400 and seen["405"] == 405
    assert seen["413"] == 413 and seen["422"] == 422 and seen["429"] == 429 and seen["500"] == 500


def test_hsts_when_served_over_https(make_app):
    client = make_app(SITE_URL="https://harsh.example").test_client()
    assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=63072000")
    assert client.get("/nope").headers["Strict-Transport-Security"]


@pytest.mark.parametrize("env, secure", [("production", True), ("development", False)])
def test_session_cookie_flags(make_app, env, secure):
    client = make_app(APP_ENV=env, SITE_URL="https://harsh.example").test_client()
    cookie = client.get("/contact").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure


@pytest.mark.parametrize("status, path, method, headers, title", [
    (404, "/nope", "get", {}, "Page not found"),
    (405, "/work", "post", {}, "That method is not allowed here"),
    (500, "/boom", "get", {}, "Something went wrong on our side"),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_error_pages_are_styled_pages_or_fragments(client, status, path, method, headers, title, htmx):
    response = getattr(client, method)(path, headers=PARTIAL if htmx else headers)
    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert title in body
    assert body.startswith("<!doctype html>") is not htmx
    for leak in ("Traceback", "secret internals", "Werkzeug", "werkzeug", "Internal Server Error</title>"):
        assert leak not in body


def test_405_says_which_methods_are_allowed(client):
    assert "GET" in client.post("/work").headers["Allow"]


def test_413_is_a_styled_page_and_fragment(client):
    for headers, is_page in (({}, True), (PARTIAL, False)):
        response = client.post("/contact", data={"message": "x" * 70_000}, headers=headers)
        assert response.status_code == 413
        assert "too large" in response.get_data(as_text=True)
        assert response.get_data(as_text=True).startswith("<!doctype html>") is is_page


def test_traceback_goes_to_the_log_only(client, caplog):
    with caplog.at_level(logging.ERROR):
        client.get("/boom")
    assert "secret internals" in caplog.text and "Traceback" in caplog.text


# --- caching -------------------------------------------------------------------------

def test_pages_render_once(app, client, monkeypatch):
    client.get("/")
    client.get("/work/write", headers=PARTIAL)
    calls = []
    monkeypatch.setattr("app.rendering.render_template", lambda *a, **k: calls.append(a) or "")
    for _ in range(3):
        assert client.get("/").status_code == 200
        assert client.get("/work/write", headers=PARTIAL).status_code == 200
    assert calls == []  # served from memory: no template work


def test_odd_query_strings_do_not_grow_the_cache(app, client):
    client.get("/")
    size = len(site_of(app).rendered)
    for i in range(20):
        client.get(f"/?utm_source={i}&x={i}")
    assert len(site_of(app).rendered) == size


@pytest.mark.parametrize("path, headers", [("/", {}), ("/?tag=react", PARTIAL), ("/work/write", PARTIAL), ("/work", {}), ("/sitemap.xml", {})])
def test_pages_and_fragments_answer_if_none_match_with_304(client, path, headers):
    for encoding in ("br", "gzip", "identity"):
        first = client.get(path, headers={**headers, "Accept-Encoding": encoding})
        assert first.status_code == 200
        assert "s-maxage=300" in first.headers["Cache-Control"]
        again = client.get(path, headers={**headers, "Accept-Encoding": encoding, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""


def test_an_etag_from_another_encoding_is_not_a_match(client):
    br = client.get("/", headers={"Accept-Encoding": "br"}).headers["ETag"]
    response = client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": br})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"


def test_head_works_everywhere(client):
    for path in ("/", "/work", "/work/write", "/contact", "/healthz", "/sitemap.xml", "/robots.txt"):
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code == 200
        assert head.data == b""
        assert head.headers["Content-Type"] == get.headers["Content-Type"]


# --- compression -------------------------------------------------------------------------

def asset_urls(client) -> list[str]:
    page = soup(client.get("/"))
    return [e.get("href") or e.get("src") for e in page.select("link[rel=stylesheet], link[rel=icon], script[src]")]


@pytest.mark.parametrize("encoding, decode", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_compressed_bodies_decode_to_exactly_the_uncompressed_bytes(client, encoding, decode):
    paths = ["/", "/work", "/work/write", "/sitemap.xml"] + asset_urls(client)
    for path in paths:
        plain = client.get(path, headers={"Accept-Encoding": "identity"})
        packed = client.get(path, headers={"Accept-Encoding": encoding})
        assert "Content-Encoding" not in plain.headers
        if len(plain.data) < 512:  # the favicon: too small to be worth it
            assert "Content-Encoding" not in packed.headers
            continue
        assert packed.headers["Content-Encoding"] == encoding, path
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert decode(packed.data) == plain.data, path
    fragment = client.get("/work/write", headers={**PARTIAL, "Accept-Encoding": encoding})
    assert decode(fragment.data) == client.get("/work/write", headers=PARTIAL).data


def test_brotli_is_preferred_and_q0_refused(client):
    assert client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"}).headers["Content-Encoding"] == "br"
    assert client.get("/", headers={"Accept-Encoding": "br;q=0, gzip"}).headers["Content-Encoding"] == "gzip"


def test_per_visitor_responses_are_never_compressed(client):
    # A CSRF token beside reflected text is what BREACH needs; these stay plain.
    response = client.get("/contact", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_compression_is_done_once(app, client, monkeypatch):
    both = {"Accept-Encoding": "br, gzip"}
    client.get("/", headers=both)
    # The stylesheet and scripts: files large enough to be compressed at all.
    compressed = [url for url in asset_urls(client) if "Content-Encoding" in client.get(url, headers=both).headers]
    assert len(compressed) >= 2
    monkeypatch.setattr("app.responses.brotli.compress", lambda *a, **k: pytest.fail("compressed again"))
    monkeypatch.setattr("app.responses.gzip.compress", lambda *a, **k: pytest.fail("compressed again"))
    for encoding in ("br", "gzip"):
        assert client.get("/", headers={"Accept-Encoding": encoding}).headers["Content-Encoding"] == encoding
        for url in compressed:
            assert client.get(url, headers={"Accept-Encoding": encoding}).headers["Content-Encoding"] == encoding


# --- static files ----------------------------------------------------------------------------

def test_static_files_have_hashed_urls_and_are_immutable(client):
    for url in asset_urls(client):
        assert re.search(r"\.[0-9a-f]{10}\.\w+$", url), url
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_changed_file_gets_a_new_url(tmp_path, monkeypatch):
    from app import assets

    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css/site.css").write_text("body { color: red; }")
    first = assets.Assets(static).url("css/site.css")
    (static / "css/site.css").write_text("body { color: blue; }")
    assert assets.Assets(static).url("css/site.css") != first


def test_plain_static_names_still_work_with_a_short_cache(client):
    response = client.get("/static/vendor/htmx-4.0.1.LICENSE")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "public, max-age=300"
    assert client.get("/static/nope.css").status_code == 404
    assert client.get("/static/../app/config.py").status_code == 404


# --- health and logs -----------------------------------------------------------------------

def test_healthz_ok_when_the_database_is_writable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "writable", "notifications": "off"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_503_when_the_database_is_not_writable(app, client, monkeypatch):
    with database_locked(app, monkeypatch):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "not writable: database is locked",
                             "notifications": "off"}
    assert client.get("/healthz").status_code == 200  # and back once it can write


def test_healthz_503_when_the_database_cannot_be_opened(tmp_path, make_app):
    app = make_app()
    app.config["DATABASE_PATH"] = str(tmp_path / "missing-folder" / "file-not-dir" / "m.db")
    (tmp_path / "missing-folder").mkdir()
    (tmp_path / "missing-folder" / "file-not-dir").write_text("a file where a folder should be")
    storage.store_state(app).ready = False  # as if it had never been created
    assert app.test_client().get("/healthz").status_code == 503


def test_healthz_names_notifications_that_failed_for_good(make_app):
    app = make_app(NOTIFY_URLS="json://127.0.0.1:9/hook")
    client = app.test_client()
    assert client.get("/healthz").json["notifications"] == {"failing": 0, "failed": 0, "next_try": None}
    client.post("/contact", data={**contact_fields(client), **MESSAGE})
    db = storage.connect(storage.database_path(app))
    db.execute("UPDATE notifications SET status = 'failed'")
    db.conn.close()
    storage.store_state(app).proved_at = None  # the next check proves again, as it would 5 s later
    response = client.get("/healthz")
    assert response.status_code == 200  # messages are still kept
    assert response.json == {"status": "degraded", "database": "writable",
                             "notifications": {"failing": 0, "failed": 1, "next_try": None}}


def test_one_log_line_per_request_with_the_id_sent_back(client, caplog):
    with caplog.at_level(logging.INFO, logger="app.requests"):
        response = client.get("/work?tag=c")
    [line] = [r.getMessage() for r in caplog.records if r.name == "app.requests"]
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(rf"GET /work\?tag=c 200 \d+\.\dms id={request_id}", line)


def test_a_proxys_request_id_is_kept_and_a_bad_one_replaced(client):
    assert client.get("/", headers={"X-Request-ID": "edge-42.a_b"}).headers["X-Request-ID"] == "edge-42.a_b"
    replaced = client.get("/", headers={"X-Request-ID": "bad id <script>"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)


def test_unknown_addresses_do_not_grow_any_cache(app, client):
    client.get("/")
    size = len(site_of(app).rendered)
    for i in range(30):
        assert client.get(f"/?tag=made-up-{i}").status_code == 404
        assert client.get(f"/work/made-up-{i}", headers=PARTIAL).status_code == 404
    assert len(site_of(app).rendered) == size
