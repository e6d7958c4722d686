"""/cv and /cv.pdf: the CV as a page and as a PDF, from the content alone.

The PDF is read the way an applicant-tracking system reads it (poppler's
pdftotext), and checked for what a reader needs: its pages, fonts, links,
title, author, language and structure tree.
"""

import io
import re
import shutil
import subprocess
import threading

import pytest
from pypdf import PdfReader

from app.cv import _drawn, pdf
from tests.cv_support import EMAIL, GITHUB, LINKEDIN, SITE_URL, fill_in
from tests.html import soup, text

PDF_HEADINGS = ["SUMMARY", "PROFESSIONAL JOURNEY", "SELECTED PROJECTS", "SKILLS"]
MILESTONES = [
    "Beginning the Engineering Journey", "Building Through Practice", "Expanding into Software Systems",
    "Real-Time Platforms & Infrastructure", "Associate Engineer at L&T Technology Services",
]


@pytest.fixture
def filled(content_dir, make_app):
    """A client on content with every optional field set."""
    fill_in(content_dir)
    return make_app(CONTENT_DIR=str(content_dir)).test_client()


def pdf_of(client) -> bytes:
    moved = client.get("/cv.pdf")
    assert moved.status_code == 302
    response = client.get(moved.headers["Location"])
    assert response.status_code == 200 and response.content_type == "application/pdf"
    return response.data


def poppler(tool: str, data: bytes, tmp_path, *options) -> str:
    file = tmp_path / "cv.pdf"
    file.write_bytes(data)
    return subprocess.run([tool, *options, str(file), *(["-"] if tool == "pdftotext" else [])],
                          capture_output=True, text=True, check=True, timeout=60).stdout


def in_order(text: str, parts: list[str]) -> bool:
    positions = [text.find(part) for part in parts]
    return -1 not in positions and positions == sorted(positions)


def test_cv_page_has_every_section_from_the_content(client):
    page = soup(client.get("/cv"))
    assert page.h1.get_text() == "Harsh Tiwari"
    assert [h.get_text() for h in page.select(".cv h2")] == ["Summary", "Professional Journey", "Selected projects", "Skills"]
    assert [h.get_text() for h in page.select("#cv-journey ~ ol h3")] == MILESTONES
    assert len(page.select("section[aria-labelledby=cv-projects] li")) == 5
    assert "Stack: Python · FastAPI · WebSocket · Binance API · Docker · Rich" in text(client.get("/cv"))
    skills = {dt.get_text(): dd.get_text() for dt, dd in zip(page.select(".cv-skills dt"), page.select(".cv-skills dd"))}
    assert skills["In 2 projects"] == "WebSocket · Docker · Node.js · React"


def test_with_todays_content_nothing_unknown_is_shown(client):
    for path in ("/cv", "/"):
        page = soup(client.get(path))
        words = " ".join(page.get_text(" ").split())
        for heading in page.select("h1, h2, h3"):
            assert heading.get_text(strip=True), f"empty heading on {path}"
        assert "undefined" not in words and "None" not in words
        assert not re.search(r"(?<![\d.:])0(?![\d.:])", words), words  # no zero standing for something unknown
        assert not page.select(".availability, .cv-where")
    assert [h.get_text() for h in soup(client.get("/cv")).select("h2")] == ["Summary", "Professional Journey", "Selected projects", "Skills"]


def test_filled_in_cv_has_experience_education_location_and_availability(filled):
    page = soup(filled.get("/cv"))
    assert [h.get_text() for h in page.select(".cv h2")] == [
        "Summary", "Experience", "Education", "Professional Journey", "Selected projects", "Skills"]
    assert page.select_one("#cv-experience ~ ol .cv-meta").get_text() == "2025 · L&T Technology Services · Associate Engineer"
    assert page.select_one("#cv-education ~ ol .cv-meta").get_text() == "2021–2025 · Example Institute of Technology · Bachelor of Technology"
    assert [h.get_text() for h in page.select("#cv-journey ~ ol h3")] == MILESTONES[1:4]  # the rest are entries above
    assert page.select_one(".cv-where").get_text() == "Pune, India · Asia/Kolkata time"
    assert page.select_one(".cv .availability").get_text() == (
        "Open to opportunities: backend and systems roles, permanent, remote or on site in Pune, from March 2027. "
        "Answers messages within two working days.")
    assert [a["href"] for a in page.select(".cv-links a")] == [SITE_URL + "/", f"mailto:{EMAIL}", GITHUB, LINKEDIN]


def test_availability_is_one_line_near_the_form_once_set(client, filled):
    assert not soup(client.get("/")).select("#contact .availability")
    line = soup(filled.get("/")).select_one("#contact .availability")
    assert line.get_text().startswith("Open to opportunities: backend and systems roles")
    assert line.find_next_sibling(class_="contact-slot") is not None


def test_hero_and_contact_link_the_cv_its_pdf_with_its_size_and_the_vcard(client):
    size = len(pdf_of(client))
    for where in (".hero", "#contact"):
        links = {a.get_text(): a["href"] for a in soup(client.get("/")).select(f"{where} .files a")}
        assert links == {"CV": "/cv", f"CV, PDF, {round(size / 1024)} KB": "/cv.pdf", "Contact card, vCard": "/harsh-tiwari.vcf"}


