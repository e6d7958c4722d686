"""What every `flask messages` command shares: the database, a message named by ID or
reference, dates, the owner's terminal, folding text, and private output files."""

import datetime
import functools
import os
import sqlite3

import click
from flask import current_app
from flask.cli import with_appcontext

from ... import files
from .. import erasure, references, storage
from ..forms import escape_invisible


def command(name: str):
    """A `flask messages` command, run inside the app (as AppGroup's own commands are)."""
    def decorate(function):
        return click.command(name)(with_appcontext(function))
    return decorate


def with_db(function):
    """Open the existing database, turning every expected failure into one clear line."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        path = storage.database_path(current_app)
        # On standard error, so an export to standard output stays exactly the file.
        unset = "" if current_app.config.get("DATABASE_PATH") else " (DATABASE_PATH is not set: the default)"
        click.echo(f"Database: {path}{unset}", err=True)
        db = None
        try:
            db = storage.open_existing(current_app)
            result = function(db, *args, **kwargs)
            erasure.finish(db)  # one a reader held up, if the server has not finished it yet
            return result
        except storage.DatabaseMissing as error:
            raise click.ClickException(str(error)) from None
        except sqlite3.Error as error:
            raise click.ClickException(
                f"cannot use the database at {path} ({error}): run this as the user the server runs as, "
                "who must be able to write the file and its folder"
            ) from None
        finally:
            if db is not None:
                db.conn.close()

    return wrapper


def shown(text: str | None, keep: str = "") -> str:
    """A visitor's text as it may reach the owner's terminal: controls and direction marks escaped."""
    return escape_invisible(text or "", keep=keep)


class MessageRef(click.ParamType):
    """A message's ID (a number) or the reference its sender was given (8 letters and digits)."""

    name = "ID_OR_REF"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        if text.isascii() and text.isdigit():  # "²".isdigit() is true too
            return int(text)
        # The owner types it as they read it: lower case is taken too.
        if reference := references.parse_reference(text, any_case=True):
            return reference
        self.fail(f"{value!r} is not a message ID (a number) or a reference (8 letters and digits, like ABCD2345)", param, ctx)


def get_message(db, ident: int | str) -> dict:
    row = None
    if isinstance(ident, str):
        row = next(db["messages"].rows_where("reference = ?", [ident], order_by="id"), None)
        if row is None:
            raise click.ClickException(f"no message with reference {ident}")
        return row
    if abs(ident) < 2**63:  # SQLite integers are 64-bit: a larger number is no ID, and would raise OverflowError
        row = next(db["messages"].rows_where("id = ?", [ident]), None)
    if row is None:
        raise click.ClickException(f"no message with ID {ident}")
    return row


def parse_date(value: str | None, option: str) -> str | None:
    """A date (2026-11-27) or a date and time, as the UTC ISO text stored in created_at."""
    if value is None:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-27 or 2026-11-27T09:30", param_hint=option)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc).isoformat(timespec="seconds")


def damage_warning(db) -> str | None:
    """SQLite's quick check: None when the database is sound, else what to tell the owner."""
    found = [row[0] for row in db.execute("PRAGMA quick_check(5)")]
    if found == ["ok"]:
        return None
    return (f"the database at {storage.database_path(current_app)} is DAMAGED (quick_check: {shown('; '.join(found))}): "
            "what is shown may be incomplete; keep a copy of the file and see the README, \"Reading the messages\"")


def warn_if_damaged(db) -> bool:
    warning = damage_warning(db)
    if warning:
        click.echo("WARNING: " + warning, err=True)
    return warning is not None



def fold(value):
    """Text in lower case by Python's rules, for any script; anything else (NULL, a number) as it is."""
    return value.lower() if isinstance(value, str) else value


def use_folding(db) -> None:
    """``py_lower()`` in this connection's SQL: SQLite's own lower() folds only ASCII,
    and names, messages and addresses may be in any script (Ünï@example.com)."""
    db.conn.create_function("py_lower", 1, fold, deterministic=True)


def status_filter(status: str | None, hidden: tuple[str, ...]) -> tuple[str, list]:
    """A WHERE clause and its arguments: only ``status`` when asked for, else every status but ``hidden``."""
    if status:
        return "status = ?", [status]
    return f"status NOT IN ({', '.join('?' for _ in hidden)})", list(hidden)


def create_output(path: str, overwrite: bool = False, instead: str = "choose a new file name"):
    """A descriptor for PATH, new (or, with ``overwrite``, replaced) and readable by the owner
    only (0600, like the database): app/files.py's open_private, its refusals in one line."""
    try:
        return files.open_private(path, overwrite)
    except FileExistsError:
        raise click.ClickException(f"{path} already exists: {instead}") from None
    except OSError as error:
        if os.path.islink(path):
            raise click.ClickException(f"{path} is a symbolic link: give the real file's name") from None
        if error.strerror is None:  # open_private's own refusal: a device or a pipe, say
            raise click.ClickException(f"{path} is not a regular file") from None
        raise click.ClickException(f"cannot create {path}: {error.strerror}") from None
