"""Read and validate the content files in ``data/``.

Every problem is collected and reported at once, each naming its file and
field, so a typo in the owner's text is a clear list (at start-up in
production, on every page under `make run`, and from `flask content check`)
instead of a traceback from deep inside a template. Keys the loader does not
read are errors too, so a misspelt setting never silently does nothing.
"""

import dataclasses
import datetime
import difflib
import re
import tomllib
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from . import career
from .model import Content, Figure, Link, Milestone, Project, Site, Tag

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ContentError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("invalid content:\n" + "\n".join(f"  - {e}" for e in errors))


def tag_slug(name: str) -> str:
    """ "Node.js" -> "nodejs", "STUN/TURN" -> "stun-turn", "C++" -> "cpp", "C#" -> "csharp".

    `+` is spelt `p` and `#` `sharp`, so C, C++ and C# stay three tags; accents
    are dropped ("Pokémon" -> "pokemon"); any other run of punctuation or spaces
    is one hyphen. A name with no ASCII letter or digit has no slug: the owner
    gives it one under [technology_slugs] in site.toml.
    """
    spelt = name.lower().replace("+", "p").replace("#", "sharp").replace(".", "")
    ascii_name = unicodedata.normalize("NFKD", spelt).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")


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
        if not isinstance(value, kind) or isinstance(value, bool):
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

    def texts(self, key: str) -> tuple[str, ...]:
        values = self._get(key, list, "a list of text", False)
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

    def address(self, key: str, check, expected: str) -> str:
        """An optional link; ``check(url)`` says whether it is acceptable."""
        value = self.text(key, optional=True)
        if value and not check(value):
            self.error(key, f'expected {expected}, found "{value}"')
        return value

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


def read_toml(path: Path, errors: list[str]) -> dict | None:
    """The file's table, or None (with one error) when it cannot be read as TOML."""
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        errors.append(f"{path}: file not found")
    except OSError as e:  # a folder where a file belongs, or no permission to read it
        errors.append(f"{path}: cannot be read ({e.strerror})")
    except UnicodeDecodeError as e:
        errors.append(f"{path}: not UTF-8 text (byte {e.start} cannot be read)")
    except tomllib.TOMLDecodeError as e:
        message, _, where = str(e).rpartition(" (at ")
        position = re.fullmatch(r"line (\d+), column (\d+)\)", where)
        if position:
            where = f"at line {position[1]}, column {position[2]}"
        else:
            where = "at the end of the file"
        errors.append(f"{path}: not valid TOML {where}: {message or e}")
    return None


def highlight_snippet(code: str, language: str, fields: Fields) -> Markup:
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        fields.error("snippet_language", f"unknown language {language!r}")
        return Markup()
    # nowrap: the template owns the <pre><code>; classes, not inline styles, keep the CSP strict.
    return Markup(highlight(code.strip("\n"), lexer, HtmlFormatter(nowrap=True)).rstrip("\n"))


class Technologies:
    """Every technology the projects name, each with its own tag slug.

    Two different names never share a slug (the filter would merge them), and
    no name is left without one: either is an error naming both names.
    """

    def __init__(self, chosen: dict[str, str]):
        self.chosen = chosen  # name -> slug, the owner's [technology_slugs]
        self.by_slug: dict[str, tuple[Tag, str]] = {}  # slug -> (tag, file that first used it)
        self.named: set[str] = set()  # every name a stack uses, with a slug or not

    def tag(self, name: str, fields: Fields, key: str) -> Tag | None:
        self.named.add(name)
        slug = self.chosen.get(name) or tag_slug(name)
        if not slug:
            fields.error(key, f'"{name}" has no letter or digit to make its tag slug from; '
                              "give it one under [technology_slugs] in site.toml")
            return None
        used = self.by_slug.get(slug)
        if used is None:
            self.by_slug[slug] = (Tag(name, slug), fields.file)
        elif used[0].name != name:
            fields.error(key, f'"{name}" and "{used[0].name}" ({used[1]}) would share the tag slug "{slug}"; '
                              "give one of them its own under [technology_slugs] in site.toml")
            return None
        return self.by_slug[slug][0]

    def check_chosen(self, fields: Fields) -> None:
        """A slug chosen for a name no project uses is a typo or a leftover."""
        for name in self.chosen.keys() - self.named:
            suggestion = close_match(name, self.named)
            hint = f'; did you mean "{suggestion}"?' if suggestion else ""
            fields.error(f'"{name}"', f"no project's stack names this technology{hint}")


