"""The pictures the site draws from its content: link previews and icons,
with the favicon and the web manifest that names the icons.

GET /social/<name>.<hash>.png   a 1200×630 preview: "home", or a project's slug
GET /icons/<size>.<hash>.png    the site's icon, for the manifest and iOS
GET /favicon.ico, /apple-touch-icon.png, /site.webmanifest   at the fixed
    addresses browsers and crawlers ask for without reading the page

Each picture is drawn once per process, the first time it is asked for, and
kept. Its URL hash is computed from everything that decides its pixels (the
text, the fonts, the drawing code, Pillow's version), so every worker names
it the same without drawing it first, and the URL changes whenever the
picture would: the hashed URLs are served as immutable.
"""

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import PIL
from flask import Blueprint, Flask, abort

from ..assets import IMMUTABLE, REVALIDATE
from ..content import Content
from ..responses import Encoded, encode, respond
from ..site import current_site
from . import draw

bp = Blueprint("pictures", __name__)

APPLE_TOUCH_SIZE = 180
ICON_SIZES = (APPLE_TOUCH_SIZE, 192, 512)
MANIFEST_ICONS = (192, 512)
# Drawn pictures are the same in every process, so they are kept process-wide:
# a test suite that creates many apps draws each picture once.
_drawn: dict[str, Encoded] = {}


@functools.cache  # the fonts and draw.py do not change while the process runs
def code_digest() -> bytes:
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(PIL.__version__.encode())
    for path in [Path(draw.__file__), *sorted(draw.FONTS.glob("*.otf"))]:
        hasher.update(path.read_bytes())
    return hasher.digest()


@dataclass(frozen=True)
class Picture:
    name: str
    alt: str
    width: int
    height: int
    painter: str  # a function in draw.py
    arguments: tuple
    key: str  # hash of everything that decides the pixels

    def body(self) -> Encoded:
        if self.key not in _drawn:
            _drawn[self.key] = encode(getattr(draw, self.painter)(*self.arguments), "image/png")
        return _drawn[self.key]


class Pictures:
    def __init__(self, content: Content):
        site, digest = content.site, code_digest()

        def picture(name, alt, size, painter, *arguments):
            key = hashlib.blake2b(repr((painter, arguments)).encode(), digest_size=6, key=digest).hexdigest()
            return Picture(name, alt, *size, painter, arguments, key)

        self.previews = {
            "home": picture("home", f"{site.name}, {site.role}: {site.hero_title}", draw.PREVIEW_SIZE,
                            "home_preview", site.name, site.role, site.hero_title, site.hero_lead),
        }
        for project in content.projects:
            stack = tuple(tag.name for tag in project.stack)
            self.previews[project.slug] = picture(
                project.slug, f"{project.title}, a case study by {site.name}. Built with {', '.join(stack)}.",
                draw.PREVIEW_SIZE, "case_study_preview", site.name, site.role, project.number, project.title, stack,
            )
        self.icons = {
            size: picture(str(size), site.name, (size, size), "icon_png", size, size != APPLE_TOUCH_SIZE) for size in ICON_SIZES
        }
        self.favicon = picture("favicon", site.name, (48, 48), "favicon_ico")
        self.manifest = encode(json.dumps({
            "name": f"{site.name} — {site.role}",
            "short_name": site.name,
            "description": site.description,
            "start_url": "/",
            "display": "browser",
            # The light scheme's page colour and accent, as in static/css/site.css.
            "background_color": "#f7f7f4",
            "theme_color": "#0a6e64",
            "icons": [
                {"src": self.icon_url(size), "sizes": f"{size}x{size}", "type": "image/png"} for size in MANIFEST_ICONS
            ],
        }, ensure_ascii=False, indent=1).encode(), "application/manifest+json")

    def preview(self, name: str) -> dict:
        """What a page's head needs for its link preview."""
        picture = self.previews[name]
        url = f"/social/{picture.name}.{picture.key}.png"
        return {"url": url, "width": picture.width, "height": picture.height, "alt": picture.alt}

    def icon_url(self, size: int) -> str:
        return f"/icons/{size}.{self.icons[size].key}.png"


def pictures() -> Pictures:
    return current_site().pictures


def hashed(found: Picture | None, key: str) -> Picture:
    if found is None or found.key != key:
        abort(404)
    return found


@bp.get("/social/<name>.<key>.png")
def preview(name: str, key: str):
    return respond(hashed(pictures().previews.get(name), key).body(), "image/png", IMMUTABLE)


@bp.get("/icons/<int:size>.<key>.png")
def icon(size: int, key: str):
    return respond(hashed(pictures().icons.get(size), key).body(), "image/png", IMMUTABLE)


@bp.get("/apple-touch-icon.png")
def apple_touch_icon():
    return respond(pictures().icons[APPLE_TOUCH_SIZE].body(), "image/png", REVALIDATE)


@bp.get("/favicon.ico")
def favicon():
    return respond(pictures().favicon.body(), "image/vnd.microsoft.icon", REVALIDATE)


@bp.get("/site.webmanifest")
def manifest():
    return respond(pictures().manifest, "application/manifest+json", REVALIDATE)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        social_preview=lambda name: pictures().preview(name),
        icon_url=lambda size: pictures().icon_url(size),
    )
