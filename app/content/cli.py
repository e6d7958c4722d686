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

    Exits 0 when the content is valid (even with gaps), 1 with every error
    when it is not. Reads the files afresh, so it sees edits made since start-up.
    """
    data_dir = Path(current_app.config["CONTENT_DIR"])
    try:
        content = load_content(data_dir)
    except ContentError as error:
        click.echo(f"{data_dir}: {len(error.errors)} error(s):", err=True)
        for line in error.errors:
            click.echo(f"  - {line}", err=True)
        raise SystemExit(1)
    click.echo(f"{data_dir}: valid ({len(content.projects)} projects, {len(content.tags)} technologies).")
    if content.missing:
        click.echo("Still the owner's to fill in:")
        for line in content.missing:
            click.echo(f"  - {line}")