def technology_slugs(fields: Fields) -> dict[str, str]:
    chosen = {}
    for name, slug in fields.entries().items():
        if not isinstance(slug, str):
            fields.error(f'"{name}"', f"expected text, found {kind_of(slug)}")
        elif not SLUG.match(slug):
            fields.error(f'"{name}"', "must be lowercase letters, digits and single hyphens")
        else:
            chosen[name] = slug
    return chosen


def load_project(path: Path, technologies: Technologies, errors: list[str]) -> Project | None:
    data = read_toml(path, errors)
    if data is None:
        return None
    fields = Fields(data, str(path), errors)
    slug = fields.text("slug")
    if slug and not SLUG.match(slug):
        fields.error("slug", "must be lowercase letters, digits and single hyphens")
    elif slug and slug != path.stem:
        # Copying a file to start a new project keeps the old slug: say which name counts.
        fields.error("slug", f'"{slug}" differs from the file name "{path.name}"; the slug wins (the page is '
                             f'/work/{slug}), so rename the file to {slug}.toml or set slug = "{path.stem}"')
    stack = [technologies.tag(name, fields, "stack") for name in fields.texts("stack")]
    project = Project(
        slug=slug,
        order=fields.integer("order") or 0,
        title=fields.text("title"),
        problem=fields.text("problem"),
        architecture=fields.text("architecture"),
        challenges=fields.texts("challenges"),
        outcome=fields.text("outcome"),
        stack=tuple(tag for tag in stack if tag is not None),
        repository=fields.address("repository", is_https, "an https:// address"),
        demo=fields.address("demo", is_https, "an https:// address"),
        **career.project_entry(fields),
    )
    fields.check_unknown_keys()
    return project


FIGURES = (
    ("dsa_problems", "DSA Problems"),
    ("projects", "Projects"),
    ("major_systems", "Major Systems"),
    ("years_building", "Years Building"),
)
LINK_LABELS = {"email": "E-mail", "github": "GitHub", "linkedin": "LinkedIn"}
LINK_SITES = {"github": "github.com", "linkedin": "linkedin.com"}


def email_link(links: Fields) -> str:
    address = links.text("email", optional=True).removeprefix("mailto:")
    if not address:
        return ""
    try:
        return "mailto:" + validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as e:
        links.error("email", f'"{address}" is not an e-mail address: {e}')
        return ""


