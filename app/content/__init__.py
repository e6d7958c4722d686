"""The owner's words, loaded from ``data/``: read once per process, into the
loaded site (app/site_loader.py)."""

from flask import Flask

from .cli import content_cli
from .load import ContentError, load_content
from .model import Content, Project, Tag
from .tags import tag_slug

__all__ = ["Content", "ContentError", "Project", "Tag", "init_app", "load_content", "tag_slug"]


def init_app(app: Flask) -> None:
    app.cli.add_command(content_cli)
