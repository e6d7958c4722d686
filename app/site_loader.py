"""Reads the site's files into one ``Site`` (app/site.py): at start-up, and
under `make run` after every edit (app/development.py).

In production a mistake in data/ stops the server's start-up, before any
visitor sees it. Otherwise the app starts anyway and every page lists the
mistakes (app/development.py): `make run` recovers once the files are fixed,
and `flask` commands (content check, messages) run in either.
"""

from pathlib import Path

from flask import Flask

from .assets import Assets
from .config import ROOT, resolve_site_url, started_by_flask_cli
from .content import ContentError, load_content
from .cv import Exports
from .pictures import Pictures
from .site import Site, template_context, use_site


def load_site(app: Flask, url_setting: str) -> Site:
    """A complete new site from the files as they are now; raises ContentError when data/ is invalid.

    Nothing is drawn or rendered here: pictures, pages and the PDF are made on first use."""
    content = load_content(Path(app.config["CONTENT_DIR"]))
    url = resolve_site_url({"SITE_URL": url_setting, "APP_ENV": app.config["APP_ENV"]}, content.site.url)
    return Site(content=content, errors=(), url=url, url_setting=url_setting, assets=Assets(ROOT / "static"),
                pictures=Pictures(content), exports=Exports())


def init_app(app: Flask) -> None:
    url_setting = app.config["SITE_URL"]
    try:
        site = load_site(app, url_setting)
    except ContentError as error:
        if app.config["APP_ENV"] == "production" and not started_by_flask_cli():
            raise
        site = Site(content=None, errors=tuple(error.errors), url=url_setting or "http://127.0.0.1:5000",
                    url_setting=url_setting, assets=Assets(ROOT / "static"), pictures=None, exports=None)
    use_site(app, site)
    app.context_processor(template_context)
