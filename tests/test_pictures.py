"""Link previews and icons: every picture a page's own tags name exists, is a
PNG of the size the tags claim, and is cached as its URL allows; the manifest
is valid JSON naming icons that exist."""

import io
import json
import shutil

import PIL
import pytest
from PIL import Image

from app import pictures
from app.content import load_content
from app.pictures import Pictures, _drawn, draw
from tests.html import soup

SITE_URL = "https://harsh.example"
PAGES = ["/", "/?tag=docker", "/work", "/contact", "/work/l1-market-data-engine", "/work/write"]
SLUGS = ["l1-market-data-engine", "crypto-exchange", "webrtc-video-platform", "write", "sun-ray-casting"]


@pytest.fixture
def client(make_app):
    return make_app(SITE_URL=SITE_URL).test_client()


def meta(page, key: str) -> str:
    tag = page.find("meta", attrs={"property": key}) or page.find("meta", attrs={"name": key})
    assert tag is not None, key
    return tag["content"]


def local(url: str) -> str:
    assert url.startswith(SITE_URL + "/"), url  # absolute, from SITE_URL
    return url.removeprefix(SITE_URL)


def picture(response, kind: str = "PNG") -> Image.Image:
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.data))
    assert image.format == kind
    return image


@pytest.mark.parametrize("path", PAGES)
def test_every_page_names_a_large_preview_that_exists(client, path):
    page = soup(client.get(path))
    assert meta(page, "twitter:card") == "summary_large_image"
    assert meta(page, "og:image") == meta(page, "twitter:image")
    assert meta(page, "og:image:alt")
    response = client.get(local(meta(page, "og:image")))
    assert response.content_type == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    image = picture(response)
    assert image.size == (int(meta(page, "og:image:width")), int(meta(page, "og:image:height"))) == (1200, 630)


def test_each_case_study_has_its_own_preview_naming_its_project(client):
    home = meta(soup(client.get("/")), "og:image")
    seen = {home}
    for slug in SLUGS:
        page = soup(client.get(f"/work/{slug}"))
        image = meta(page, "og:image")
        assert image not in seen
        seen.add(image)
        title = page.h1.get_text()
        assert meta(page, "og:image:alt").startswith(f"{title}, a case study by Harsh Tiwari. Built with ")


def test_previews_are_drawn_from_the_content(content_dir, make_app):
    # Renaming the project changes its picture, and so its URL: immutable caching stays safe.
    def preview_of(directory):
        client = make_app(CONTENT_DIR=str(directory), SITE_URL=SITE_URL).test_client()
        url = local(meta(soup(client.get("/work/write")), "og:image"))
        return url, client.get(url).data

    before_url, before = preview_of(content_dir)
    project = content_dir / "projects" / "write.toml"
    project.write_text(project.read_text().replace('title = "Write"', 'title = "Write, the editor"'))
    after_url, after = preview_of(content_dir)
    assert before_url != after_url and before != after


def test_a_preview_url_with_a_stale_hash_is_not_found(client):
    url = local(meta(soup(client.get("/")), "og:image"))
    name, digest, ext = url.rsplit(".", 2)
    assert client.get(f"{name}.{'0' * len(digest)}.{ext}").status_code == 404
    assert client.get("/social/nobody.0123456789ab.png").status_code == 404


def test_previews_are_drawn_once(client, monkeypatch):
    url = local(meta(soup(client.get("/work/write")), "og:image"))
    calls = []
    painter = draw.case_study_preview
    monkeypatch.setattr(draw, "case_study_preview", lambda *args: calls.append(args) or painter(*args))
    _drawn.clear()
    first, second = client.get(url), client.get(url)
    assert first.data == second.data
    assert len(calls) == 1


def test_icons_from_the_pages_tags(client):
    page = soup(client.get("/"))
    apple = page.select_one('link[rel="apple-touch-icon"]')["href"]
    assert picture(client.get(apple)).size == (180, 180)
    assert picture(client.get("/apple-touch-icon.png")).size == (180, 180)
    favicon = picture(client.get("/favicon.ico"), "ICO")
    assert {size for size in favicon.info["sizes"]} == {(16, 16), (32, 32), (48, 48)}
    svg = client.get(page.select_one('link[rel="icon"]')["href"])
    assert svg.status_code == 200 and svg.content_type.startswith("image/svg+xml")


def test_manifest_is_valid_json_naming_icons_that_exist(client):
    page = soup(client.get("/"))
    response = client.get(page.select_one('link[rel="manifest"]')["href"])
    assert response.content_type == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["name"] == "Harsh Tiwari — Software Engineer"
    assert manifest["short_name"] == "Harsh Tiwari"
    assert manifest["theme_color"].startswith("#") and manifest["background_color"].startswith("#")
    sizes = set()
    for icon in manifest["icons"]:
        image = picture(client.get(icon["src"]))
        assert icon["type"] == "image/png"
        assert icon["sizes"] == f"{image.width}x{image.height}"
        sizes.add(image.size)
    assert {(192, 192), (512, 512)} <= sizes


# --- a picture's URL names everything that decides its pixels --------------------------------


def picture_urls(content) -> dict:
    found = Pictures(content)
    return {
        **{name: found.preview(name)["url"] for name in found.previews},
        **{size: found.icon_url(size) for size in found.icons},
        "favicon": found.favicon.key,
    }


@pytest.fixture
def fresh_digest():
    """code_digest() is computed once per process: these tests change what it reads."""
    pictures.code_digest.cache_clear()
    yield
    pictures.code_digest.cache_clear()


def test_a_pictures_url_changes_with_its_text(content_dir):
    before = picture_urls(load_content(content_dir))
    project = content_dir / "projects" / "write.toml"
    project.write_text(project.read_text().replace('title = "Write"', 'title = "Write, the editor"'))
    after = picture_urls(load_content(content_dir))
    assert after["write"] != before["write"]
    assert {k: v for k, v in after.items() if k != "write"} == {k: v for k, v in before.items() if k != "write"}


def changed_fonts(monkeypatch, tmp_path):
    fonts = tmp_path / "fonts"
    shutil.copytree(draw.FONTS, fonts)
    bold = fonts / "Inter-Bold.otf"
    bold.write_bytes(bold.read_bytes() + b"\0")
    monkeypatch.setattr(draw, "FONTS", fonts)


def changed_drawing_code(monkeypatch, tmp_path):
    code = tmp_path / "draw.py"
    code.write_text(open(draw.__file__).read().replace("MARGIN = 80", "MARGIN = 81"))
    monkeypatch.setattr(draw, "__file__", str(code))


def changed_pillow(monkeypatch, tmp_path):
    monkeypatch.setattr(PIL, "__version__", PIL.__version__ + ".post1")


@pytest.mark.parametrize("change", [changed_fonts, changed_drawing_code, changed_pillow], ids=["fonts", "drawing code", "Pillow"])
def test_every_pictures_url_changes_with_the_fonts_the_drawing_code_and_pillow(change, monkeypatch, tmp_path,
                                                                               content_dir, fresh_digest):
    content = load_content(content_dir)
    before = picture_urls(content)
    change(monkeypatch, tmp_path)
    pictures.code_digest.cache_clear()
    after = picture_urls(content)
    assert [name for name in before if after[name] == before[name]] == []
