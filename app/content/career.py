"""The optional fields a recruiter's formats need (CV, JSON Resume, vCard, h-card).

All of them are the owner's to give: while one is unset it is listed as a gap
by `flask content check` and left out of every page and format, never guessed
or shown as a placeholder. schema.py reads them with the rest of the files.
"""

import functools
import zoneinfo

from .fields import Fields
from .model import Availability, Milestone

MILESTONE_KINDS = ("work", "education")


@functools.cache
def time_zones() -> frozenset[str]:
    # The tzdata package backs zoneinfo where the system has no time zone files (slim images).
    return frozenset(zoneinfo.available_timezones())


def identity_extras(identity: Fields, missing: list[str]) -> tuple[str, str]:
    """identity.location (free text) and identity.time_zone (an IANA name)."""
    path = identity.file
    location = identity.text("location", optional=True)
    time_zone = identity.text("time_zone", optional=True)
    if time_zone and time_zone not in time_zones():
        identity.error("time_zone", f'"{time_zone}" is not an IANA time zone name, such as "Asia/Kolkata" or "Europe/Berlin"')
        time_zone = ""
    if not location:
        missing.append(f"{path}: identity.location: where you are (a city and country) is not set, so the CV, vCard and h-card leave it out")
    if "time_zone" not in identity.data:
        missing.append(f"{path}: identity.time_zone: your time zone (such as \"Asia/Kolkata\") is not set, so it is left out")
    return location, time_zone


def availability(root: Fields, missing: list[str]) -> Availability | None:
    """The [availability] table, or None when the owner has not said."""
    path = root.file
    if "availability" not in root.data:
        root.known.add("availability")
        missing.append(f"{path}: availability: whether you are open to opportunities is not said, so the site and CV say nothing of it")
        return None
    table = root.table("availability")
    is_open = table.boolean("open_to_opportunities")
    looking_for = table.texts("looking_for", optional=True)
    starting = table.text("starting", optional=True)
    replies = table.text("replies", optional=True)
    if is_open is None:
        return None
    return Availability(is_open, looking_for, starting, replies)


def milestone_entry(milestone: Fields, missing: list[str]) -> dict:
    """What makes a milestone a CV entry: its kind, organisation, position and end year."""
    kind = milestone.text("kind", optional=True)
    if kind and kind not in MILESTONE_KINDS:
        milestone.error("kind", f'expected "work" or "education", found "{kind}"')
        kind = ""
    organisation = milestone.text("organisation", optional=True)
    if kind and not organisation:
        missing.append(f"{milestone.file}: {milestone.prefix}organisation: the {kind} has no organisation, so the CV names none")
    return {
        "kind": kind,
        "organisation": organisation,
        "position": milestone.text("position", optional=True),
        "until": milestone.integer("until", optional=True),
    }


def unkinded_milestones(path: str, milestones: tuple[Milestone, ...], missing: list[str]) -> None:
    if all(not m.kind for m in milestones):
        missing.append(f"{path}: journey.milestones: no milestone says whether it is work or education (kind), "
                       "so the CV lists the journey as it is, without Experience and Education")


def project_entry(fields: Fields) -> dict:
    return {
        "organisation": fields.text("organisation", optional=True),
        "year": fields.integer("year", optional=True),
    }
