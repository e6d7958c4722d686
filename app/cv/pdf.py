"""The CV as a PDF, drawn with WeasyPrint from the CV page's own template.

What an applicant-tracking system needs: real text in reading order (WeasyPrint
lays out the HTML, it does not paint a picture of it), live links, the title,
author and language set, and a structure tree (the PDF/UA-1 variant tags it).
The vendored Inter font is embedded, subset to the glyphs used.
"""

import functools
import hashlib
from pathlib import Path

import weasyprint
from weasyprint.text.fonts import FontConfiguration

from ..config import ROOT
from ..pictures.draw import FONTS

STYLESHEET = ROOT / "static" / "css" / "cv.css"
# Only the font files and the stylesheet are read; nothing is fetched from the network.
FETCHER = weasyprint.URLFetcher(allowed_protocols={"file"})


def font_faces() -> str:
    return "\n".join(
        f'@font-face {{ font-family: Inter; font-weight: {weight}; src: url("{(FONTS / f"Inter-{name}.otf").as_uri()}"); }}'
        for name, weight in (("Regular", 400), ("Bold", 700))
    )


@functools.cache  # the code and the fonts do not change while the process runs
def code_digest() -> bytes:
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(weasyprint.__version__.encode())
    for path in (Path(__file__), *sorted(FONTS.glob("*.otf"))):
        hasher.update(path.read_bytes())
    return hasher.digest()


def key_of(html: str) -> str:
    """The hash of everything that decides the PDF's bytes: it names the PDF's URL.

    The stylesheet is read each time (once per loaded site): `make run` follows edits to static/."""
    hasher = hashlib.blake2b(html.encode(), digest_size=6, key=code_digest())
    hasher.update(STYLESHEET.read_bytes())
    return hasher.hexdigest()


def draw(html: str) -> bytes:
    fonts = FontConfiguration()  # @font-face needs one, given to the stylesheet and the layout alike
    stylesheets = [weasyprint.CSS(string=font_faces(), url_fetcher=FETCHER, font_config=fonts),
                   weasyprint.CSS(filename=str(STYLESHEET), url_fetcher=FETCHER, font_config=fonts)]
    page = weasyprint.HTML(string=html, base_url=ROOT.as_uri() + "/", url_fetcher=FETCHER)
    document = page.render(stylesheets=stylesheets, font_config=fonts)
    # WeasyPrint writes no drawing time and derives the file's identifier from its content, so every
    # process draws the same bytes for the same URL (tests/test_cv.py checks it).
    return document.write_pdf(pdf_variant="pdf/ua-1")
