"""`flask messages`: the owner lists, reads, exports and tidies the contact messages."""

import csv
import datetime
import io
import itertools
import json
import os
import time

import pytest

from app.contact import references, storage
from app.contact.cli.common import fold, use_folding
from tests.apps import rows
from tests.processes import free_port

COLUMNS = ["id", "reference", "created_at", "name", "email", "company", "message", "status"]
COMMANDS = ["list", "show", "export", "mark", "delete", "purge", "forget", "notifications", "notify", "backup"]

# Text a visitor may send that must reach the owner's files exactly as written.
HOSTILE = [
    "=cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "<script>alert(1)</script>",
    "Ünïcødé 😀 中文",
    "first line\nsecond line\twith a tab",
    "+441234567890",
    "-2+3",
    "@SUM(A1:A2)",
    "\tstarts with a tab",
    "\rstarts with a carriage return",
    "line\u2028separator and \"quotes\", commas; 'apostrophes' \\ backslash",
]


def ago(**delta) -> str:
    """A created_at value, as stored: UTC ISO 8601 to the second."""
    moment = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(**delta)
    return moment.isoformat(timespec="seconds")


@pytest.fixture
def add(app):
    """Store a message as the contact form does, then set when it was received."""
    keys = itertools.count(1)

    def add(
        message="Hello, I would like to talk about a backend role.",
        *,
        name="Ada Lovelace",
        email="ada@example.com",
        company="Analytical Engines",
        status="new",
        created_at="2026-11-01T09:00:00+00:00",
    ) -> int:
        with app.app_context():
            db = storage.connect(storage.database_path(app))
            try:
                stored = storage.store_message(
                    db,
                    {"name": name, "email": email, "company": company, "message": message},
                    submission_key=f"k{next(keys):022d}",
                    ip_hash="x",
                    user_agent="ua",
                    status=status,
                    rate_limit=None,
                )
                db.execute("UPDATE messages SET created_at = ? WHERE id = ?", [created_at, stored.id])
            finally:
                db.conn.close()
        return stored.id

    return add


def stored(app) -> dict[int, dict]:
    """What is in the database now, by ID."""
    db = storage.connect(storage.database_path(app))
    try:
        return {row["id"]: row for row in db["messages"].rows}
    finally:
        db.conn.close()


def invoke(runner, *args, **kwargs):
    return runner.invoke(args=["messages", *args], **kwargs)


def stdout(result) -> str:
    # result.output turns \r\n into \n; exports are checked byte for byte.
    assert result.exit_code == 0, result.stdout
    return result.stdout_bytes.decode("utf-8")


def export(runner, fmt, *args) -> str:
    return stdout(invoke(runner, "export", "--format", fmt, *args))


def export_json(runner, *args) -> list[dict]:
    return json.loads(export(runner, "json", *args))


def parse_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # the byte-order mark Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def listed_ids(result) -> list[int]:
    assert result.exit_code == 0, result.stdout
    lines = result.stdout.splitlines()
    assert lines[0].endswith("unread.") or "suspect" in lines[0]  # the count above the table
    assert lines[1].split()[:3] == ["ID", "REFERENCE", "RECEIVED"]
    # Each message is two lines: its particulars, then the start of its text, indented.
    return [int(line.split()[0]) for line in lines[2:] if not line.startswith("       ")]


def error_line(result) -> str:
    """A handled failure: non-zero exit, no traceback, one line saying what is wrong."""
    assert result.exit_code != 0, result.stdout
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


# --- list --------------------------------------------------------------------------


def test_list_shows_newest_first_as_a_table(runner, add):
    middle = add(created_at="2026-11-02T09:00:00+00:00")
    oldest = add(created_at="2026-11-01T09:00:00+00:00")
    newest = add(created_at="2026-11-03T09:00:00+00:00")
    result = invoke(runner, "list")
    assert listed_ids(result) == [newest, middle, oldest]


def test_list_breaks_a_tie_in_time_by_newest_id(runner, add):
    first, second = add(), add()
    assert listed_ids(invoke(runner, "list")) == [second, first]


def test_list_row_shows_reference_when_who_status_then_the_message_on_one_line(runner, app, add):
    message = add("Hi Harsh,\n\nWe are hiring\tfor Rust.", created_at="2026-11-05T14:30:09+00:00")
    lines = invoke(runner, "list").stdout.splitlines()
    assert len(lines) == 4
    row, text = lines[2], lines[3]
    assert f" {stored(app)[message]['reference']} " in row
    assert "2026-11-05 14:30" in row
    assert " new " in row
    assert row.endswith("Ada Lovelace <ada@example.com>")
    assert text == "       Hi Harsh, We are hiring for Rust."


def test_list_shows_whole_addresses_and_cuts_messages_but_keeps_their_start(runner, add):
    # A long address or link is one "word"; it must not shrink to a bare ellipsis.
    address = "recruiting.team.for.platform.engineering@example.com"
    link = "https://jobs.example.com/" + "x" * 80
    add(link + " please apply", name="Grace", email=address)
    row, text = invoke(runner, "list").stdout.splitlines()[2:4]
    assert row.endswith(f"Grace <{address}>")  # the whole address, always
    assert "https://jobs.example.com/xxx" in text
    assert text.endswith("…") and len(text) == 80  # as wide as the terminal
    assert "please apply" not in text


