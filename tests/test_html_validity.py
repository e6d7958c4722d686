"""The Nu HTML Checker (vnu-jar) finds no errors on any page or fragment.

htmx's own attribute names (hx-get, hx-swap-oob, ...) are the one accepted
exception: the checker does not know them.
"""

import json
import re
import subprocess

import pytest

from app.config import ROOT
from tests.html import PARTIAL, hidden_fields

VNU = ROOT / "node_modules/vnu-jar/build/dist/vnu.jar"
PAGES = [
    "/", "/?tag=python", "/work", "/work?tag=docker", "/work/l1-market-data-engine", "/work/sun-ray-casting",
    "/nope", "/contact", "/contact/thanks?ref=ABCDEFGH", "/cv",
]
FRAGMENTS = ["/?tag=react", "/work?tag=c", "/work/write", "/work/nope", "/contact"]
INVALID_MESSAGE = {"name": "", "email": "nope", "company": "", "message": "short"}
HTMX_ATTRIBUTE = re.compile(r"^Attribute “hx-[a-z0-9:-]+” not allowed on element")


def as_document(fragment: str) -> str:
    return f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>fragment</title></head><body>{fragment}</body></html>'


def check(files) -> list[str]:
    if not VNU.exists():
        pytest.fail(f"{VNU} is missing: run `make test`, which installs it with npm ci.")
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True, text=True, timeout=120,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    return [
        f"{m.get('url', '').rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if not HTMX_ATTRIBUTE.match(m["message"])
    ]


def test_every_page_and_fragment_is_valid_html(client, tmp_path):
    files = []
    for i, path in enumerate(PAGES):
        file = tmp_path / f"page-{i}.html"
        file.write_text(client.get(path).get_data(as_text=True))
        files.append(file)
    for i, path in enumerate(FRAGMENTS):
        file = tmp_path / f"fragment-{i}.html"
        file.write_text(as_document(client.get(path, headers=PARTIAL).get_data(as_text=True)))
        files.append(file)
    # The form as it comes back with errors, as a page and as a fragment.
    hidden = hidden_fields(client.get("/contact"))
    for name, headers in (("invalid-page", {}), ("invalid-fragment", PARTIAL)):
        response = client.post("/contact", data={**hidden, **INVALID_MESSAGE}, headers=headers)
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        file = tmp_path / f"{name}.html"
        file.write_text(body if not headers else as_document(body))
        files.append(file)
    assert check(files) == []


def test_the_checker_does_find_errors(tmp_path):
    # Guards the guard: a checker that silently reports nothing would pass every page.
    file = tmp_path / "broken.html"
    file.write_text(as_document('<a href="/"><a href="/">nested</a></a><p hx-get="/">ok</p>'))
    errors = check([file])
    assert errors and not any("hx-get" in e for e in errors)
