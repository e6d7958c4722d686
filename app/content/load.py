"""Read and validate the content files in ``data/``.

Every problem is collected and reported at once, each naming its file and
field, so a typo in the owner's text stops start-up with a clear list instead
of a traceback from deep inside a template.
"""

import datetime
import re
import tomllib
from pathlib import Path

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from .model import Content, Figure, Link, Milestone, Project, Site, Tag

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ContentError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("invalid content:\n" + "\n".join(f"  - {e}" for e in errors))


def tag_slug(name: str) -> str:
    """ "Node.js" -> "nodejs", "STUN/TURN" -> "stun-turn", "Binance API" -> "binance-api"."""
    ascii_name = name.lower().replace(".", "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")


class Fields:
    """Typed access to one TOML table that records, rather than raises, what is wrong."""

    def __init__(self, data: dict, file: str, errors: list[str], prefix: str = ""):
        self.data, self.file, self.errors, self.prefix = data, file, errors, prefix

    def error(self, key: str, problem: str) -> None:
        self.errors.append(f"{self.file}: {self.prefix}{key}: {problem}")

    def _get(self, key: str, kind: type, kind_name: str, optional: bool):
        if key not in self.data:
            if not optional:
                self.error(key, "missing")
            return None
        value = self.data[key]
        # bool is an int in Python; a figure of `true` is a mistake, not 1.
        if not isinstance(value, kind) or isinstance(value, bool):
            self.error(key, f"must be {kind_name}, found {type(value).__name__}")
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
        values = self._get(key, list, "a list of text", False) or []
        if not values and key in self.data:
            self.error(key, "is empty")
        for i, value in enumerate(values):
            if not isinstance(value, str) or not value.strip():
                self.error(f"{key}[{i}]", "must be non-empty text")
        return tuple(v.strip() for v in values if isinstance(v, str))

    def integer(self, key: str, *, optional: bool = False) -> int | None:
        value = self._get(key, int, "a whole number", optional)
        if value is not None and value < 0:
            self.error(key, "must not be negative")
        return value

    def table(self, key: str) -> "Fields":
        value = self._get(key, dict, "a table", False) or {}
        return Fields(value, self.file, self.errors, f"{self.prefix}{key}.")

    def tables(self, key: str) -> list["Fields"]:
        values = self._get(key, list, "a list of tables", False) or []
        if not values and key in self.data:
            self.error(key, "is empty")
        return [
            Fields(v if isinstance(v, dict) else {}, self.file, self.errors, f"{self.prefix}{key}[{i}].")
            for i, v in enumerate(values)
        ]


def read_toml(path: Path, errors: list[str]) -> dict:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        errors.append(f"{path}: file not found")
    except tomllib.TOMLDecodeError as e:
        errors.append(f"{path}: not valid TOML: {e}")
    return {}


def highlight_snippet(code: str, language: str, fields: Fields) -> Markup:
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        fields.error("snippet_language", f"unknown language {language!r}")
        return Markup()
    # nowrap: the template owns the <pre><code>; classes, not inline styles, keep the CSP strict.
    return Markup(highlight(code.strip("\n"), lexer, HtmlFormatter(nowrap=True)).rstrip("\n"))


def load_project(path: Path, errors: list[str]) -> Project:
    fields = Fields(read_toml(path, errors), str(path), errors)
    slug = fields.text("slug")
    if slug and not SLUG.match(slug):
        fields.error("slug", "must be lowercase letters, digits and single hyphens")
    stack = tuple(Tag(name, tag_slug(name)) for name in fields.texts("stack"))
    return Project(
        slug=slug,
        order=fields.integer("order") or 0,
        title=fields.text("title"),
        problem=fields.text("problem"),
        architecture=fields.text("architecture"),
        challenges=fields.texts("challenges"),
        outcome=fields.text("outcome"),
        stack=stack,
    )


FIGURES = (
    ("dsa_problems", "DSA Problems"),
    ("projects", "Projects"),
    ("major_systems", "Major Systems"),
    ("years_building", "Years Building"),
)
LINK_LABELS = {"email": "E-mail", "github": "GitHub", "linkedin": "LinkedIn"}


def load_site(path: Path, project_count: int, errors: list[str], missing: list[str]) -> Site:
    root = Fields(read_toml(path, errors), str(path), errors)
    identity, hero, about = root.table("identity"), root.table("hero"), root.table("about")
    work, principles, journey = root.table("work"), root.table("principles"), root.table("journey")
    philosophy, numbers, contact = root.table("philosophy"), root.table("numbers"), root.table("contact")
    links, footer = root.table("links"), root.table("footer")

    milestones = tuple(
        Milestone(m.integer("year") or 0, m.text("stage"), m.text("title"), m.text("text"))
        for m in journey.tables("milestones")
    )
    suffix = numbers.text("suffix", optional=True)
    # The seed's order. "Projects" and "Years Building" are derived, so they
    # stay true as projects are added and years pass; the others are the owner's.
    first_year = min((m.year for m in milestones), default=datetime.date.today().year)
    derived = {"projects": project_count, "years_building": datetime.date.today().year - first_year}
    figures = []
    for key, label in FIGURES:
        value = derived[key] if key in derived else numbers.integer(key, optional=True)
        if value is None:
            missing.append(f"{path}: numbers.{key}: the {label} figure is not set, so it is left out")
        else:
            # A derived figure is exact, so only the owner's own figures carry the owner's "+".
            figures.append(Figure(label, value, "" if key in derived else suffix))

    site_links = []
    for kind, label in LINK_LABELS.items():
        href = links.text(kind, optional=True)
        if not href:
            missing.append(f"{path}: links.{kind}: the {label} link is not set, so it is left out")
            continue
        if kind == "email":
            href = href if href.startswith("mailto:") else f"mailto:{href}"
        elif not href.startswith("https://"):
            links.error(kind, "must be an https:// address")
        site_links.append(Link(kind, label, href))

    url = identity.text("url", optional=True).rstrip("/")
    if not url:
        missing.append(f"{path}: identity.url: the site's public address is not set (SITE_URL can set it)")

    return Site(
        name=identity.text("name"),
        role=identity.text("role"),
        url=url,
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
        snippet_language=principles.text("snippet_language"),
        snippet_html=highlight_snippet(
            principles.text("snippet"), principles.text("snippet_language") or "text", principles
        ),
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
    )


def load_content(data_dir: Path) -> Content:
    """Load ``site.toml`` and ``projects/*.toml``; raise ContentError listing every problem."""
    errors: list[str] = []
    missing: list[str] = []
    project_paths = sorted((data_dir / "projects").glob("*.toml"))
    if not project_paths:
        errors.append(f"{data_dir / 'projects'}: no project files (*.toml)")
    loaded = [(path, load_project(path, errors)) for path in project_paths]
    site = load_site(data_dir / "site.toml", len(loaded), errors, missing)

    for attribute in ("slug", "order"):
        seen: dict = {}
        for path, project in loaded:
            value = getattr(project, attribute)
            if value in seen:
                errors.append(f"{path}: {attribute}: {value!r} is also used by {seen[value]}")
            seen[value] = path
    if errors:
        raise ContentError(errors)

    projects = sorted((project for _, project in loaded), key=lambda p: p.order)
    tags: dict[str, Tag] = {}
    for project in projects:
        for tag in project.stack:
            tags.setdefault(tag.slug, tag)
    return Content(site=site, projects=tuple(projects), tags=tags, missing=tuple(missing))
