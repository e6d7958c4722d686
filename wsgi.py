"""The WSGI entry point, and the app ``flask`` finds with no ``--app``."""

import sys

from app import create_app
from app.config import ConfigError
from app.content import ContentError

try:
    app = create_app()
except (ContentError, ConfigError) as error:
    # What is wrong, in a sentence or a list, not a traceback.
    sys.exit(f"Cannot start: {error}")
