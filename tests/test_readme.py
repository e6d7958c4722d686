"""The README cannot drift: every command, option and setting it names exists.

In the spirit of sqlite-utils' documentation tests: the commands and options
are looked up in the click commands themselves, the settings in the code that
reads them, so a renamed option or a new setting left undocumented fails here.
"""

import os
import re

import click
import pytest

from app import config
from app.config import ROOT
from tests.browser import support as browser_support

README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def code_lines() -> list[str]:
    """Each line of every fenced code block, and every inline `code` span."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", README, re.M | re.S)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", README, flags=re.M | re.S)
    return [line for block in blocks for line in block.splitlines()] + re.findall(r"`([^`\n]+)`", prose)


def documented(pattern: str) -> list[str]:
    found = [m[0] for line in code_lines() for m in re.finditer(pattern, line)]
    assert found, f"the README's code shows nothing like {pattern!r}"
    return list(dict.fromkeys(found))


# `flask …` to the end of its line (its comment may name options) or of its `code` span.
FLASK_USES = documented(r"(?<![\w./-])(?:\.venv/bin/)?flask\s[^`]*")
MAKE_USES = documented(r"(?<![\w./-])make [a-z][\w-]*")


def options(command: click.Command) -> set[str]:
    return {"--help", *(name for param in command.params for name in [*param.opts, *param.secondary_opts])}


@pytest.mark.parametrize("use", FLASK_USES)
def test_every_flask_command_and_option_in_the_readme_exists(app, use):
    words = use.split()[1:]
    command, context, path = app.cli, click.Context(app.cli), ["flask"]
    while words and isinstance(command, click.Group) and not words[0].startswith("-"):
        name = words.pop(0)
        command = command.get_command(context, name)
        assert command is not None, f"README: `{use}`: there is no `{' '.join(path)} {name}` command"
        path.append(name)
    assert path != ["flask"], f"README: `{use}` names no command"
    # Options anywhere on the line, its comment included (`# --status new|read|spam, --limit N`).
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", use))
    assert named <= options(command), f"README: `{use}`: `{' '.join(path)}` has no {sorted(named - options(command))}"


@pytest.mark.parametrize("use", MAKE_USES)
def test_every_make_target_in_the_readme_exists(use):
    target = use.removeprefix("make ")
    assert re.search(rf"^{re.escape(target)}\s*:", MAKEFILE, re.M), f"README: `{use}`: the Makefile has no {target}"


class ReadRecorder(dict):
    """An environment that remembers which variables were asked for."""

    def __init__(self, values=()):
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


def configuration_rows() -> dict[str, list[str]]:
    """Each variable the README's Configuration table documents, and its row's cells."""
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in section.splitlines() if line.startswith("| `")]
    assert rows, "the README's Configuration section has no table"
    return {name: row for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row[0])}


def configuration_table() -> dict[str, str]:
    """Each documented variable, and its default as the table gives it."""
    return {name: cells[1] for name, cells in configuration_rows().items()}


def variables_read(monkeypatch) -> dict[str, set[str]]:
    """Which environment variables the settings module, and the tests, ask for."""
    settings, tests_settings = ReadRecorder(), ReadRecorder(os.environ)
    # Every group of settings, as the app, server.py and the stack read them.
    config.from_environment(settings)
    config.app_version(settings)
    config.server_settings(settings)
    config.stack_settings(settings)
    monkeypatch.setattr(os, "environ", tests_settings)
    browser_support.chromium_path()
    return {"app/config.py": settings.read, "tests": tests_settings.read}


def test_every_setting_in_the_readme_is_read(monkeypatch):
    read = set().union(*variables_read(monkeypatch).values())
    assert set(configuration_table()) - read == set(), "documented in the README, but nothing reads them"


def test_every_setting_of_the_app_server_and_stack_is_in_the_readme(monkeypatch):
    read = variables_read(monkeypatch)["app/config.py"]
    assert read - set(configuration_table()) == set(), "read, but not in the README"
    assert read == set(config.DEFAULTS), "app/config.py's DEFAULTS must list exactly the settings it reads"


def test_the_readmes_defaults_are_the_settings_modules():
    table = configuration_table()
    for name, default in config.DEFAULTS.items():
        shown = re.findall(r"`([^`]*)`", table[name])
        if default is None:
            # Unset, or worked out when read: said in words, never as a value alone.
            assert not re.fullmatch(r"`[^`]*`", table[name]), f"README: {name}'s default is {shown}, app/config.py has none"
        else:
            assert shown and shown[0] == default, f"README: {name}'s default is {shown[:1]}, app/config.py's {default!r}"


@pytest.mark.parametrize("name, bounds", [
    ("PORT", (1, 65535)),
    ("HTTPS_PORT", (1, 65535)),
    ("WORKERS", (1, config.WORKERS_MAX)),
    ("TRUSTED_PROXIES", (0, config.TRUSTED_PROXIES_MAX)),
    ("CONTACT_MIN_SECONDS", (0, config.CONTACT_MIN_SECONDS_MAX)),
    ("NOTIFY_RETRY_SECONDS", config.NOTIFY_RETRY_SECONDS_RANGE),
    ("NOTIFY_LEASE_SECONDS", config.NOTIFY_LEASE_SECONDS_RANGE),
    ("TLS_RENEW_DAYS", config.TLS_RENEW_DAYS_RANGE),
])
def test_the_readme_gives_each_bound_the_settings_module_enforces(name, bounds):
    low, high = bounds
    assert f"{low:g} to {high:g}" in configuration_rows()[name][2], f"README: {name} is {low:g} to {high:g}"
