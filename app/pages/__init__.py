"""The portfolio itself: the home page, the work list and its filter, case studies."""

from flask import Blueprint, Response, abort, request

from ..content import Content
from ..rendering import cached, page_or_fragment
from ..site import current_site

bp = Blueprint("pages", __name__)


def content() -> Content:
    return current_site().content


def selected_tag() -> str | None:
    """The ``?tag=`` filter, or None for all; an unknown tag is a 404."""
    tag = request.args.get("tag")
    if tag is None or tag == "":
        return None
    if tag not in content().tags:
        abort(404, description=f"No project uses the technology “{tag}”.")
    return tag


def work_title(endpoint: str, tag) -> str:
    """The title of the home or work page, filtered or not; site.js gives it to the
    document when the filter swaps the list in place."""
    site = content().site
    if tag is not None:
        return f"Work with {tag.name} — {site.name}"
    if endpoint == "pages.work":
        return f"{site.work_heading} — {site.name}"
    return f"{site.name} — {site.role}"


def work_list(endpoint: str, page: str) -> Response:
    tag = selected_tag()
    selected = content().tags.get(tag)
    return page_or_fragment(
        (endpoint, tag),
        page,
        "pages/_work_list.html",
        canonical_query=f"tag={tag}" if tag else "",
        tag=selected,
        projects=content().projects_tagged(tag),
        filter_endpoint=endpoint,
        page_title=work_title(endpoint, selected),
    )


@bp.get("/")
def home():
    return work_list("pages.home", "pages/home.html")


@bp.get("/work")
def work():
    return work_list("pages.work", "pages/work.html")


@bp.get("/work/<slug>")
def case_study(slug: str):
    project = content().project(slug)
    if project is None:
        abort(404, description="There is no case study at this address.")
    previous, following = content().neighbours(project)
    tag = selected_tag()  # the list the visitor came from, kept for the way back
    return page_or_fragment(
        ("pages.case_study", slug, tag),
        "pages/case_study.html",
        "pages/_case_study.html",
        project=project,
        previous=previous,
        following=following,
        tag=tag,
    )


@bp.get("/sitemap.xml")
def sitemap():
    return cached(("pages.sitemap",), "pages/sitemap.xml", "application/xml; charset=utf-8")


@bp.get("/robots.txt")
def robots():
    return cached(("pages.robots",), "pages/robots.txt", "text/plain; charset=utf-8")