@pytest.mark.parametrize("limit, expected", [("1", 1), ("2", 2), ("10", 3)])
def test_list_limit_keeps_the_newest(runner, add, limit, expected):
    ids = [add(created_at=f"2026-11-0{day}T09:00:00+00:00") for day in (1, 2, 3)]
    assert listed_ids(invoke(runner, "list", "--limit", limit)) == ids[::-1][:expected]


def test_list_never_mixes_in_spam(runner, add):
    kept = add(status="new")
    read = add(status="read")
    spam = add("Buy cheap followers now!!", status="spam")
    assert sorted(listed_ids(invoke(runner, "list"))) == [kept, read]
    assert listed_ids(invoke(runner, "list", "--status", "spam")) == [spam]


@pytest.mark.parametrize("status", ["new", "read", "spam"])
def test_list_status_shows_only_that_status(runner, add, status):
    ids = {s: add(status=s) for s in ("new", "read", "spam")}
    assert listed_ids(invoke(runner, "list", "--status", status)) == [ids[status]]


def test_list_with_nothing_to_show_says_so(runner, add):
    add(status="spam")
    result = invoke(runner, "list")
    assert result.exit_code == 0
    assert result.stdout == "No messages.\n"


def test_list_does_not_mark_messages_read(runner, app, add):
    message = add()
    invoke(runner, "list")
    assert stored(app)[message]["status"] == "new"


@pytest.mark.parametrize("args", [["--limit", "0"], ["--limit", "many"], ["--status", "done"]])
def test_list_rejects_bad_options(runner, add, args):
    add()
    result = invoke(runner, "list", *args)
    assert result.exit_code != 0
    assert "Error: Invalid value for" in error_line(result)


# --- show --------------------------------------------------------------------------


def test_show_prints_the_whole_message_and_marks_it_read(runner, app, add):
    text = "Hi Harsh,\n\nWe build exchanges.\n\tWould you talk to us?"
    message = add(text, name="Grace Hopper", email="grace@example.com", company="Navy",
                  created_at="2026-11-05T14:30:09+00:00")
    result = invoke(runner, "show", str(message))
    assert result.exit_code == 0, result.stdout
    assert f"Message {message} " in result.stdout
    assert "2026-11-05T14:30:09+00:00" in result.stdout
    assert "Grace Hopper <grace@example.com>" in result.stdout
    assert "Company:  Navy" in result.stdout
    assert text in result.stdout
    assert stored(app)[message]["status"] == "read"
    assert result.stdout.splitlines()[0].endswith(" · read (was new)")  # the status it leaves, and what it was


def test_show_quotes_the_reference_the_sender_was_given(runner, app, add):
    message = add()
    key = stored(app)[message]["submission_key"]
    assert references.reference_for(key) in invoke(runner, "show", str(message)).stdout


@pytest.mark.parametrize("status", ["read", "spam"])
def test_show_leaves_read_and_spam_as_they_are(runner, app, add, status):
    message = add(status=status)
    assert invoke(runner, "show", str(message)).exit_code == 0
    assert stored(app)[message]["status"] == status


def test_show_leaves_other_messages_unread(runner, app, add):
    shown, other = add(), add()
    invoke(runner, "show", str(shown))
    assert stored(app)[other]["status"] == "new"


# --- export ------------------------------------------------------------------------


def test_export_json_is_a_list_of_objects_with_exactly_the_public_keys(runner, add):
    add()
    records = export_json(runner)
    assert len(records) == 1
    assert sorted(records[0]) == sorted(COLUMNS)  # no submission key, IP hash or user agent
    assert records[0]["name"] == "Ada Lovelace"
    assert records[0]["created_at"] == "2026-11-01T09:00:00+00:00"


def test_export_is_oldest_first(runner, add):
    later = add(created_at="2026-11-03T09:00:00+00:00")
    earlier = add(created_at="2026-11-01T09:00:00+00:00")
    assert [r["id"] for r in export_json(runner)] == [earlier, later]


@pytest.mark.parametrize("text", HOSTILE)
def test_export_json_keeps_the_exact_text(runner, add, text):
    add(text, name=text, company=text, email="ünï@例え.jp")
    [record] = export_json(runner)
    assert record["message"] == record["name"] == record["company"] == text
    assert record["email"] == "ünï@例え.jp"


@pytest.mark.parametrize("text", HOSTILE)
def test_export_ndjson_keeps_the_exact_text_one_record_per_line(runner, add, text):
    first = add(text, name=text, company=text)
    second = add("A plain second message.")
    output = export(runner, "ndjson")
    assert output.endswith("\n")
    lines = output[:-1].split("\n")
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == [first, second]
    assert records[0]["message"] == records[0]["name"] == records[0]["company"] == text
    assert all(sorted(r) == sorted(COLUMNS) for r in records)


def test_export_json_and_ndjson_hold_the_same_records(runner, add):
    for text in HOSTILE:
        add(text)
    as_json = export_json(runner)
    # NDJSON lines end at "\n" only: str.splitlines() would also split at the raw U+2028 JSON allows.
    as_ndjson = [json.loads(line) for line in export(runner, "ndjson").split("\n")[:-1]]
    assert len(as_json) == len(HOSTILE)
    assert as_ndjson == as_json


def test_export_csv_has_a_header_and_untouched_ordinary_cells(runner, app, add):
    message = add("Salary = negotiable; start -> January", company="")
    rows = parse_csv(export(runner, "csv"))
    assert rows == [
        COLUMNS,
        [str(message), stored(app)[message]["reference"], "2026-11-01T09:00:00+00:00", "Ada Lovelace", "ada@example.com", "",
         "Salary = negotiable; start -> January", "new"],
    ]


