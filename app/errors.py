"""Error pages in the site's own style: a page, or a fragment for htmx."""

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from .htmx import VARY, wants_fragment

TITLES = {
    400: "That request could not be understood",
    404: "Page not found",
    405: "That method is not allowed here",
    413: "That was too large to send",
    429: "Too many requests",
    500: "Something went wrong on our side",
    503: "Temporarily unavailable",
}


def render_error(error: HTTPException):
    code = error.code or 500
    template = "errors/_error.html" if wants_fragment() else "errors/error.html"
    body = render_template(
        template,
        code=code,
        title=TITLES.get(code, error.name),
        description=error.description if code < 500 else None,
    )
    response = error.get_response()
    response.set_data(body)
    response.content_type = "text/html; charset=utf-8"
    response.vary.update(VARY)
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)
