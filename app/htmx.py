"""What htmx asked for: the whole page, or only a fragment of it.

htmx-flask's HtmxHeaders reads htmx's request headers, here and nowhere else;
it predates htmx 4, so ``HX-Request-Type`` is read directly.
"""

from flask import request
from htmx_flask.requests import HtmxHeaders

# Every response whose body depends on these headers names them in Vary, so
# no cache ever hands a fragment to a visitor who asked for a page.
VARY = ("HX-Request", "HX-Request-Type", "HX-History-Restore-Request")


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of the page.

    A history restore (htmx 4 re-fetches the page on back/forward) and a
    request that targets the whole body (``HX-Request-Type: full``) get the page.
    """
    htmx = HtmxHeaders(request.headers)
    return bool(htmx) and not htmx.history_restore_request and request.headers.get("HX-Request-Type") != "full"