@pytest.mark.parametrize("text", [t for t in HOSTILE if t.startswith(("=", "+", "-", "@", "\t", "\r"))])
def test_export_csv_neutralises_cells_a_spreadsheet_would_run(runner, add, text):
    add(text, name=text, company=text, email=text[0] + "x@example.com")
    [header, row] = parse_csv(export(runner, "csv"))
    cells = dict(zip(header, row))
    assert cells["message"] == cells["name"] == cells["company"] == "'" + text
    assert cells["email"] == "'" + text[0] + "x@example.com"
    assert cells["status"] == "new"


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "Ünïcødé 😀 中文", "first line\nsecond line\twith a tab",
                                  "a=b", " =not first", "'already quoted"])
def test_export_csv_keeps_other_text_exactly(runner, add, text):
    add(text, name=text)
    [_, row] = parse_csv(export(runner, "csv"))
    assert row[COLUMNS.index("message")] == row[COLUMNS.index("name")] == text


def test_export_csv_is_utf8(runner, add):
    add("Ünïcødé 😀 中文")
    result = invoke(runner, "export", "--format", "csv")
    assert "Ünïcødé 😀 中文".encode("utf-8") in result.stdout_bytes


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_export_output_writes_the_file_stdout_would_get(runner, add, tmp_path, fmt):
    for text in HOSTILE:
        add(text, name=text)
    expected = invoke(runner, "export", "--format", fmt).stdout_bytes
    target = tmp_path / f"messages.{fmt}"
    result = invoke(runner, "export", "--format", fmt, "--output", str(target))
    assert result.exit_code == 0, result.stdout
    assert result.stdout_bytes == b""
    assert target.read_bytes() == expected
    assert "Ünïcødé".encode("utf-8") in expected


def test_export_leaves_spam_out_unless_asked(runner, add):
    kept = add(status="new")
    read = add(status="read")
    spam = add(status="spam")
    assert [r["id"] for r in export_json(runner)] == [kept, read]
    assert [r["id"] for r in export_json(runner, "--status", "spam")] == [spam]
    assert [r["id"] for r in export_json(runner, "--status", "read")] == [read]
    assert len(parse_csv(export(runner, "csv"))) == 3  # header and the two that are not spam


@pytest.fixture
def around_november(add):
    """Messages at and either side of the day boundaries of 1 and 2 November."""
    times = [
        "2026-10-31T23:59:59+00:00",
        "2026-11-01T00:00:00+00:00",
        "2026-11-01T12:00:00+00:00",
        "2026-11-01T23:59:59+00:00",
        "2026-11-02T00:00:00+00:00",
    ]
    return {t: add(created_at=t) for t in times}


def exported_times(runner, *args) -> list[str]:
    return [r["created_at"] for r in export_json(runner, *args)]


def test_export_since_is_inclusive(runner, around_november):
    assert exported_times(runner, "--since", "2026-11-01") == [
        "2026-11-01T00:00:00+00:00", "2026-11-01T12:00:00+00:00",
        "2026-11-01T23:59:59+00:00", "2026-11-02T00:00:00+00:00",
    ]


def test_export_until_is_exclusive(runner, around_november):
    assert exported_times(runner, "--until", "2026-11-01") == ["2026-10-31T23:59:59+00:00"]


def test_export_since_and_until_select_one_whole_day(runner, around_november):
    assert exported_times(runner, "--since", "2026-11-01", "--until", "2026-11-02") == [
        "2026-11-01T00:00:00+00:00", "2026-11-01T12:00:00+00:00", "2026-11-01T23:59:59+00:00",
    ]


@pytest.mark.parametrize("since", ["2026-11-01T12:00", "2026-11-01T12:00:00Z", "2026-11-01T14:00:00+02:00"])
def test_export_since_takes_a_time_and_converts_it_to_utc(runner, around_november, since):
    assert exported_times(runner, "--since", since) == [
        "2026-11-01T12:00:00+00:00", "2026-11-01T23:59:59+00:00", "2026-11-02T00:00:00+00:00",
    ]


