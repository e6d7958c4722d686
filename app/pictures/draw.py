"""The pictures the site draws for itself with Pillow: link previews and icons.

Link previews (1200×630, the size LinkedIn, Slack and X show largest) carry the
owner's name and role, or a project's title and stack, in the site's colours
and the vendored Inter font. Icons repeat static/img/favicon.svg's "HT" mark.
"""

import io
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONTS = Path(__file__).resolve().parent / "fonts"
PREVIEW_SIZE = (1200, 630)

# The site's dark scheme (static/css/site.css): previews sit in feeds of every
# colour, and the dark card with the light accent reads well in all of them.
BACKGROUND = "#0e1013"
SURFACE = "#15181d"
TEXT = "#eceef1"
MUTED = "#a3abb7"
ACCENT = "#4fd1c0"
ACCENT_SOFT = "#12312d"
LINE = "#2a2f37"
MARK = "#0a6e64"  # the favicon's green, the light scheme's accent
MARGIN = 80


@cache
def font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / f"Inter-{weight}.otf"), size)


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and face.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def fitted(text: str, weight: str, sizes: tuple[int, ...], width: int, max_lines: int):
    """The largest size at which text wraps into at most max_lines lines."""
    for size in sizes:
        lines = wrap(text, font(weight, size), width)
        if len(lines) <= max_lines:
            return font(weight, size), lines
    face = font(weight, sizes[-1])
    lines = wrap(text, face, width)[:max_lines]
    while face.getlength(lines[-1] + "…") > width and " " in lines[-1]:
        lines[-1] = lines[-1].rsplit(" ", 1)[0]
    lines[-1] += "…"
    return face, lines


def draw_mark(draw: ImageDraw.ImageDraw, left: int, top: int, size: int, rounded: bool = True) -> None:
    """favicon.svg's mark: a rounded green square with "HT" drawn in strokes, on a 64-unit grid."""
    unit = size / 64
    corner = round(14 * unit) if rounded else 0
    draw.rounded_rectangle((left, top, left + size - 1, top + size - 1), radius=corner, fill=MARK)
    width = max(1, round(6 * unit))
    for x1, y1, x2, y2 in ((16, 18, 16, 46), (16, 32, 30, 32), (30, 18, 30, 46), (38, 18, 52, 18), (45, 18, 45, 46)):
        start = (left + x1 * unit, top + y1 * unit)
        end = (left + x2 * unit, top + y2 * unit)
        draw.line((start, end), fill="white", width=width)
        for x, y in (start, end):  # round caps, as stroke-linecap="round"
            r = width / 2
            draw.ellipse((x - r, y - r, x + r, y + r), fill="white")


@cache
def icon(size: int, rounded: bool = True) -> Image.Image:
    # Drawn larger and scaled down: Pillow's shapes have no anti-aliasing.
    scale = 4 if size <= 64 else 2
    big = Image.new("RGBA", (size * scale, size * scale), (0, 0, 0, 0))
    draw_mark(ImageDraw.Draw(big), 0, 0, size * scale, rounded)
    return big.resize((size, size), Image.LANCZOS)


def icon_png(size: int, rounded: bool = True) -> bytes:
    # iOS rounds the home-screen icon itself and shows transparent corners black: it gets a square.
    return png(icon(size, rounded))


def favicon_ico() -> bytes:
    out = io.BytesIO()
    icon(48).save(out, "ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return out.getvalue()


def canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", PREVIEW_SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, PREVIEW_SIZE[0], 10), fill=ACCENT)
    mark = icon(72)
    image.paste(mark, (MARGIN, 64), mark)
    return image, draw


def signature(draw: ImageDraw.ImageDraw, name: str, role: str) -> None:
    """The owner's name beside the mark, as the site's header shows it."""
    draw.text((MARGIN + 96, 100), name.upper(), font=font("Bold", 30), fill=TEXT, anchor="lm")
    draw.text((MARGIN + 96 + font("Bold", 30).getlength(name.upper()) + 24, 100), role, font=font("Regular", 30), fill=MUTED, anchor="lm")


def home_preview(name: str, role: str, headline: str, lead: str) -> bytes:
    image, draw = canvas()
    signature(draw, name, role)
    width = PREVIEW_SIZE[0] - 2 * MARGIN
    face, lines = fitted(headline, "Bold", (84, 76, 68, 60), width, 3)
    top = 210
    for line in lines:
        draw.text((MARGIN, top), line, font=face, fill=TEXT)
        top += round(face.size * 1.15)
    lead_face, lead_lines = fitted(lead, "Regular", (32,), width, 2)
    top = max(top + 30, PREVIEW_SIZE[1] - 70 - len(lead_lines) * 42)
    for line in lead_lines:
        draw.text((MARGIN, top), line, font=lead_face, fill=ACCENT)
        top += 42
    return png(image)


def case_study_preview(name: str, role: str, number: str, title: str, stack: tuple[str, ...]) -> bytes:
    image, draw = canvas()
    signature(draw, name, role)
    width = PREVIEW_SIZE[0] - 2 * MARGIN
    draw.text((MARGIN, 196), f"CASE STUDY {number}", font=font("Bold", 26), fill=ACCENT)
    face, lines = fitted(title, "Bold", (80, 70, 60, 52), width, 2)
    top = 244
    for line in lines:
        draw.text((MARGIN, top), line, font=face, fill=TEXT)
        top += round(face.size * 1.15)
    # The stack as the site's pills, in as many as fit on two rows.
    pill_font, x, y, rows = font("Regular", 28), MARGIN, 470, 1
    for item in stack:
        pill_width = round(pill_font.getlength(item)) + 40
        if x + pill_width > MARGIN + width:
            if rows == 2:
                break
            x, y, rows = MARGIN, y + 66, rows + 1
        draw.rounded_rectangle((x, y, x + pill_width, y + 50), radius=10, fill=ACCENT_SOFT, outline=LINE)
        draw.text((x + 20, y + 25), item, font=pill_font, fill=ACCENT, anchor="lm")
        x += pill_width + 14
    return png(image)
