"""Request bodies: bounded, and only of the kind the site's one form sends.

These hold whether or not a proxy stands in front (some deployments run
granian alone), so a crafted request gets a 4xx, never a 500 or a silently
truncated form.
"""

import io

from flask import Flask, abort, current_app, request


def read_unsized_body() -> None:
    """A chunked body has no Content-Length to check against the limit, and
    Werkzeug reads one only when the server says it ends it (wsgi.input_terminated),
    else sees it empty without a word: read it here, up to the limit, and
    refuse it whole when it is larger, as a sized one is."""
    environ = request.environ
    if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    body = environ["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        abort(413)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    del environ["HTTP_TRANSFER_ENCODING"]


def refuse_files() -> None:
    # No form here takes a file; WTForms would hand the upload to a text check.
    if request.mimetype == "multipart/form-data" and request.files:
        abort(400, description="This form takes text only, not files.")


def init_app(app: Flask) -> None:
    # Before any other hook reads the form (the CSRF check does).
    app.before_request(read_unsized_body)
    app.before_request(refuse_files)