@pytest.fixture
def clock_not_on_utc():
    """The owner's machine keeps Indian time (UTC+5:30)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "IST-05:30"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_export_dates_without_a_zone_are_utc_whatever_the_local_clock(runner, around_november, clock_not_on_utc):
    assert exported_times(runner, "--since", "2026-11-01T12:00", "--until", "2026-11-02") == [
        "2026-11-01T12:00:00+00:00", "2026-11-01T23:59:59+00:00",
    ]


def test_export_until_at_a_message_time_leaves_that_message_out(runner, around_november):
    assert exported_times(runner, "--since", "2026-11-01", "--until", "2026-11-01T12:00") == [
        "2026-11-01T00:00:00+00:00",
    ]


def test_export_dates_and_status_combine(runner, add):
    add(status="spam", created_at="2026-11-01T09:00:00+00:00")
    wanted = add(status="spam", created_at="2026-11-05T09:00:00+00:00")
    add(status="new", created_at="2026-11-05T09:00:00+00:00")
    assert [r["id"] for r in export_json(runner, "--status", "spam", "--since", "2026-11-02")] == [wanted]


@pytest.mark.parametrize("fmt, expected", [("json", "[]\n"), ("ndjson", ""), ("csv", "\ufeff" + ",".join(COLUMNS) + "\r\n")])
def test_export_of_nothing_is_still_valid(runner, add, fmt, expected):
    add(created_at="2026-11-01T09:00:00+00:00")
    assert export(runner, fmt, "--since", "2027-01-01") == expected


def test_export_needs_a_format(runner, add):
    add()
    result = invoke(runner, "export")
    assert "Missing option '--format'" in error_line(result)


# --- mark, delete ------------------------------------------------------------------


@pytest.mark.parametrize("before, flag, after", [
    ("new", "--read", "read"),
    ("read", "--unread", "new"),
    ("new", "--spam", "spam"),
    ("read", "--spam", "spam"),
    ("spam", "--not-spam", "new"),
])
def test_mark_sets_the_status(runner, app, add, before, flag, after):
    message, other = add(status=before), add(status=before)
    result = invoke(runner, "mark", str(message), flag)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines()[0] == f"Message {message} is now {after}."
    assert stored(app)[message]["status"] == after
    assert stored(app)[other]["status"] == before


def test_marked_spam_leaves_the_list_and_export_and_not_spam_brings_it_back(runner, add):
    message = add()
    invoke(runner, "mark", str(message), "--spam")
    assert invoke(runner, "list").stdout == "No messages.\n"
    assert export_json(runner) == []
    invoke(runner, "mark", str(message), "--not-spam")
    assert listed_ids(invoke(runner, "list")) == [message]


def test_mark_without_a_flag_changes_nothing(runner, app, add):
    message = add()
    result = invoke(runner, "mark", str(message))
    assert "--read, --unread, --replied, --archived, --suspect, --spam or --not-spam" in error_line(result)
    assert stored(app)[message]["status"] == "new"


def test_delete_removes_only_that_message(runner, app, add):
    gone, kept = add(), add()
    result = invoke(runner, "delete", str(gone))
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith(f"Erased 1 message(s) (message {gone}).\n")
    assert list(stored(app)) == [kept]


# --- purge -------------------------------------------------------------------------


def test_purge_deletes_just_older_and_keeps_just_newer(runner, app, add):
    old = add(created_at=ago(days=30, minutes=1))
    old_spam = add(status="spam", created_at=ago(days=400))
    recent = add(created_at=ago(days=29, hours=23, minutes=59))
    result = invoke(runner, "purge", "--older-than", "30", "--yes")
    assert result.exit_code == 0, result.stdout
    assert "Erased 2 message(s) (older than 30 days)." in result.stdout
    assert old not in stored(app) and old_spam not in stored(app)
    assert list(stored(app)) == [recent]


def test_purge_asks_first_and_no_deletes_nothing(runner, app, add):
    ids = [add(created_at=ago(days=90)), add(created_at=ago(days=1))]
    result = invoke(runner, "purge", "--older-than", "30", input="n\n")
    assert "Delete 1 message(s) older than 30 days?" in result.stdout
    assert result.exit_code != 0  # aborted
    assert list(stored(app)) == ids


def test_purge_asks_first_and_yes_deletes(runner, app, add):
    old, recent = add(created_at=ago(days=90)), add(created_at=ago(days=1))
    result = invoke(runner, "purge", "--older-than", "30", input="y\n")
    assert result.exit_code == 0, result.stdout
    assert "Delete 1 message(s) older than 30 days?" in result.stdout
    assert list(stored(app)) == [recent]
    assert old not in stored(app)


def test_purge_with_nothing_old_enough_asks_nothing(runner, app, add):
    message = add(created_at=ago(days=1))
    result = invoke(runner, "purge", "--older-than", "30")
    assert result.exit_code == 0, result.stdout
    assert result.stdout == "No messages older than 30 days.\n"
    assert list(stored(app)) == [message]


@pytest.mark.parametrize("args", [[], ["--older-than", "-1"], ["--older-than", "a month"]])
def test_purge_needs_a_sensible_age(runner, app, add, args):
    message = add(created_at=ago(days=400))
    error_line(invoke(runner, "purge", "--yes", *args))
    assert list(stored(app)) == [message]


# --- forget ------------------------------------------------------------------------


@pytest.mark.parametrize("stored_as, asked_for", [
    ("ada@example.com", "ada@example.com"),
    ("Ada@Example.COM", "ada@example.com"),
    ("ada@example.com", "ADA@EXAMPLE.COM"),
    ("ada@example.com", "  ada@example.com "),
    ("Ünï@Example.com", "üNÏ@example.com"),
])
def test_forget_erases_every_message_from_the_address_in_any_case(runner, app, add, stored_as, asked_for):
    add("First.", email=stored_as)
    add("Second.", email=stored_as.swapcase(), status="spam")
    others = [add(email="grace@example.com"), add(email="notada@example.com"), add(email="ada@example.org")]
    result = invoke(runner, "forget", asked_for)
    assert result.exit_code == 0, result.stdout
    assert "Erased 2 message(s)" in result.stdout
    assert list(stored(app)) == others


def test_forget_an_unknown_address_erases_nothing(runner, app, add):
    message = add()
    result = invoke(runner, "forget", "nobody@example.com")
    assert result.exit_code == 0, result.stdout
    assert result.stdout == "Erased nothing: no from nobody@example.com.\n"
    assert list(stored(app)) == [message]


# --- errors ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["show"], ["mark", "--read"], ["delete"]])
@pytest.mark.parametrize("message_id", ["42", "0", "99999999999999999999"])
def test_unknown_id_is_one_clear_error(runner, app, add, command, message_id):
    existing = add()
    result = invoke(runner, command[0], message_id, *command[1:])
    assert error_line(result) == f"Error: no message with ID {message_id}"
    assert result.stdout == "" and result.stderr.splitlines()[-1] == f"Error: no message with ID {message_id}"
    assert stored(app)[existing]["status"] == "new"


@pytest.mark.parametrize("command", [["show"], ["mark", "--read"], ["delete"]])
def test_an_id_must_be_a_number(runner, add, command):
    add()
    for not_an_id in ("first", "²"):  # "²".isdigit() is true, int("²") is not
        result = invoke(runner, command[0], not_an_id, *command[1:])
        assert result.exit_code == 2
        assert f"{not_an_id!r} is not a message ID (a number) or a reference" in error_line(result)


@pytest.mark.parametrize("option", ["--since", "--until"])
@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "01/11/2026", "2026-11-31", ""])
def test_a_bad_date_is_one_clear_error(runner, add, tmp_path, option, value):
    add()
    target = tmp_path / "out.json"
    result = invoke(runner, "export", "--format", "json", option, value, "--output", str(target))
    line = error_line(result)
    assert option in line
    assert f"{value!r} is not a date like 2026-11-27" in line
    assert not target.exists()


@pytest.mark.parametrize("args", [
    ["list"],
    ["show", "1"],
    ["export", "--format", "csv"],
    ["export", "--format", "json", "--since", "2026-11-01"],
    ["mark", "1", "--spam"],
    ["delete", "1"],
    ["purge", "--older-than", "30", "--yes"],
    ["forget", "ada@example.com"],
])
def test_a_missing_database_is_one_clear_error_and_is_not_created(runner, app, tmp_path, args):
    missing = tmp_path / "not-yet" / "messages.db"
    app.config["DATABASE_PATH"] = str(missing)
    result = invoke(runner, *args)
    assert error_line(result).startswith(f"Error: no database at {missing} yet")
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 2  # the database named, the error
    assert not missing.exists()
    assert not missing.parent.exists()


# --- help --------------------------------------------------------------------------


def test_help_lists_every_command(runner):
    result = invoke(runner, "--help")
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:")[1]
    listed = [line.split()[0] for line in commands.strip().splitlines()]
    assert sorted(listed) == sorted(COMMANDS)


@pytest.mark.parametrize("command, expected", [
    ("list", ["newest first", "--status", "--limit", "spam"]),
    ("show", ["in full", "read", "reference"]),
    ("export", ["CSV", "JSON", "NDJSON", "--format", "--output", "--since", "--until", "--status", "apostrophe"]),
    ("mark", ["--read", "--unread", "--suspect", "--spam", "--not-spam", "exactly one"]),
    ("delete", ["Delete one message", "reference"]),
    ("list", ["--search", "unread", "? mark"]),
    ("notifications", ["pending", "sent", "failed", "last error", "masked"]),
    ("notify", ["--test", "--retry", "exit 1"]),
    ("backup", ["PATH", "while the server runs", "you only"]),
    ("purge", ["--older-than", "--yes", "days"]),
    ("forget", ["EMAIL", "letter case"]),
])
def test_each_command_documents_itself(runner, command, expected):
    result = invoke(runner, command, "--help")
    assert result.exit_code == 0, result.stdout
    words = " ".join(result.stdout.split())  # as read, whatever the line wrapping
    for text in expected:
        assert text in words, text


# --- references, search, unread count, suspects --------------------------------------


def test_show_finds_a_message_by_the_reference_the_sender_was_given(runner, app, add):
    add("Another one.")
    message = add("The one the sender asks about.")
    reference = stored(app)[message]["reference"]
    for asked in (reference, reference.lower()):
        result = invoke(runner, "show", asked)
        assert result.exit_code == 0, result.stdout
        assert f"Message {message} · reference {reference}" in result.stdout
        assert "The one the sender asks about." in result.stdout


def test_an_unknown_reference_is_one_clear_error(runner, add):
    add()
    assert error_line(invoke(runner, "show", "ABCD2345")) == "Error: no message with reference ABCD2345"



def test_text_folds_to_lower_case_in_any_script_and_leaves_anything_else_as_it_is(app):
    db = storage.connect(storage.database_path(app))
    try:
        use_folding(db)
        folded = db.execute("SELECT py_lower('ÜNÏ@Example.COM'), py_lower(NULL), py_lower(3), py_lower(2.5)").fetchone()
    finally:
        db.conn.close()
    assert folded == ("ünï@example.com", None, 3, 2.5)
    assert [fold(value) for value in ("ΣΟΦΊΑ", None, 7, b"AB")] == ["σοφία", None, 7, b"AB"]

def test_list_search_finds_text_in_name_email_company_and_message(runner, add):
    by_name = add(name="Zoë Ünïcødé")
    by_email = add(email="talent@acme.example")
    by_company = add(company="Globex Rust Team")
    by_message = add("We need someone for our RUST platform.")
    add("Nothing to see here.", name="Other", email="other@example.com", company="Other")
    assert listed_ids(invoke(runner, "list", "--search", "zoë ünï")) == [by_name]
    assert listed_ids(invoke(runner, "list", "--search", "ACME")) == [by_email]
    assert sorted(listed_ids(invoke(runner, "list", "--search", "rust"))) == [by_company, by_message]
    assert invoke(runner, "list", "--search", "50%_").stdout == "No messages match '50%_'.\n"


def test_list_counts_unread_messages_above_the_table(runner, add):
    add(status="new")
    add(status="new")
    add(status="read")
    add(status="spam")
    assert invoke(runner, "list").stdout.splitlines()[0] == "2 unread."


def test_suspect_messages_are_listed_by_default_with_a_mark(runner, add):
    suspect = add(status="suspect")
    result = invoke(runner, "list")
    assert listed_ids(result) == [suspect]
    assert "1 suspect" in result.stdout.splitlines()[0]
    assert " ?suspect " in result.stdout.splitlines()[2]


@pytest.mark.parametrize("flags", [["--read", "--spam"], ["--unread", "--not-spam"], ["--suspect", "--read"]])
def test_conflicting_mark_flags_are_an_error_and_change_nothing(runner, app, add, flags):
    message = add()
    line = error_line(invoke(runner, "mark", str(message), *flags))
    assert "contradict each other" in line and flags[0] in line and flags[1] in line
    assert stored(app)[message]["status"] == "new"


def test_mark_suspect_and_back(runner, app, add):
    message = add()
    assert invoke(runner, "mark", str(message), "--suspect").exit_code == 0
    assert stored(app)[message]["status"] == "suspect"
    invoke(runner, "mark", stored(app)[message]["reference"], "--not-spam")
    assert stored(app)[message]["status"] == "new"


# --- what reaches the terminal -----------------------------------------------------------

TERMINAL_TRICKS = "Ada\x1b]8;;http://evil.example\x07link\x1b[2J\u202egnp.exe\u2066x\u2069 \x9b31m \x85"


def test_show_and_list_escape_control_and_direction_characters(runner, app, add):
    message = add(TERMINAL_TRICKS + "\nsecond line", name=TERMINAL_TRICKS, company=TERMINAL_TRICKS)
    for result in (invoke(runner, "list"), invoke(runner, "show", str(message))):
        assert result.exit_code == 0, result.stdout
        for raw in ("\x1b", "\x07", "\u202e", "\u2066", "\u2069", "\x9b", "\x85"):
            assert raw not in result.stdout, repr(raw)
        assert "\\x1b]8;;http://evil.example\\x07link" in result.stdout
        assert "\\u202egnp.exe" in result.stdout
    assert "\nsecond line" in invoke(runner, "show", str(message)).stdout  # newlines stay newlines


def test_exports_keep_the_exact_text_of_such_characters(runner, add):
    add(TERMINAL_TRICKS, name=TERMINAL_TRICKS)
    [record] = export_json(runner)
    assert record["message"] == record["name"] == TERMINAL_TRICKS


# --- notifications ------------------------------------------------------------------------


@pytest.fixture
def notify_app(make_app, mailbox):
    closed = f"mailto://owner:Sup3rSecretAppPass@127.0.0.1:{free_port()}?from=site@example.com&to=owner@example.com"
    app = make_app(NOTIFY_URLS=f"{mailbox.url()} {closed}")
    return app, mailbox


def test_notify_test_reports_each_url_by_scheme_and_exits_1_if_one_failed(notify_app):
    app, mailbox = notify_app
    result = app.test_cli_runner().invoke(args=["messages", "notify", "--test"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "1. mailto: sent"
    assert lines[1].startswith("2. mailto: FAILED")
    assert "Sup3rSecretAppPass" not in result.stdout
    [mail] = mailbox.messages()
    assert mail["Subject"] == "Test notification from your portfolio site"


def test_notify_test_exits_0_when_every_url_works(make_app, webhook):
    app = make_app(NOTIFY_URLS=webhook.url)
    result = app.test_cli_runner().invoke(args=["messages", "notify", "--test"])
    assert result.exit_code == 0 and result.stdout == "1. json: sent\n"
    assert webhook.received[0]["title"] == "Test notification from your portfolio site"


def test_notify_test_without_urls_says_what_to_set(runner):
    assert "NOTIFY_URLS is not set" in error_line(invoke(runner, "notify", "--test"))


def test_notifications_lists_deliveries_with_tries_and_masked_errors_and_retry_requeues(notify_app):
    from app.contact import delivery

    app, mailbox = notify_app
    runner = app.test_cli_runner()
    db = storage.connect(storage.database_path(app))
    stored_message = storage.store_message(
        db, {"name": "Ada", "email": "ada@example.com", "company": "", "message": "Hello there, Harsh."},
        submission_key="k" * 22, ip_hash="x", user_agent="ua", status="new", rate_limit=None, notify=True,
    )
    db.execute("UPDATE notifications SET queued_at = 0")  # queued long ago: this failure is the last
    delivery.deliver_due(app, db)
    result = runner.invoke(args=["messages", "notifications"])
    assert result.exit_code == 0, result.stdout
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Notifications are on: 2 URL(s): 1. mailto, 2. mailto. (The server, version ")
    assert lines[1] == "0 pending · 0 sent · 1 failed"
    row = lines[3]
    assert row.split()[:4] == [str(stored_message.id), stored_message.reference, "failed", "1"]
    assert "2. mailto:" in row and "Sup3rSecretAppPass" not in result.stdout
    assert len(mailbox.received) == 1  # the working URL had it

    result = runner.invoke(args=["messages", "notify", "--retry"])
    assert result.stdout == "Queued 1 failed notification(s) again; the server sends them within seconds.\n"
    assert runner.invoke(args=["messages", "notifications", "--status", "pending"]).stdout.splitlines()[1] == (
        "1 pending · 0 sent · 0 failed"
    )
    # A fresh start: one more failure waits about a minute again, not the six-hour cap.
    before = time.time()
    delivery.deliver_due(app, db)
    [row] = rows(app, "notifications")
    assert row["attempts"] == 1
    assert row["due_at"] - before < 2 * app.config["NOTIFY_RETRY_SECONDS"]
    db.conn.close()


def test_notifications_says_when_they_are_off(runner, add):
    add()
    result = invoke(runner, "notifications")
    assert result.stdout.splitlines()[0].startswith("Notifications are off: it has no NOTIFY_URLS. (The server")


def test_notify_needs_one_of_test_or_retry(runner, add):
    add()
    assert "one of --test, --retry or --backlog" in error_line(invoke(runner, "notify"))
    assert "one of --test, --retry or --backlog" in error_line(invoke(runner, "notify", "--test", "--retry"))


# --- backup ---------------------------------------------------------------------------------


def test_backup_is_a_consistent_private_copy_made_while_messages_arrive(runner, app, add, tmp_path):
    import sqlite3
    import threading

    for _ in range(20):
        add()
    stop = threading.Event()

    def keep_writing():
        db = storage.connect(storage.database_path(app))
        n = 0
        while not stop.is_set():
            n += 1
            storage.store_message(db, {"name": "W", "email": "w@example.com", "company": "", "message": f"Writer {n} ....."},
                                  submission_key=f"w{n:021d}x", ip_hash="x", user_agent="", status="new", rate_limit=None)
            time.sleep(0.001)  # a busy server, not one that never lets go of the lock
        db.conn.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        target = tmp_path / "backups" / "copy.db"
        target.parent.mkdir()
        result = invoke(runner, "backup", str(target))
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.stdout
    assert (target.stat().st_mode & 0o777) == 0o600
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    count = copy.execute("SELECT count(*) FROM messages").fetchone()[0]
    copy.close()
    assert count >= 20 and result.stdout == f"Copied {count} message(s) to {target}.\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.db"]  # one file, no -wal beside it


def test_backup_never_overwrites_a_file(runner, add, tmp_path):
    add()
    target = tmp_path / "existing.db"
    target.write_text("keep me")
    assert "already exists" in error_line(invoke(runner, "backup", str(target)))
    assert target.read_text() == "keep me"


# --- errors the owner may meet ----------------------------------------------------------------


def test_a_missing_database_says_database_path_must_match_the_servers(runner, app, tmp_path):
    app.config["DATABASE_PATH"] = str(tmp_path / "elsewhere.db")
    line = error_line(invoke(runner, "list"))
    assert str(tmp_path / "elsewhere.db") in line and "DATABASE_PATH" in line and "server" in line


@pytest.mark.parametrize("args", [["show", "1"], ["mark", "1", "--read"], ["delete", "1"], ["forget", "ada@example.com"]])
def test_a_read_only_database_is_one_line_and_exit_1(runner, app, add, monkeypatch, tmp_path, args):
    import sqlite3

    from sqlite_utils import Database

    add()
    path = storage.database_path(app)
    # Opened as a user without write permission would open it (tests run as root, which may write anything).
    monkeypatch.setattr(storage, "connect", lambda p: Database(sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)))
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, *args)
    line = error_line(result)
    assert result.exit_code == 1
    assert line.startswith(f"Error: cannot use the database at {path} (attempt to write a readonly database)")


# --- the database named, inbox states, careful exports and backups (issue 15) -------------


def test_every_command_names_the_database_it_read(runner, app, add):
    add()
    for args in (["list"], ["show", "1"], ["export", "--format", "json"], ["notifications"]):
        result = invoke(runner, *args)
        assert result.stderr.startswith(f"Database: {storage.database_path(app)}\n"), args


@pytest.mark.parametrize("contents", [b"", None])
def test_a_database_without_a_messages_table_is_an_error_naming_it(runner, app, tmp_path, contents):
    stray = tmp_path / "instance" / "messages.db"
    stray.parent.mkdir()
    if contents is None:
        import sqlite3
        other = sqlite3.connect(stray)
        other.execute("CREATE TABLE unrelated (x)")
        other.close()
    else:
        stray.write_bytes(contents)
    before = stray.read_bytes()
    app.config["DATABASE_PATH"] = str(stray)
    for args in (["list"], ["export", "--format", "csv"], ["notifications"]):
        result = invoke(runner, *args)
        assert result.exit_code == 1
        assert error_line(result).startswith(f"Error: {stray} holds no messages table")
        assert "No messages." not in result.output
    assert stray.read_bytes() == before  # nothing was created in it


@pytest.mark.parametrize("flag, status", [("--replied", "replied"), ("--archived", "archived")])
def test_replied_and_archived_states(runner, app, add, flag, status):
    message, other = add(), add()
    assert invoke(runner, "mark", str(message), flag).stdout == f"Message {message} is now {status}.\n"
    assert listed_ids(invoke(runner, "list", "--status", status)) == [message]
    expected = [other] if status == "archived" else [other, message]  # archived leaves the default list
    assert listed_ids(invoke(runner, "list")) == expected


def test_list_by_sender_groups_repeat_senders(runner, add):
    add(email="ada@example.com", created_at="2026-11-01T09:00:00+00:00")
    add(email="ADA@example.com", created_at="2026-11-03T09:00:00+00:00", status="read")
    add(email="grace@example.com", name="Grace", created_at="2026-11-02T09:00:00+00:00")
    lines = invoke(runner, "list", "--by-sender").stdout.splitlines()
    assert lines[1].split()[:2] == ["MESSAGES", "LATEST"]
    assert lines[2].split()[0] == "2" and "2026-11-03 09:00" in lines[2]
    assert lines[3].split()[0] == "1" and "Grace <grace@example.com>" in lines[3]
    assert len(lines) == 4


def test_show_escapes_the_stored_user_agent(runner, app, add):
    message = add()
    connection = storage.connect(storage.database_path(app))
    connection.execute("UPDATE messages SET user_agent = ?", ["Mozilla\x1b]8;;http://evil.example\x07\u202e"])
    connection.conn.close()
    output = invoke(runner, "show", str(message)).stdout
    assert "\x1b" not in output and "\u202e" not in output
    assert "Browser:  Mozilla\\x1b]8;;http://evil.example\\x07\\u202e" in output


def test_export_file_is_private_new_and_never_through_a_symlink(runner, add, tmp_path):
    add()
    target = tmp_path / "out.csv"
    assert invoke(runner, "export", "--format", "csv", "--output", str(target)).exit_code == 0
    assert target.stat().st_mode & 0o777 == 0o600
    first = target.read_bytes()
    assert "already exists" in error_line(invoke(runner, "export", "--format", "json", "--output", str(target)))
    assert target.read_bytes() == first
    target.chmod(0o644)
    assert invoke(runner, "export", "--format", "json", "--output", str(target), "--overwrite").exit_code == 0
    assert target.read_bytes().startswith(b"[") and target.stat().st_mode & 0o777 == 0o600
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "link.csv"
    link.symlink_to(victim)
    for extra in ([], ["--overwrite"]):
        assert error_line(invoke(runner, "export", "--format", "csv", "--output", str(link), *extra))
        assert victim.read_text() == "keep me"


def test_csv_to_a_terminal_is_escaped(app, add, tmp_path):
    import pty
    import subprocess

    add("Hi\x1b]8;;http://evil.example\x07there\r\x1b[2J", name="Eve\u200b")
    main, child = pty.openpty()
    env = {**os.environ, "DATABASE_PATH": str(storage.database_path(app)), "SECRET_KEY": "test-secret", "NOTIFY_URLS": ""}
    process = subprocess.run([".venv/bin/flask", "messages", "export", "--format", "csv"], stdout=child,
                             stderr=subprocess.DEVNULL, env=env, cwd=str(storage.Path(__file__).parent.parent), timeout=60)
    os.close(child)
    output = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(main)
    assert process.returncode == 0
    text = output.decode()
    assert "\x1b" not in text and "\x07" not in text and "\u200b" not in text
    assert "Hi\\x1b]8;;http://evil.example\\x07there\\x0d\\x1b[2J" in text and "Eve\\u200b" in text


def damage(app):
    """Overwrite the middle of a table page, as a failing disk would."""
    import sqlite3
    path = storage.database_path(app)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = 'messages'").fetchone()[0]
    size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    with open(path, "r+b") as file:
        file.seek((page - 1) * size + 8)
        file.write(b"\xff" * 64)


def test_a_damaged_database_is_said_plainly_by_list_export_and_backup(runner, app, add, tmp_path):
    for _ in range(30):
        add("A message long enough to fill a page or two. " * 5)
    damage(app)
    for args in (["list"], ["export", "--format", "json"]):
        result = invoke(runner, *args)
        assert result.exit_code != 0 and "is DAMAGED (quick_check" in result.stderr, args
    result = invoke(runner, "backup", str(tmp_path / "copy.db"))
    assert result.exit_code == 1 and "Copied" not in result.stdout
    assert "DAMAGED" in error_line(result)


def test_a_failed_backup_names_its_own_cause_and_leaves_nothing(app, add, tmp_path):
    import resource
    import signal
    import subprocess

    for _ in range(300):
        add("Enough text to need more than a few kilobytes of pages. " * 10)
    target = tmp_path / "full" / "copy.db"
    target.parent.mkdir()

    def small_disk():  # a disk that fills after 64 KB: writes beyond fail (EFBIG), as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))

    env = {**os.environ, "DATABASE_PATH": str(storage.database_path(app)), "SECRET_KEY": "test-secret", "NOTIFY_URLS": ""}
    result = subprocess.run([".venv/bin/flask", "messages", "backup", str(target)], capture_output=True, text=True,
                            env=env, cwd=str(storage.Path(__file__).parent.parent), preexec_fn=small_disk, timeout=60)
    assert result.returncode == 1
    assert f"could not write the copy to {target}" in result.stderr
    assert "run this as the user the server runs as" not in result.stderr  # not the source's permissions
    assert list(target.parent.iterdir()) == []  # a retry with the same name works


def test_a_backup_is_one_self_contained_file_in_rollback_journal_mode(runner, add, tmp_path):
    add()
    target = tmp_path / "copy.db"
    assert invoke(runner, "backup", str(target)).exit_code == 0
    header = target.read_bytes()[:100]
    assert header[18:20] == b"\x01\x01"  # not WAL (2, 2): it opens read-only, with no -wal beside it


def test_list_fits_wide_characters_in_the_terminal_width(runner, add):
    add("中文 " * 40 + "＠everyone")
    text = invoke(runner, "list").stdout.splitlines()[3]
    assert sum(2 if "\u4e00" <= c <= "\u9fff" else 1 for c in text) <= 80 and text.endswith("…")
