"""The portfolio's content as plain, immutable values.

Loaded once at start-up by ``load.py``; templates read these fields directly.
One figure reads the date instead: Years Building (``YearsSince``).
"""

from dataclasses import dataclass, field

from markupsafe import Markup

from . import clock


@dataclass(frozen=True)
class Tag:
    name: str  # as the owner writes it: "Node.js"
    slug: str  # as it appears in URLs: "nodejs"


@dataclass(frozen=True)
class Project:
    slug: str
    order: int
    title: str
    problem: str
    architecture: str
    challenges: tuple[str, ...]
    outcome: str
    stack: tuple[Tag, ...]
    # Optional https:// links: the source code, and the project running.
    repository: str = ""
    demo: str = ""
    # Place in the list, from 1 (load.py sets it after sorting by order): the
    # card's number, so orders 1, 5, 9 read 01, 02, 03.
    position: int = 0
    # Optional, for the CV: where and when it was built.
    organisation: str = ""
    year: int | None = None

    @property
    def number(self) -> str:
        return f"{self.position:02d}"

    def has_tag(self, slug: str) -> bool:
        return any(tag.slug == slug for tag in self.stack)


@dataclass(frozen=True)
class Milestone:
    year: int
    stage: str
    title: str
    text: str
    # Optional, for the CV: a milestone with a kind is an entry under Experience or Education.
    kind: str = ""  # "work" or "education"
    organisation: str = ""
    position: str = ""  # the role held, or the degree studied
    until: int | None = None  # the year it ended, when it has


@dataclass(frozen=True)
class Availability:
    """The owner's [availability], in the owner's words."""

    open: bool
    looking_for: tuple[str, ...] = ()  # roles and terms: "backend roles", "permanent", "remote"
    starting: str = ""  # from when: "March 2027", "now"
    replies: str = ""  # how soon a message is answered: "within two working days"

    @property
    def sentence(self) -> str:
        """One line for the contact section and the CV."""
        if not self.open:
            return "Not looking for new opportunities at the moment."
        line = "Open to opportunities"
        if self.looking_for:
            line += ": " + ", ".join(self.looking_for)
        if self.starting:
            line += f", from {self.starting}"
        line += "."
        if self.replies:
            line += f" Answers messages {self.replies}."
        return line


@dataclass(frozen=True)
class Figure:
    """One entry of the Numbers section."""

    label: str
    value: int
    suffix: str


@dataclass(frozen=True)
class YearsSince:
    """An entry of the Numbers section that grows each New Year: the years from ``since`` to today.

    Worked out when a page is rendered, not at load, so a server running over
    New Year shows the new figure on January 1 (rendering.py keeps a page per year).
    """

    label: str
    since: int
    suffix = ""  # exact, so never the owner's "+"

    @property
    def value(self) -> int:
        return clock.today().year - self.since


@dataclass(frozen=True)
class Link:
    kind: str  # "email", "github" or "linkedin"
    label: str
    href: str


@dataclass(frozen=True)
class Site:
    name: str
    role: str
    url: str
    description: str
    hero_title: str
    hero_lead: str
    about_heading: tuple[str, ...]
    about_paragraphs: tuple[str, ...]
    work_heading: str
    work_lead: str
    principles_heading: str
    principles_lead: str
    flow_heading: str
    flow: tuple[str, ...]
    process_heading: str
    process: tuple[str, ...]
    snippet_heading: str
    snippet_language: str
    snippet_html: Markup  # highlighted once at load, never in the browser
    journey_heading: str
    journey_lead: str
    journey_intro: str
    milestones: tuple[Milestone, ...]
    philosophy_heading: str
    philosophy_quote: tuple[str, ...]
    philosophy_text: str
    numbers_heading: str
    figures: tuple[Figure | YearsSince, ...]
    contact_heading: tuple[str, ...]
    contact_text: str
    links: tuple[Link, ...]
    copyright_year: int
    footer_tagline: str
    # Optional; while unset, left out of every page and format.
    location: str = ""  # free text: "Pune, India"
    time_zone: str = ""  # an IANA name: "Asia/Kolkata"
    availability: Availability | None = None

    @property
    def work_milestones(self) -> tuple[Milestone, ...]:
        return tuple(m for m in self.milestones if m.kind == "work")

    @property
    def education_milestones(self) -> tuple[Milestone, ...]:
        return tuple(m for m in self.milestones if m.kind == "education")

    @property
    def journey_milestones(self) -> tuple[Milestone, ...]:
        """The milestones that are neither work nor education: the CV lists them as the journey."""
        return tuple(m for m in self.milestones if not m.kind)


@dataclass(frozen=True)
class Content:
    site: Site
    projects: tuple[Project, ...]
    # Every tag used by some project, in first-use order, keyed by slug.
    tags: dict[str, Tag] = field(hash=False)
    # What the owner has still to fill in, as readable sentences.
    missing: tuple[str, ...] = ()

    def project(self, slug: str) -> Project | None:
        return next((p for p in self.projects if p.slug == slug), None)

    def projects_tagged(self, tag_slug: str | None) -> tuple[Project, ...]:
        if tag_slug is None:
            return self.projects
        return tuple(p for p in self.projects if p.has_tag(tag_slug))

    def neighbours(self, project: Project) -> tuple[Project | None, Project | None]:
        index = self.projects.index(project)
        previous = self.projects[index - 1] if index > 0 else None
        following = self.projects[index + 1] if index + 1 < len(self.projects) else None
        return previous, following