def load_site(root: Fields, project_count: int, missing: list[str]) -> Site:
    path = root.file
    identity, hero, about = root.table("identity"), root.table("hero"), root.table("about")
    work, principles, journey = root.table("work"), root.table("principles"), root.table("journey")
    philosophy, numbers, contact = root.table("philosophy"), root.table("numbers"), root.table("contact")
    links, footer = root.table("links"), root.table("footer")

    milestones = tuple(
        Milestone(m.integer("year") or 0, m.text("stage"), m.text("title"), m.text("text"), **career.milestone_entry(m, missing))
        for m in journey.tables("milestones")
    )
    career.unkinded_milestones(path, milestones, missing)
    suffix = numbers.text("suffix", optional=True)
    # The seed's order. "Projects" and "Years Building" are derived, so they
    # stay true as projects are added and years pass; the others are the owner's.
    first_year = min((m.year for m in milestones), default=datetime.date.today().year)
    derived = {"projects": project_count, "years_building": datetime.date.today().year - first_year}
    for key in derived.keys() & numbers.data.keys():
        numbers.known.add(key)
        numbers.error(key, "is computed from the data, so it cannot be set: remove it")
    figures = []
    for key, label in FIGURES:
        value = derived[key] if key in derived else numbers.integer(key, optional=True)
        if value is None:
            missing.append(f"{path}: numbers.{key}: the {label} figure is not set, so it is left out")
        elif value == 0 and key not in derived:
            numbers.error(key, f'0 would read "0{suffix} {label}": write the real figure, or leave the line '
                               "commented out to leave the figure out")
        else:
            # A derived figure is exact, so only the owner's own figures carry the owner's "+".
            figures.append(Figure(label, value, "" if key in derived else suffix))

    site_links = []
    for kind, label in LINK_LABELS.items():
        if kind == "email":
            href = email_link(links)
        else:
            site = LINK_SITES[kind]
            href = links.address(kind, lambda url: is_web_address(url, ("https",), (site,)),
                                 f'an https:// address on {site}, such as "https://{site}/your-name"')
        if not href:
            if not str(links.data.get(kind, "")).strip():  # not set, rather than set wrong
                missing.append(f"{path}: links.{kind}: the {label} link is not set, so it is left out")
            continue
        site_links.append(Link(kind, label, href))

    url = identity.address("url", is_web_address, 'an absolute http:// or https:// address, such as "https://example.com"')
    snippet_language = principles.text("snippet_language")
    if not url:
        missing.append(f"{path}: identity.url: the site's public address is not set (SITE_URL can set it)")
    location, time_zone = career.identity_extras(identity, missing)

    return Site(
        name=identity.text("name"),
        role=identity.text("role"),
        url=url.rstrip("/") if is_web_address(url) else "",
        description=identity.text("description"),
        hero_title=hero.text("title"),
        hero_lead=hero.text("lead"),
        about_heading=about.texts("heading"),
        about_paragraphs=about.texts("paragraphs"),
        work_heading=work.text("heading"),
        work_lead=work.text("lead"),
        principles_heading=principles.text("heading"),
        principles_lead=principles.text("lead"),
        flow_heading=principles.text("flow_heading"),
        flow=principles.texts("flow"),
        process_heading=principles.text("process_heading"),
        process=principles.texts("process"),
        snippet_heading=principles.text("snippet_heading"),
        snippet_language=snippet_language,
        snippet_html=highlight_snippet(principles.text("snippet"), snippet_language or "text", principles),
        journey_heading=journey.text("heading"),
        journey_lead=journey.text("lead"),
        journey_intro=journey.text("intro"),
        milestones=milestones,
        philosophy_heading=philosophy.text("heading"),
        philosophy_quote=philosophy.texts("quote"),
        philosophy_text=philosophy.text("text"),
        numbers_heading=numbers.text("heading"),
        figures=tuple(figures),
        contact_heading=contact.texts("heading"),
        contact_text=contact.text("text"),
        links=tuple(site_links),
        copyright_year=footer.integer("copyright_year") or 0,
        footer_tagline=footer.text("tagline"),
        location=location,
        time_zone=time_zone,
        availability=career.availability(root, missing),
    )


def modified_at(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def load_content(data_dir: Path) -> Content:
    """Load ``site.toml`` and ``projects/*.toml``; raise ContentError listing every problem."""
    errors: list[str] = []
    missing: list[str] = []
    project_paths = sorted((data_dir / "projects").glob("*.toml"))
    if not project_paths:
        errors.append(f"{data_dir / 'projects'}: no project files (*.toml)")
    # A file that is not valid TOML is one error: its fields are not reported missing as well.
    site_data = read_toml(data_dir / "site.toml", errors)
    root = Fields(site_data or {}, str(data_dir / "site.toml"), errors, reported=site_data is None)
    site = load_site(root, len(project_paths), missing)
    slugs = root.table("technology_slugs", optional=True)
    technologies = Technologies(technology_slugs(slugs))
    root.check_unknown_keys()
    loaded = [(path, load_project(path, technologies, errors)) for path in project_paths]
    loaded = [(path, project) for path, project in loaded if project is not None]
    if site_data is not None and len(loaded) == len(project_paths):
        technologies.check_chosen(slugs)

    # A copied file repeats its original's slug and order: the newer file is the one to change.
    for attribute in ("slug", "order"):
        first: dict = {}
        for path, project in sorted(loaded, key=lambda item: (modified_at(item[0]), str(item[0]))):
            value = getattr(project, attribute)
            if value in first:
                errors.append(f"{path}: {attribute}: {value!r} is also used by {first[value]}, an older file; "
                              f"give this one its own {attribute}")
            else:
                first[value] = path
    if errors:
        raise ContentError(errors)

    ordered = sorted((project for _, project in loaded), key=lambda p: p.order)
    projects = [dataclasses.replace(project, position=n) for n, project in enumerate(ordered, start=1)]
    tags: dict[str, Tag] = {}
    for project in projects:
        for tag in project.stack:
            tags.setdefault(tag.slug, tag)
    return Content(site=site, projects=tuple(projects), tags=tags, missing=tuple(missing))
