"""Read the content files in ``data/`` and build the model, or say everything that is wrong.

Every problem is collected and reported at once, each naming its file and
field, so a typo in the owner's text is a clear list (at start-up in
production, on every page under `make run`, and from `flask content check`)
instead of a traceback from deep inside a template. What each file must hold
is schema.py's; the checks that need several files at once are here.
"""

import dataclasses
import re
import tomllib
from pathlib import Path

from . import schema
from .fields import Fields
from .model import Content, Project
from .tags import Technologies, chosen_slugs, tags_in_use


class ContentError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("invalid content:\n" + "\n".join(f"  - {e}" for e in errors))


def read_toml(path: Path, errors: list[str]) -> dict | None:
    """The file's table, or None (with one error) when it cannot be read as TOML."""
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        errors.append(f"{path}: file not found")
    except OSError as e:  # a folder where a file belongs, or no permission to read it
        errors.append(f"{path}: cannot be read ({e.strerror})")
    except UnicodeDecodeError as e:
        errors.append(f"{path}: not UTF-8 text (byte {e.start} cannot be read)")
    except tomllib.TOMLDecodeError as e:
        message, _, where = str(e).rpartition(" (at ")
        position = re.fullmatch(r"line (\d+), column (\d+)\)", where)
        if position:
            where = f"at line {position[1]}, column {position[2]}"
        else:
            where = "at the end of the file"
        errors.append(f"{path}: not valid TOML {where}: {message or e}")
    return None


def load_project(path: Path, technologies: Technologies, errors: list[str]) -> Project | None:
    data = read_toml(path, errors)
    if data is None:
        return None
    fields = Fields(data, str(path), errors)
    project = schema.project(fields, path, technologies)
    fields.check_unknown_keys()
    return project


def modified_at(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def check_unique(loaded: list[tuple[Path, Project]], errors: list[str]) -> None:
    """A copied file repeats its original's slug and order: the newer file is the one to change."""
    for attribute in ("slug", "order"):
        first: dict = {}
        for path, project in sorted(loaded, key=lambda item: (modified_at(item[0]), str(item[0]))):
            value = getattr(project, attribute)
            if value in first:
                errors.append(f"{path}: {attribute}: {value!r} is also used by {first[value]}, an older file; "
                              f"give this one its own {attribute}")
            else:
                first[value] = path


def load_content(data_dir: Path) -> Content:
    """Load ``site.toml`` and ``projects/*.toml``; raise ContentError listing every problem."""
    errors: list[str] = []
    missing: list[str] = []
    project_paths = sorted((data_dir / "projects").glob("*.toml"))
    if not project_paths:
        errors.append(f"{data_dir / 'projects'}: no project files (*.toml)")
    # A file that is not valid TOML is one error: its fields are not reported missing as well.
    site_data = read_toml(data_dir / "site.toml", errors)
    root = Fields(site_data or {}, str(data_dir / "site.toml"), errors, reported=site_data is None)
    site = schema.site(root, len(project_paths), missing)
    # site.toml's [technology_slugs] names the projects' technologies: read before them, checked after.
    slugs = root.table("technology_slugs", optional=True)
    technologies = Technologies(chosen_slugs(slugs))
    root.check_unknown_keys()
    loaded = [(path, load_project(path, technologies, errors)) for path in project_paths]
    loaded = [(path, project) for path, project in loaded if project is not None]
    # Only once every file is read: an unreadable project may be the one that names the technology.
    if site_data is not None and len(loaded) == len(project_paths):
        technologies.check_chosen(slugs)
    check_unique(loaded, errors)
    if errors:
        raise ContentError(errors)

    ordered = sorted((project for _, project in loaded), key=lambda p: p.order)
    projects = [dataclasses.replace(project, position=n) for n, project in enumerate(ordered, start=1)]
    return Content(site=site, projects=tuple(projects), tags=tags_in_use(projects), missing=tuple(missing))
