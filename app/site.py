"""The loaded site: one value holding everything made from the site's files.

Content, static files and the pictures drawn from them only change with a
deploy, so they are read once (app/site_loader.py) into a ``Site``, together
with the caches of what is made from them on first use (rendered pages, the
CV's exports). Under `make run` an edit builds a whole new ``Site`` and swaps
it in with one assignment (app/development.py): a request sees the old site or
the new one, never new content with old pictures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Flask, current_app, g

if TYPE_CHECKING:
    from .assets import Assets
    from .content import Content
    from .cv import Exports
    from .pictures import Pictures

EXTENSION = "site"


@dataclass(frozen=True)
class Site:
    # None only in development (or a `flask` command) while data/ has errors from the start.
    content: Content | None
    # What is wrong with data/ now, in the words of `flask content check`; () when valid.
    errors: tuple[str, ...]
    url: str  # the public address: SITE_URL, else the content's identity.url
    url_setting: str  # SITE_URL as set (may be ""), kept so a reload resolves the address the same way
    assets: Assets
    pictures: Pictures | None
    exports: Exports | None
    # Rendered pages and fragments (app/rendering.py). A new site starts with a new dict, not a
    # cleared one: a render in flight writes its page into the old site's.
    rendered: dict = field(default_factory=dict)


def current_site() -> Site:
    """The site this request sees: the one loaded when the request first asked, even if
    `make run` swaps in another meanwhile, so one response never mixes two sites."""
    site = g.get("site")
    if site is None:
        site = g.site = current_app.extensions[EXTENSION]
    return site


def site_of(app: Flask) -> Site:
    """The app's site now, outside a request."""
    return app.extensions[EXTENSION]


def use_site(app: Flask, site: Site) -> None:
    """Make ``site`` the app's, whole, in one assignment."""
    app.extensions[EXTENSION] = site


def template_context() -> dict:
    """What every template reads from the site, all from the one this request sees."""
    site = current_site()
    return {
        "content": site.content,
        "site": site.content.site if site.content else None,
        "site_url": site.url,
    }
