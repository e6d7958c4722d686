"""The owner's words, loaded from ``data/`` once per process."""

from .load import ContentError, load_content, tag_slug
from .model import Content, Project, Tag

__all__ = ["Content", "ContentError", "Project", "Tag", "load_content", "tag_slug"]
