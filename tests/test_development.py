"""`make run`: the development server follows the owner's edits without a restart."""

import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from app import development
from app.config import ROOT
from app.content import ContentError, load_content
from app.development import snapshot
from app.site import site_of
from tests.dev_server import make_run


def add_sixth_project(content_dir: Path) -> Path:
    """A sixth project, "The Sixth", at /work/sixth: a copy of Write."""
    sixth = content_dir / "projects" / "sixth.toml"
    text = (content_dir / "projects" / "write.toml").read_text()
    sixth.write_text(text.replace('slug = "write"', 'slug = "sixth"').replace("order = 4", "order = 6")
                     .replace('title = "Write"', 'title = "The Sixth"'))
    return sixth


def titles(html: str) -> list[str]:
    return [h.get_text() for h in BeautifulSoup(html, "html.parser").select(".project-title")]


def test_make_run_follows_new_broken_fixed_and_deleted_content(dev_server, content_dir):
    assert dev_server.get("/")[0] == 200

    # A sixth project: its page is there on the next request.
    sixth = add_sixth_project(content_dir)
    started = time.monotonic()
    status, page = dev_server.get("/work/sixth")
    assert (status, time.monotonic() - started < 3) == (200, True)
    assert "The Sixth" in page
    assert titles(dev_server.get("/")[1])[-1] == "The Sixth"

    # A typo: every page lists it, in the words of `flask content check`.
    sixth.write_text(sixth.read_text().replace('title = "The Sixth"', 'tittle = "The Sixth"'))
    with pytest.raises(ContentError) as check:
        load_content(content_dir)
    status, page = dev_server.get("/work/sixth")
    assert status == 500
    listed = [li.get_text() for li in BeautifulSoup(page, "html.parser").select("li")]
    assert listed == check.value.errors == [f'{sixth}: tittle: unknown key; did you mean "title"?']

    # Fixed: the site is back, with the fix.
    sixth.write_text(sixth.read_text().replace('tittle = "The Sixth"', 'title = "The Sixth, fixed"'))
    status, page = dev_server.get("/work/sixth")
    assert status == 200 and "The Sixth, fixed" in page

    # Deleted: gone from the site.
    sixth.unlink()
    assert dev_server.get("/work/sixth")[0] == 404
    assert "The Sixth, fixed" not in dev_server.get("/")[1]

    # All of it in one server process, never restarted, and every request logged.
    assert dev_server.process.poll() is None
    assert dev_server.output.count("Restarting") == 1, dev_server.output
    assert re.search(r"GET /work/sixth 200 [\d.]+ms id=\w+", dev_server.output), dev_server.output
    assert re.search(r"GET /work/sixth 500 [\d.]+ms id=\w+", dev_server.output), dev_server.output
    assert "Content errors:" in dev_server.output


def test_make_run_starts_on_invalid_content_and_recovers(tmp_path, content_dir):
    write = content_dir / "projects" / "write.toml"
    write.write_text(write.read_text().replace("order = 4", 'order = "four"'))
    server = make_run(tmp_path, content_dir)
    try:
        status, page = server.get("/")
        assert status == 500 and f"{write}: order: expected a whole number, found text" in page
        write.write_text(write.read_text().replace('order = "four"', "order = 4"))
        assert server.get("/")[0] == 200
    finally:
        server.stop()


def test_the_development_app_follows_content_templates_and_static(make_app, content_dir):
    app = make_app(DEBUG=True, CONTENT_DIR=str(content_dir))
    assert app.wsgi_app.folders == [content_dir, ROOT / "templates", ROOT / "static"]


def test_a_snapshot_changes_with_new_changed_and_deleted_files(tmp_path):
    (tmp_path / "css").mkdir()
    style = tmp_path / "css" / "site.css"
    style.write_text("a { color: red; }")
    before = snapshot([tmp_path])
    assert snapshot([tmp_path]) == before
    (tmp_path / "css" / "new.css").write_text("")
    added = snapshot([tmp_path])
    assert added != before
    style.write_text("a { color: blue; }")  # same size: the modification time tells
    os.utime(style, ns=(0, os.stat(style).st_mtime_ns + 1))
    changed = snapshot([tmp_path])
    assert changed != added
    (tmp_path / "css" / "new.css").unlink()
    assert snapshot([tmp_path]) not in (before, added, changed)


