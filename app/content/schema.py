"""What ``site.toml`` and each ``projects/*.toml`` must hold, read into the model.

Each function reads one file's table through ``Fields`` (fields.py), so every
mistake is recorded with its file and field and the reading carries on. What
is optional and still unset is added to ``missing``: a gap the owner has to
fill in, listed by `flask content check`, never an error.
"""

from pathlib import Path

from markupsafe import Markup

from . import career, clock
from .fields import Fields, is_https, is_slug, is_web_address
from .highlight import highlighted
from .model import Figure, Link, Milestone, Project, Site, YearsSince
from .tags import Technologies

# The seed's order. "Projects" and "Years Building" are derived, so they
# stay true as projects are added and years pass; the others are the owner's.
FIGURES = (
    ("dsa_problems", "DSA Problems"),
    ("projects", "Projects"),
    ("major_systems", "Major Systems"),
    ("years_building", "Years Building"),
)
DERIVED_FIGURES = ("projects", "years_building")
LINK_LABELS = {"email": "E-mail", "github": "GitHub", "linkedin": "LinkedIn"}
LINK_SITES = {"github": "github.com", "linkedin": "linkedin.com"}


def project(fields: Fields, path: Path, technologies: Technologies) -> Project:
    """One project file; its stack's names become tags through ``technologies``."""
    slug = fields.text("slug")
    if slug and not is_slug(slug):
        fields.error("slug", "must be lowercase letters, digits and single hyphens")
    elif slug and slug != path.stem:
        # Copying a file to start a new project keeps the old slug: say which name counts.
        fields.error("slug", f'"{slug}" differs from the file name "{path.name}"; the slug wins (the page is '
                             f'/work/{slug}), so rename the file to {slug}.toml or set slug = "{path.stem}"')
    stack = [technologies.tag(name, fields, "stack") for name in fields.texts("stack")]
    return Project(
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


def figures(numbers: Fields, project_count: int, first_year: int, missing: list[str]) -> tuple[Figure | YearsSince, ...]:
    """The Numbers section: the owner's figures, where set, among the derived ones."""
    path = numbers.file
    suffix = numbers.text("suffix", optional=True)
    for key in DERIVED_FIGURES:
        if key in numbers.data:
            numbers.known.add(key)
            numbers.error(key, "is computed from the data, so it cannot be set: remove it")
    shown = []
    for key, label in FIGURES:
        if key == "projects":
            shown.append(Figure(label, project_count, ""))  # exact, so never the owner's "+"
        elif key == "years_building":
            shown.append(YearsSince(label, first_year))
        else:
            value = numbers.integer(key, optional=True)
            if value is None:
                missing.append(f"{path}: numbers.{key}: the {label} figure is not set, so it is left out")
            elif value == 0:
                numbers.error(key, f'0 would read "0{suffix} {label}": write the real figure, or leave the line '
                                   "commented out to leave the figure out")
            else:
                shown.append(Figure(label, value, suffix))
    return tuple(shown)


def links(table: Fields, missing: list[str]) -> tuple[Link, ...]:
    """The e-mail, GitHub and LinkedIn links that are set, in that order."""
    shown = []
    for kind, label in LINK_LABELS.items():
        if kind == "email":
            address = table.email(kind)
            href = "mailto:" + address if address else ""
        else:
            site = LINK_SITES[kind]
            href = table.address(kind, lambda url: is_web_address(url, ("https",), (site,)),
                                 f'an https:// address on {site}, such as "https://{site}/your-name"')
        if not href:
            if not str(table.data.get(kind, "")).strip():  # not set, rather than set wrong
                missing.append(f"{table.file}: links.{kind}: the {label} link is not set, so it is left out")
            continue
        shown.append(Link(kind, label, href))
    return tuple(shown)


def snippet_html(principles: Fields, language: str) -> Markup:
    html = highlighted(principles.text("snippet"), language)
    if html is None:
        principles.error("snippet_language", f"unknown language {language!r}")
        return Markup()
    return html


def site(root: Fields, project_count: int, missing: list[str]) -> Site:
    """site.toml, but for [technology_slugs], which load.py reads for the projects."""
    path = root.file
    identity, hero, about = root.table("identity"), root.table("hero"), root.table("about")
    work, principles, journey = root.table("work"), root.table("principles"), root.table("journey")
    philosophy, numbers, contact = root.table("philosophy"), root.table("numbers"), root.table("contact")
    links_table, footer = root.table("links"), root.table("footer")

    milestones = tuple(
        Milestone(m.integer("year") or 0, m.text("stage"), m.text("title"), m.text("text"), **career.milestone_entry(m, missing))
        for m in journey.tables("milestones")
    )
    career.unkinded_milestones(path, milestones, missing)
    # An empty journey is an error of its own; the default only keeps min() from raising before it is reported.
    first_year = min((m.year for m in milestones), default=clock.today().year)
    shown_figures = figures(numbers, project_count, first_year, missing)
    shown_links = links(links_table, missing)

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
        snippet_html=snippet_html(principles, snippet_language or "text"),
        journey_heading=journey.text("heading"),
        journey_lead=journey.text("lead"),
        journey_intro=journey.text("intro"),
        milestones=milestones,
        philosophy_heading=philosophy.text("heading"),
        philosophy_quote=philosophy.texts("quote"),
        philosophy_text=philosophy.text("text"),
        numbers_heading=numbers.text("heading"),
        figures=shown_figures,
        contact_heading=contact.texts("heading"),
        contact_text=contact.text("text"),
        links=shown_links,
        copyright_year=footer.integer("copyright_year") or 0,
        footer_tagline=footer.text("tagline"),
        location=location,
        time_zone=time_zone,
        availability=career.availability(root, missing),
    )
