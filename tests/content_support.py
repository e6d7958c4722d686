"""Editing a copy of data/ the way an owner's mistake would, and checking it as the owner does."""

import re


def break_field(path, pattern, replacement):
    """Replace the first line matching ``pattern`` (which must match) in the file at ``path``."""
    text = path.read_text()
    new = re.sub(pattern, replacement, text, count=1, flags=re.M)
    assert new != text
    path.write_text(new)


def check(app):
    """`flask content check` on the app's content, as the owner runs it (no app start-up in between)."""
    return app.test_cli_runner().invoke(args=["content", "check"])
