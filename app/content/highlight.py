"""The principles section's code snippet, highlighted once at load, never in the browser."""

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound


def highlighted(code: str, language: str) -> Markup | None:
    """``code`` as HTML spans with Pygments' classes, or None for a language Pygments does not know."""
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return None
    # nowrap: the template owns the <pre><code>; classes, not inline styles, keep the CSP strict.
    return Markup(highlight(code.strip("\n"), lexer, HtmlFormatter(nowrap=True)).rstrip("\n"))