def test_an_edit_drops_the_rendered_pages_and_static_files(make_app, content_dir):
    # In-process, as make run's app: an edit under static/ gives the stylesheet a new hashed URL.
    app = make_app(DEBUG=True, CONTENT_DIR=str(content_dir))
    client = app.test_client()
    assert client.get("/").status_code == 200
    rendered, assets = site_of(app).rendered, site_of(app).assets
    assert rendered
    (content_dir / "site.toml").write_text((content_dir / "site.toml").read_text() + "\n")
    assert client.get("/").status_code == 200
    assert site_of(app).rendered is not rendered and site_of(app).assets is not assets


def test_an_unexpected_error_while_reloading_is_tried_again_on_the_next_request(make_app, content_dir, monkeypatch):
    app = make_app(DEBUG=True, CONTENT_DIR=str(content_dir))
    client = app.test_client()
    write = content_dir / "projects" / "write.toml"
    write.write_text(write.read_text().replace('title = "Write"', 'title = "Write, edited"'))
    monkeypatch.setattr(development, "load_site", lambda app, url_setting: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        client.get("/work/write")
    monkeypatch.undo()
    assert "Write, edited" in client.get("/work/write").text


def test_a_reload_swaps_in_a_whole_new_site_with_one_assignment(make_app, content_dir):
    app = make_app(DEBUG=True, CONTENT_DIR=str(content_dir))
    assert app.test_client().get("/").status_code == 200
    old = site_of(app)
    writes = []

    class Recorded(dict):
        def __setitem__(self, key, value):
            writes.append(key)
            super().__setitem__(key, value)

    app.extensions = Recorded(app.extensions)
    add_sixth_project(content_dir)
    app.wsgi_app.follow()
    new = site_of(app)
    assert writes == ["site"]  # one assignment: never new content beside old pictures
    assert new.content.project("sixth") and "sixth" in new.pictures.previews
    # Nothing made from the old content comes along: no exports, no rendered pages.
    assert (new.exports.made, new.exports.pdf_key, new.rendered) == ({}, "", {})
    parts = ("content", "assets", "pictures", "exports", "rendered")
    for part in parts:
        assert getattr(new, part) is not getattr(old, part), part
    # Templates read the site through the request's current_site(), never a copy kept aside.
    kept = {id(part) for site in (old, new) for part in (site, site.content.site, *(getattr(site, p) for p in parts))}
    with app.test_request_context():  # Flask's own globals (request, g...) are proxies that need one
        for name, value in app.jinja_env.globals.items():
            assert id(value) not in kept and id(getattr(value, "__self__", None)) not in kept, name


def test_a_request_during_a_reload_is_answered_from_one_site(make_app, content_dir, monkeypatch):
    # The page of a project deleted while it renders: the request finishes with the site it began
    # with (its content and its picture), and the next request sees the new one, whole.
    sixth = add_sixth_project(content_dir)
    app = make_app(DEBUG=True, CONTENT_DIR=str(content_dir))
    client = app.test_client()
    preview = app.jinja_env.globals["social_preview"]

    def deleted_midway(name):
        if sixth.exists():
            sixth.unlink()
            app.wsgi_app.follow()
            assert site_of(app).content.project("sixth") is None  # swapped while this page renders
        return preview(name)

    monkeypatch.setitem(app.jinja_env.globals, "social_preview", deleted_midway)
    response = client.get("/work/sixth")
    assert response.status_code == 200 and "The Sixth" in response.text
    image = BeautifulSoup(response.text, "html.parser").find("meta", property="og:image")["content"]
    assert "/social/sixth." in image
    assert client.get("/work/sixth").status_code == 404


def test_an_edit_made_while_the_site_is_read_is_not_missed(make_app, content_dir, monkeypatch):
    # The files are listed before they are read: an edit landing during the reading is
    # still new at the next request, which reads again.
    app = make_app(DEBUG=True, CONTENT_DIR=str(content_dir))
    client = app.test_client()
    write = content_dir / "projects" / "write.toml"
    write.write_text(write.read_text().replace('title = "Write"', 'title = "Write, first edit"'))
    load_site = development.load_site

    def read_then_edited(*args):
        site = load_site(*args)
        monkeypatch.setattr(development, "load_site", load_site)
        write.write_text(write.read_text().replace('title = "Write, first edit"', 'title = "Write, the second edit"'))
        return site

    monkeypatch.setattr(development, "load_site", read_then_edited)
    assert "Write, first edit" in client.get("/work/write").text
    assert "Write, the second edit" in client.get("/work/write").text


def test_the_content_errors_page_reloads_itself_only_while_edits_are_followed(make_app, content_dir):
    write = content_dir / "projects" / "write.toml"
    write.write_text(write.read_text().replace("order = 4", 'order = "four"'))
    for debug, refreshes in ((True, True), (False, False)):
        response = make_app(DEBUG=debug, CONTENT_DIR=str(content_dir)).test_client().get("/")
        page = BeautifulSoup(response.text, "html.parser")
        assert response.status_code == 500
        assert f"{write}: order: expected a whole number, found text" in page.ul.get_text()
        refresh = page.find("meta", attrs={"http-equiv": "refresh"})
        assert (refresh is not None and refresh["content"] == "2") is refreshes, debug
        assert ("this page reloads every 2 seconds" in page.text) is refreshes
        assert ("restart the server" in page.text) is not refreshes


# --- the open page follows too; one line per request; the start-up tells -------------------


def test_an_open_pages_long_poll_answers_at_an_edit(dev_server, content_dir):
    assert dev_server.get("/__dev/changes?since=")[1] == "0"  # the first ask answers at once
    answer = {}

    def wait_for_an_edit():
        started = time.monotonic()
        answer["version"] = dev_server.get("/__dev/changes?since=0")[1]
        answer["seconds"] = time.monotonic() - started

    poll = threading.Thread(target=wait_for_an_edit)
    poll.start()
    time.sleep(1)
    assert poll.is_alive()  # nothing changed: it waits
    site = content_dir / "site.toml"
    site.write_text(site.read_text().replace('tagline = "', 'tagline = "Edited. '))
    poll.join(timeout=10)
    assert answer["version"] == "1" and 1 <= answer["seconds"] < 3, answer


def test_the_reload_script_and_its_endpoint_exist_only_in_development(make_app, content_dir):
    development_app = make_app(DEBUG=True, CONTENT_DIR=str(content_dir))
    page = BeautifulSoup(development_app.test_client().get("/").text, "html.parser")
    assert page.select_one('script[src*="/js/dev-reload."]')
    for settings in ({"DEBUG": False}, {"APP_ENV": "production", "SITE_URL": "https://example.com"}):
        app = make_app(CONTENT_DIR=str(content_dir), **settings)
        client = app.test_client()
        assert not BeautifulSoup(client.get("/").text, "html.parser").select('script[src*="dev-reload"]')
        assert client.get("/__dev/changes").status_code == 404


def test_make_run_logs_one_line_per_request_and_says_notifications_are_off(dev_server):
    assert dev_server.get("/work?tag=docker")[0] == 200
    dev_server.wait_for(r"GET /work\?tag=docker 200")
    time.sleep(0.5)
    lines = [line for line in dev_server.lines if "/work?tag=docker" in line]
    assert len(lines) == 1, lines  # ours, with time and id; not werkzeug's as well
    assert re.search(r"Notifications are off: NOTIFY_URLS is not set", dev_server.output), dev_server.output


def test_make_run_says_notifications_are_on_and_takes_a_port(tmp_path, content_dir):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_run(tmp_path, content_dir, PORT=str(port), NOTIFY_URLS="json://127.0.0.1:9/hook")
    try:
        assert server.url == f"http://127.0.0.1:{port}"
        server.wait_for(r"Notifications are on: 1 URL")
    finally:
        server.stop()
