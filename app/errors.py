"""Error pages in the site's own style: a page, or a fragment for htmx.

No traceback or framework banner ever reaches a visitor: Flask logs it.
Unlike pages, error bodies are rendered per request: some quote what the
visitor asked for (an unknown tag), and caching those would let anyone grow
the cache without bound.
"""

from pathlib import Path

import click
from flask import Flask, Response, current_app, render_template
from werkzeug.exceptions import HTTPException, default_exceptions

from .htmx import VARY, wants_fragment

TITLES = {
    400: "That request could not be understood",
    404: "Page not found",
    405: "That method is not allowed here",
    413: "That was too large to send",
    414: "That address is too long",
    429: "Too many requests",
    500: "Something went wrong on our side",
    502: "The site is restarting",
    503: "Temporarily unavailable",
    504: "The site took too long to answer",
}
DESCRIPTIONS = {
    400: "Please go back and try again.",
    404: "There is nothing at this address. It may have moved, or the link may be mistyped.",
    405: "This address only answers to a browser reading it.",
    413: "Messages are limited to 5,000 characters; please shorten yours and send it again.",
    414: "No page here has an address that long. It may have been mistyped or cut and pasted twice.",
    429: "Please wait a moment, then try again.",
}
# The errors nginx answers itself, in front of the app (deploy/nginx.conf.template's error_page).
PROXY_ERRORS = (400, 413, 414, 429, 502, 504)


def render_error(error: HTTPException) -> Response:
    code = error.code or 500
    fragment = wants_fragment()
    # Our own abort() descriptions are written for visitors; werkzeug's defaults are not.
    description = error.description if code < 500 and error.description != type(error).description else None
    body = render_template(
        "errors/_error.html" if fragment else "errors/error.html",
        code=code,
        title=TITLES.get(code, error.name),
        description=description or DESCRIPTIONS.get(code),
    )
    response = Response(body, code, content_type="text/html; charset=utf-8")
    for name, value in error.get_headers():
        if name.lower() in ("allow", "retry-after"):
            response.headers[name] = value
    response.headers["Cache-Control"] = "no-store" if code >= 500 else "public, max-age=0, must-revalidate"
    response.vary.update(VARY)
    return response


def init_app(app: Flask) -> None:
    # HTTPException covers every error status, and Flask wraps any unhandled
    # exception in InternalServerError (after logging its traceback) before it gets here.
    app.register_error_handler(HTTPException, render_error)
    app.cli.add_command(error_pages_command)


@click.command("error-pages")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def error_pages_command(folder: Path) -> None:
    """Write the error pages nginx answers itself (400.html, 413.html ...) into FOLDER, for make serve."""
    folder.mkdir(parents=True, exist_ok=True)
    for code in PROXY_ERRORS:
        with current_app.test_request_context():
            body = render_error(default_exceptions[code]()).get_data()
        (folder / f"{code}.html").write_bytes(body)
        (folder / f"{code}.html").chmod(0o644)
    folder.chmod(0o755)
