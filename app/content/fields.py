"""Check a TOML table field by field, collecting every mistake instead of raising on the first.

Each mistake is one line naming its file and field ("site.toml: hero.title:
expected text, found a whole number"), in TOML's words rather than Python's.
Nothing here knows this site's schema (schema.py does).
"""

import datetime
import difflib
import re
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

TOML_KINDS = (
    (bool, "true or false"),
    (int, "a whole number"),
    (float, "a decimal number"),
    (str, "text"),
    (list, "a list"),
    (dict, "a table"),
    ((datetime.date, datetime.time), "a date or time"),
)


def kind_of(value) -> str:
    """What the owner wrote, in TOML's words rather than Python's."""
    return next(name for kinds, name in TOML_KINDS if isinstance(value, kinds))


def close_match(key: str, known: set[str]) -> str | None:
    """The known key the owner probably meant: a near spelling, or the one it begins (`repo`)."""
    near = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    if near:
        return near[0]
    longer = [k for k in sorted(known) if len(key) >= 3 and k.startswith(key)]
    return longer[0] if len(longer) == 1 else None


def is_slug(value: str) -> bool:
    """Lowercase letters, digits and single hyphens: a safe part of a URL."""
    return SLUG.match(value) is not None


def is_web_address(value: str, schemes=("http", "https"), hosts: tuple[str, ...] = ()) -> bool:
    """An absolute URL with one of these schemes (and, given hosts, on one of those sites)."""
    if any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # an unbalanced "[" reads as a broken IPv6 address
        return False
    if parts.scheme not in schemes or not parts.hostname:
        return False
    if hosts:
        on_site = any(parts.hostname == host or parts.hostname.endswith("." + host) for host in hosts)
        return on_site and parts.path.strip("/") != ""
    return True


def is_https(value: str) -> bool:
    return is_web_address(value, ("https",))


class Fields:
    """Typed access to one TOML table that records, rather than raises, what is wrong.

    Every key a loader asks for is known; whatever else the table holds is
    reported by ``check_unknown_keys`` with the closest known key, so a
    misspelt setting is an error instead of silently doing nothing.
    """

    def __init__(self, data: dict, file: str, errors: list[str], prefix: str = "", reported: bool = False):
        self.data, self.file, self.errors, self.prefix = data, file, errors, prefix
        # A table already reported as missing or of the wrong type: its keys are not reported again.
        self.reported = reported
        self.known: set[str] = set()
        self.missing: set[str] = set()
        self.children: list[Fields] = []

    def error(self, key: str, problem: str) -> None:
        self.errors.append(f"{self.file}: {self.prefix}{key}: {problem}")

    def _get(self, key: str, kind: type, expected: str, optional: bool):
        self.known.add(key)
        if key not in self.data:
            if not optional and not self.reported:
                self.missing.add(key)
                self.error(key, "missing")
            return None
        value = self.data[key]
        # bool is an int in Python; a figure of `true` is a mistake, not 1.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            self.error(key, f"expected {expected}, found {kind_of(value)}")
            return None
        return value

    def text(self, key: str, *, optional: bool = False) -> str:
        value = self._get(key, str, "text", optional)
        if value is None:
            return ""
        if not value.strip() and not optional:
            self.error(key, "is empty")
        return value.strip()

    def texts(self, key: str, *, optional: bool = False) -> tuple[str, ...]:
        values = self._get(key, list, "a list of text", optional)
        if values is None:
            return ()
        if not values:
            self.error(key, "is empty")
        for i, value in enumerate(values):
            if not isinstance(value, str):
                self.error(f"{key}[{i}]", f"expected text, found {kind_of(value)}")
            elif not value.strip():
                self.error(f"{key}[{i}]", "is empty")
        return tuple(v.strip() for v in values if isinstance(v, str) and v.strip())

    def integer(self, key: str, *, optional: bool = False) -> int | None:
        value = self._get(key, int, "a whole number", optional)
        if value is not None and value < 0:
            self.error(key, "must not be negative")
        return value

    def boolean(self, key: str) -> bool | None:
        return self._get(key, bool, "true or false", False)

    def address(self, key: str, check, expected: str) -> str:
        """An optional link; ``check(url)`` says whether it is acceptable."""
        value = self.text(key, optional=True)
        if value and not check(value):
            self.error(key, f'expected {expected}, found "{value}"')
        return value

    def email(self, key: str) -> str:
        """An optional e-mail address, normalised; a leading "mailto:" is allowed and dropped."""
        address = self.text(key, optional=True).removeprefix("mailto:")
        if not address:
            return ""
        try:
            return validate_email(address, check_deliverability=False).normalized
        except EmailNotValidError as e:
            self.error(key, f'"{address}" is not an e-mail address: {e}')
            return ""

    def table(self, key: str, *, optional: bool = False) -> "Fields":
        value = self._get(key, dict, "a table", optional)
        child = Fields(value or {}, self.file, self.errors, f"{self.prefix}{key}.", reported=value is None)
        self.children.append(child)
        return child

    def tables(self, key: str) -> list["Fields"]:
        values = self._get(key, list, "a list of tables", False)
        if values is None:
            return []
        if not values:
            self.error(key, "is empty")
        children = []
        for i, value in enumerate(values):
            if not isinstance(value, dict):
                self.error(f"{key}[{i}]", f"expected a table, found {kind_of(value)}")
            children.append(
                Fields(value if isinstance(value, dict) else {}, self.file, self.errors, f"{self.prefix}{key}[{i}].",
                       reported=not isinstance(value, dict))
            )
        self.children.extend(children)
        return children

    def entries(self) -> dict:
        """The table as a free-form mapping (every key is the owner's)."""
        self.known.update(self.data)
        return self.data

    def check_unknown_keys(self) -> None:
        """Report every key no loader asked for, here and in the tables below."""
        for key in self.data.keys() - self.known:
            suggestion = close_match(key, self.known)
            problem = f'unknown key; did you mean "{suggestion}"?' if suggestion else "unknown key"
            missing = f"{self.file}: {self.prefix}{suggestion}: missing"
            if suggestion in self.missing and missing in self.errors:
                # `tittle` for `title` is one mistake: say it once, where the owner wrote it.
                self.errors[self.errors.index(missing)] = f"{self.file}: {self.prefix}{key}: {problem}"
            else:
                self.error(key, problem)
        for child in self.children:
            child.check_unknown_keys()
