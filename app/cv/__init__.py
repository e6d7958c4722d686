"""What a recruiter files, all from the content: the CV as a page and a PDF,
JSON Resume, and a vCard.

GET /cv                 the CV page (templates/cv/page.html)
GET /cv.pdf             redirects to the PDF's current address:
GET /cv.<hash>.pdf      the same CV, drawn by WeasyPrint (pdf.py), immutable
GET /resume.json        JSON Resume 1.0.0
GET /<owner>.vcf        a vCard 4.0, named after the owner: /harsh-tiwari.vcf

Like the link-preview pictures (app/pictures), the PDF is drawn once per process,
the first time it is needed (its size is on the home page's link), under a
lock so concurrent first requests wait for one drawing; its URL carries a hash
of everything that decides its bytes, so it is served as immutable and an old
hash is a 404.
"""

import json
import threading
from dataclasses import dataclass, field

from flask import Blueprint, Flask, abort, redirect, render_template, url_for

from ..assets import IMMUTABLE, REVALIDATE
from ..content import tag_slug
from ..rendering import HTML, PAGE_CACHE_CONTROL, cached
from ..responses import Encoded, encode, respond
from ..site import current_site, site_of
from . import formats, pdf

bp = Blueprint("cv", __name__)

# Drawn PDFs are the same in every app of a process (tests create many): keyed by hash.
_drawn: dict[str, Encoded] = {}
_drawing = threading.Lock()


@dataclass
class Exports:
    """The loaded site's exports, made on first use and kept with it (app/site.py)."""

    pdf_html: str = ""
    pdf_key: str = ""
    made: dict = field(default_factory=dict)

    def pdf(self) -> Encoded:
        if not self.pdf_key:
            self.pdf_html = render_template("cv/pdf.html")
            self.pdf_key = pdf.key_of(self.pdf_html)
        if self.pdf_key not in _drawn:
            with _drawing:
                if self.pdf_key not in _drawn:  # another request drew it while this one waited
                    _drawn[self.pdf_key] = encode(pdf.draw(self.pdf_html), "application/pdf")
        return _drawn[self.pdf_key]

    def pdf_label(self) -> str:
        """What the PDF's links say: "CV, PDF, 48 KB"."""
        return f"CV, PDF, {max(1, round(len(self.pdf().identity) / 1024))} KB"

    def once(self, name: str, make) -> Encoded:
        if name not in self.made:
            self.made[name] = make()
        return self.made[name]


def exports() -> Exports:
    return current_site().exports


def vcard_name() -> str:
    return tag_slug(current_site().content.site.name) or "contact"


@bp.get("/cv")
def page():
    return cached(("cv.page",), "cv/page.html", HTML)


@bp.get("/cv.pdf")
def pdf_now():
    # A stable address for the newest PDF: links and bookmarks never go stale.
    exports().pdf()
    response = redirect(url_for("cv.pdf_file", key=exports().pdf_key))
    response.headers["Cache-Control"] = REVALIDATE
    return response


@bp.get("/cv.<key>.pdf")
def pdf_file(key: str):
    found = exports()
    body = found.pdf()
    if key != found.pdf_key:
        abort(404, description="This CV has been replaced; the newest is at /cv.pdf.")
    response = respond(body, "application/pdf", IMMUTABLE)
    response.headers["Content-Disposition"] = f'inline; filename="{vcard_name()}-cv.pdf"'
    return response


@bp.get("/resume.json")
def resume():
    site_url = current_site().url
    body = exports().once("resume", lambda: encode(
        json.dumps(formats.resume(current_site().content, site_url), ensure_ascii=False, indent=2).encode(), "application/json"))
    return respond(body, "application/json", PAGE_CACHE_CONTROL)


@bp.get("/<name>.vcf")
def vcard(name: str):
    if name != vcard_name():
        abort(404, description="There is no contact card at this address.")
    site_url = current_site().url
    address = site_url + url_for("cv.vcard", name=name)
    body = exports().once("vcard", lambda: encode(
        formats.vcard(current_site().content.site, site_url, address).encode(), "text/vcard; charset=utf-8"))
    response = respond(body, "text/vcard; charset=utf-8", PAGE_CACHE_CONTROL)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.vcf"'
    return response


def files() -> dict:
    """The links the hero, the contact section and the CV page show."""
    return {
        "cv": url_for("cv.page"),
        "pdf": url_for("cv.pdf_now"),
        "pdf_label": exports().pdf_label(),
        "vcard": url_for("cv.vcard", name=vcard_name()),
        "resume": url_for("cv.resume"),
    }


def draw_ahead(app: Flask) -> None:
    """Production: draw the PDF while the worker starts, not in its first visitor's request for /
    (the home page's links say the PDF's size, so that render would wait seconds for it).
    Called once the app is complete: the drawing renders templates, which use every blueprint's URLs."""
    if app.config["APP_ENV"] != "production" or site_of(app).content is None:
        return

    def draw():
        with app.test_request_context():
            exports().pdf()

    threading.Thread(target=draw, name="cv-pdf", daemon=True).start()


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(cv_files=files,
                                 cv_person=lambda: formats.person(current_site().content.site, current_site().url),
                                 cv_skills=lambda: formats.skills(current_site().content),
                                 skill_group_label=formats.skill_group_label)
