"""The owner's words, loaded from ``data/`` once per process."""

from pathlib import Path

from flask import Flask

from ..config import resolve_site_url, started_by_flask_cli

from .cli import content_cli
from .load import ContentError, load_content, tag_slug
from .model import Content, Project, Tag

__all__ = ["Content", "ContentError", "Project", "Tag", "init_app", "load_content", "tag_slug", "use_content"]


def use_content(app: Flask, content: Content) -> None:
    """Make ``content`` the site's: for the views, the templates and the canonical address."""
    app.extensions["content"] = content
    app.extensions["content_errors"] = ()
    settings = {"SITE_URL": app.extensions["site_url_setting"], "APP_ENV": app.config["APP_ENV"]}
    app.config["SITE_URL"] = resolve_site_url(settings, content.site.url)
    app.jinja_env.globals.update(content=content, site=content.site, site_url=app.config["SITE_URL"])


def init_app(app: Flask) -> None:
    """Read and validate data/ once, here, not per request.

    In production a mistake in data/ stops the server's start-up, before any
    visitor sees it. Otherwise the app starts anyway and every page lists the
    mistakes (app/development.py): `make run` recovers once the files are
    fixed, and `flask` commands (content check, messages) run in either.
    """
    app.extensions["site_url_setting"] = app.config["SITE_URL"]
    app.config["SITE_URL"] = app.config["SITE_URL"] or "http://127.0.0.1:5000"
    try:
        use_content(app, load_content(Path(app.config["CONTENT_DIR"])))
    except ContentError as error:
        if app.config["APP_ENV"] == "production" and not started_by_flask_cli():
            raise
        app.extensions["content_errors"] = tuple(error.errors)
    app.cli.add_command(content_cli)
