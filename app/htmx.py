"""What htmx asked for: the whole page, or only a fragment of it.

htmx-flask (its ``Htmx`` extension, ``request.htmx``) reads htmx's request
headers. It predates htmx 4, so two things are kept by hand here:
``HX-Request-Type`` (htmx 4's "full" or "partial") is read directly, and the
``Vary`` header every such response needs is ours to name (VARY), since
htmx-flask adds none.
"""

from flask import Flask, request
from htmx_flask import Htmx

# Every response whose body depends on these headers names them in Vary, so
# no cache ever hands a fragment to a visitor who asked for a page.
VARY = ("HX-Request", "HX-Request-Type", "HX-History-Restore-Request")


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of the page.

    A history restore (htmx 4 re-fetches the page on back/forward) and a
    request that targets the whole body (``HX-Request-Type: full``) get the page.
    """
    htmx = request.htmx
    return bool(htmx) and not htmx.history_restore_request and request.headers.get("HX-Request-Type") != "full"


def init_app(app: Flask) -> None:
    Htmx(app)  # gives every request its request.htmx