def test_pdf_is_two_a4_pages_at_most_with_embedded_fonts_title_author_and_language(client, tmp_path):
    data = pdf_of(client)
    info = poppler("pdfinfo", data, tmp_path)
    assert int(re.search(r"Pages:\s+(\d+)", info)[1]) <= 2
    assert "595.276 x 841.89 pts (A4)" in info
    assert re.search(r"Title:\s+Harsh Tiwari — CV", info) and re.search(r"Author:\s+Harsh Tiwari", info)
    assert re.search(r"Tagged:\s+yes", info)
    catalog = PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert catalog["/Lang"] == "en" and catalog["/MarkInfo"]["/Marked"]
    structure = poppler("pdfinfo", data, tmp_path, "-struct")
    assert structure.startswith("Document") and structure.count("H2 (block)") == len(PDF_HEADINGS)
    fonts = poppler("pdffonts", data, tmp_path).splitlines()[2:]
    assert fonts and all("Inter" in line for line in fonts)
    assert all(line.split()[-5:-3] == ["yes", "yes"] for line in fonts)  # embedded, subset


def test_pdf_text_has_every_heading_and_milestone_in_reading_order(client, tmp_path):
    extracted = " ".join(poppler("pdftotext", pdf_of(client), tmp_path).split())
    assert in_order(extracted, ["Harsh Tiwari", "Software Engineer", *PDF_HEADINGS[:2], *MILESTONES, *PDF_HEADINGS[2:]])
    assert in_order(extracted, ["L1 Market Data Engine", "Crypto Exchange", "WebRTC Video Platform", "Write",
                                "Interactive Sun Ray Casting Simulation"])


def test_filled_in_pdf_links_the_site_github_and_linkedin(filled, tmp_path):
    data = pdf_of(filled)
    uris = [annotation.get_object()["/A"]["/URI"] for page in PdfReader(io.BytesIO(data)).pages
            for annotation in page.get("/Annots", [])]
    for address in (SITE_URL + "/", GITHUB, LINKEDIN, f"mailto:{EMAIL}"):
        assert address in uris
    extracted = " ".join(poppler("pdftotext", data, tmp_path).split())
    assert in_order(extracted, ["EXPERIENCE", "Associate Engineer at L&T Technology Services", "EDUCATION",
                                "Beginning the Engineering Journey", "PROFESSIONAL JOURNEY", "Building Through Practice"])
    assert "Open to opportunities" in extracted and "Pune, India" in extracted
    assert int(re.search(r"Pages:\s+(\d+)", poppler("pdfinfo", data, tmp_path))[1]) <= 2


def test_pdf_is_immutable_at_its_hash_and_a_stale_hash_is_a_404(client, content_dir, make_app):
    moved = client.get("/cv.pdf")
    assert moved.headers["Cache-Control"] == "public, max-age=300"
    address = moved.headers["Location"]
    assert re.fullmatch(r"/cv\.[0-9a-f]{12}\.pdf", address)
    response = client.get(address)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get("/cv.000000000000.pdf").status_code == 404
    # A changed CV is a new address; the old one is gone.
    site = content_dir / "site.toml"
    site.write_text(site.read_text().replace('role = "Software Engineer"', 'role = "Systems Engineer"'))
    changed = make_app(CONTENT_DIR=str(content_dir)).test_client()
    new_address = changed.get("/cv.pdf").headers["Location"]
    assert new_address != address
    assert changed.get(address).status_code == 404
    assert changed.get(new_address).data != response.data


def test_an_edit_to_the_cv_stylesheet_gives_the_pdf_a_new_address(make_app, monkeypatch, tmp_path):
    # make run follows edits to static/: the PDF's immutable address must follow its stylesheet too.
    stylesheet = tmp_path / "cv.css"
    shutil.copy(pdf.STYLESHEET, stylesheet)
    monkeypatch.setattr(pdf, "STYLESHEET", stylesheet)
    before = make_app().test_client().get("/cv.pdf").headers["Location"]
    stylesheet.write_text(stylesheet.read_text() + "\nh1 { letter-spacing: 0.01em; }\n")
    assert make_app().test_client().get("/cv.pdf").headers["Location"] != before


def test_every_process_draws_the_same_bytes(client):
    # No drawing time in the file: two workers serve one immutable URL with the same bytes.
    first = pdf_of(client)
    _drawn.clear()
    assert pdf_of(client) == first


def test_fifty_concurrent_first_requests_draw_the_pdf_once(make_app, monkeypatch):
    drawn = []
    real_draw = pdf.draw
    monkeypatch.setattr(pdf, "draw", lambda html: drawn.append(html) or real_draw(html))
    _drawn.clear()
    app = make_app()
    address = app.test_client().get("/cv.pdf").headers["Location"]
    assert len(drawn) == 1
    _drawn.clear()
    drawn.clear()
    app = make_app()
    statuses = []
    start = threading.Barrier(50)

    def first_request():
        client = app.test_client()
        start.wait()
        statuses.append(client.get(address).status_code)

    threads = [threading.Thread(target=first_request) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [200] * 50
    assert len(drawn) == 1
