"""Settings, read from the environment once at start-up.

Every variable is listed, with its default, in the README's Configuration section.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def from_environment(environ=os.environ) -> dict:
    env = environ.get("APP_ENV", "development")
    return {
        "APP_ENV": env,
        "SECRET_KEY": environ.get("SECRET_KEY"),
        "CONTENT_DIR": environ.get("CONTENT_DIR", str(ROOT / "data")),
        "SITE_URL": environ.get("SITE_URL", "").rstrip("/"),
        "DATABASE_PATH": environ.get("DATABASE_PATH"),
    }
