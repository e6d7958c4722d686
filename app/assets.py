"""Static files: read once, served from memory under content-hashed names.

``asset_url("css/site.css")`` gives ``/static/css/site.<hash>.css``; that name
changes whenever the file does, so browsers and CDNs may keep it for a year.
The plain name still works, with a short cache, for links that cannot know
the hash (the htmx licence, say).
"""

import hashlib
import mimetypes
from pathlib import Path

from flask import Blueprint, Flask, abort

from .responses import Encoded, encode, respond
from .site import current_site

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=300"

bp = Blueprint("assets", __name__)


def content_type_of(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "text/plain"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith(("javascript", "+xml")) else kind


class Assets:
    def __init__(self, folder: Path):
        self.hashed_names: dict[str, str] = {}
        # public name (hashed or plain) -> (file name, cache control)
        self.routes: dict[str, tuple[str, str]] = {}
        self.bodies: dict[str, tuple[bytes, str]] = {}  # file name -> (bytes, content type)
        self.encoded: dict[str, Encoded] = {}  # file name -> compressed on first request
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = path.relative_to(folder).as_posix()
            body = path.read_bytes()
            digest = hashlib.blake2b(body, digest_size=5).hexdigest()
            hashed = str(Path(name).with_name(f"{path.stem}.{digest}{path.suffix}"))
            self.hashed_names[name] = hashed
            self.bodies[name] = (body, content_type_of(path))
            self.routes[hashed] = (name, IMMUTABLE)
            self.routes[name] = (name, REVALIDATE)

    def url(self, name: str) -> str:
        return f"/static/{self.hashed_names[name]}"

    def find(self, public_name: str) -> tuple[Encoded, str, str] | None:
        route = self.routes.get(public_name)
        if route is None:
            return None
        name, cache_control = route
        body, kind = self.bodies[name]
        # Compressed once, on first use, so starting the app stays cheap.
        encoded = self.encoded.get(name) or self.encoded.setdefault(name, encode(body, kind))
        return encoded, kind, cache_control


@bp.get("/static/<path:name>")
def static_file(name: str):
    found = current_site().assets.find(name)
    if found is None:
        abort(404)
    return respond(*found)


def asset_url(name: str) -> str:
    return current_site().assets.url(name)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["asset_url"] = asset_url
