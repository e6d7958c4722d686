"""`flask messages export` and `backup`: copies of the messages, private as the database is."""

import csv
import io
import json
import os
import sqlite3
import sys

import click

from .. import storage
from .common import command, create_output, damage_warning, parse_date, shown, status_filter, warn_if_damaged, with_db

# A spreadsheet treats a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value  # shown as text, never evaluated
    return value


@command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "ndjson"]), required=True, help="Output format.")
@click.option("--output", type=click.Path(dir_okay=False), help="Write to this new file (mode 0600) instead of standard output.")
@click.option("--overwrite", is_flag=True, help="Replace the --output file if it exists (never through a symbolic link).")
@click.option("--no-bom", is_flag=True, help="CSV without the byte-order mark (Excel needs it to read UTF-8).")
@click.option("--since", help="Only messages received on or after this date (UTC), e.g. 2026-11-01.")
@click.option("--until", help="Only messages received before this date (UTC).")
@click.option("--status", type=click.Choice(storage.STATUSES), help="Only this status. Spam is exported only when asked for.")
@with_db
def export(db, fmt, output, overwrite, no_bom, since, until, status):
    """Export messages, oldest first, with their references, as CSV, JSON or NDJSON.

    CSV is UTF-8 with a byte-order mark (so Excel reads it right) and a header row, and
    any cell that a spreadsheet would run as a formula is prefixed with an apostrophe; to
    a terminal its control and invisible characters are escaped, as list shows them. JSON
    and NDJSON keep the text exactly.
    """
    since, until = parse_date(since, "--since"), parse_date(until, "--until")
    clause, args = status_filter(status, ("spam",))
    clauses = [clause]
    if since:
        clauses.append("created_at >= ?")
        args.append(since)
    if until:
        clauses.append("created_at < ?")
        args.append(until)
    damaged = warn_if_damaged(db)
    rows = db["messages"].rows_where(
        " AND ".join(clauses), args, order_by="created_at, id", select=", ".join(storage.COLUMNS)
    )

    # A CSV read in a terminal is read by the owner: it may not move the cursor or hide text.
    to_terminal = not output and sys.stdout.isatty()
    out = open(create_output(output, overwrite, "choose a new file name, or give --overwrite"), "w",
               encoding="utf-8", newline="") if output else io.TextIOWrapper(
        sys.stdout.buffer, encoding="utf-8", newline="", write_through=True
    )
    try:
        if fmt == "csv":
            if not no_bom and not to_terminal:
                out.write("\ufeff")
            writer = csv.writer(out)
            writer.writerow(storage.COLUMNS)
            for row in rows:
                cells = [csv_safe(row[c]) for c in storage.COLUMNS]
                writer.writerow([shown(c) if to_terminal and isinstance(c, str) else c for c in cells])
        elif fmt == "ndjson":
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            out.write(json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n")
    finally:
        if output:
            out.close()
        else:
            out.flush()
            out.detach()
    if damaged:
        raise SystemExit(1)

@command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_db
def backup(db, path):
    """Copy the database to PATH (a new file, readable by you only), safely while the server runs.

    It uses SQLite's online backup: the copy is consistent even while messages arrive.
    """
    damage = damage_warning(db)
    # Created 0600 before SQLite writes a byte: the copy holds the same personal data.
    os.close(create_output(path))
    target = sqlite3.connect(path)
    try:
        db.conn.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        count = target.execute("SELECT count(*) FROM messages").fetchone()[0]
    except sqlite3.Error as error:
        target.close()
        remove_partial(path)
        # The copy's own failure (a full disk, a disk error), not the source database's permissions.
        raise click.ClickException(f"could not write the copy to {path} ({error}); nothing was left there") from None
    finally:
        target.close()
    if damage:
        raise click.ClickException(
            f"{damage}. The copy at {path} ({count} message(s) readable) is damaged as well: it is not a good backup"
        )
    click.echo(f"Copied {count} message(s) to {path}.")


def remove_partial(path: str) -> None:
    for leftover in (path, path + "-journal", path + "-wal", path + "-shm"):
        try:
            os.unlink(leftover)
        except FileNotFoundError:
            pass
