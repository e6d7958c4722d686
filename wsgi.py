"""The WSGI entry point, and the app ``flask`` finds with no ``--app``."""

import sys

from app import create_app
from app.content import ContentError

try:
    app = create_app()
except ContentError as error:
    # The list of what is wrong in data/, not a traceback.
    sys.exit(f"Cannot start: {error}")
