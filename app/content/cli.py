"""``flask content check``: is data/ valid, and what is still the owner's to fill in?"""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .load import ContentError, load_content

content_cli = AppGroup("content", help="Work with the site's content in data/.")


@content_cli.command("check")
def check() -> None:
    """Validate data/ and list what is still the owner's to fill in.

    Prints "Content errors:" and every error, and exits 1, when the content is
    not valid; exits 0 when it is (even with gaps). Reads the files afresh, so
    it sees edits made since start-up.
    """
    data_dir = Path(current_app.config["CONTENT_DIR"])
    try:
        content = load_content(data_dir)
    except ContentError as error:
        click.echo("Content errors:", err=True)
        for line in error.errors:
            click.echo(f"  - {line}", err=True)
        raise SystemExit(1)
    click.echo(f"No content errors in {data_dir} ({len(content.projects)} projects, {len(content.tags)} technologies).")
    if content.missing:
        click.echo("Still the owner's to fill in:")
        for line in content.missing:
            click.echo(f"  - {line}")
