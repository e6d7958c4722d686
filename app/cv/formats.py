"""The content as the formats recruiters' tools read: JSON Resume and vCard.

One function per format, each from the content model alone; the CV page and
its PDF are one template (templates/cv/). What the owner has not given is left
out, never filled with a placeholder.
"""

from urllib.parse import urlsplit

from ..content import Content
from ..content.model import Milestone, Site

JSON_RESUME_SCHEMA = "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json"


def skills(content: Content) -> list[tuple[int, list[str]]]:
    """The technologies of every project's stack, grouped by how many projects use them, most first."""
    uses: dict[str, int] = {}
    for project in content.projects:
        for tag in project.stack:
            uses[tag.name] = uses.get(tag.name, 0) + 1
    counts = sorted(set(uses.values()), reverse=True)
    return [(count, [name for name, used in uses.items() if used == count]) for count in counts]


def skill_group_label(count: int) -> str:
    return f"In {count} projects" if count > 1 else "In one project"


def link(site: Site, kind: str) -> str:
    return next((l.href for l in site.links if l.kind == kind), "")


def person(site: Site, site_url: str) -> dict:
    """The owner as a schema.org Person: the home page's JSON-LD, and its h-card's fields."""
    return without_empty({
        "@context": "https://schema.org",
        "@type": "Person",
        "name": site.name,
        "jobTitle": site.role,
        "description": site.description,
        "url": site_url + "/",
        "sameAs": [l.href for l in site.links if l.kind != "email"],
        "email": link(site, "email").removeprefix("mailto:"),
        "address": {"@type": "PostalAddress", "addressLocality": site.location} if site.location else {},
    })


def without_empty(entry: dict) -> dict:
    return {key: value for key, value in entry.items() if value not in ("", None, [], {})}


def dates(milestone: Milestone) -> dict:
    return {"startDate": str(milestone.year), "endDate": str(milestone.until) if milestone.until else ""}


def resume(content: Content, site_url: str) -> dict:
    """JSON Resume 1.0.0 (jsonresume.org/schema)."""
    site = content.site
    profiles = [
        {"network": l.label, "username": urlsplit(l.href).path.strip("/").rsplit("/", 1)[-1], "url": l.href}
        for l in site.links if l.kind != "email"
    ]
    basics = without_empty({
        "name": site.name,
        "label": site.role,
        "email": link(site, "email").removeprefix("mailto:"),
        "url": site_url + "/",
        "summary": f"{site.hero_lead} {site.philosophy_text}",
        "location": {"address": site.location} if site.location else {},
        "profiles": profiles,
    })
    work = [
        without_empty({"name": m.organisation, "position": m.position or m.title, **dates(m), "summary": m.text})
        for m in site.work_milestones
    ]
    education = [
        without_empty({"institution": m.organisation, "studyType": m.position, "area": m.title, **dates(m)})
        for m in site.education_milestones
    ]
    projects = [
        without_empty({
            "name": p.title,
            "description": p.outcome,
            "highlights": list(p.challenges),
            "keywords": [tag.name for tag in p.stack],
            "startDate": str(p.year) if p.year else "",
            "entity": p.organisation,
            "url": p.demo or p.repository or f"{site_url}/work/{p.slug}",
        })
        for p in content.projects
    ]
    return without_empty({
        "$schema": JSON_RESUME_SCHEMA,
        "basics": basics,
        "work": work,
        "education": education,
        "projects": projects,
        "skills": [{"name": skill_group_label(count), "keywords": names} for count, names in skills(content)],
        "meta": {"canonical": f"{site_url}/resume.json", "version": "v1.0.0"},
    })


def vcard_text(value: str) -> str:
    """RFC 6350 3.4: backslash, comma, semicolon and newline are escaped in text values."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def folded(line: str) -> str:
    """RFC 6350 3.2: lines longer than 75 octets are folded, never inside a UTF-8 sequence."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def vcard(site: Site, site_url: str, address: str) -> str:
    """A vCard 4.0 (RFC 6350) of the owner; ``address`` is the card's own URL."""
    lines = ["BEGIN:VCARD", "VERSION:4.0", "KIND:individual", f"FN:{vcard_text(site.name)}", f"TITLE:{vcard_text(site.role)}"]
    if email := link(site, "email"):
        lines.append(f"EMAIL;TYPE=work:{email.removeprefix('mailto:')}")
    lines.append(f"URL:{site_url}/")
    # RFC 9554's SOCIALPROFILE says which network a profile is on, as a URL cannot.
    lines += [f"SOCIALPROFILE;SERVICE-TYPE={l.label}:{l.href}" for l in site.links if l.kind != "email"]
    if site.location:
        # The owner's words for where they are, as the locality: splitting them into city and country would be a guess.
        label = site.location.replace('"', "")  # a parameter value is quoted; RFC 6868 has no simpler way to keep a quote
        lines.append(f'ADR;LABEL="{label}":;;;{vcard_text(site.location)};;;')
    if site.time_zone:
        lines.append(f"TZ:{site.time_zone}")
    lines += [f"SOURCE:{address}", "END:VCARD"]
    return "".join(folded(line) + "\r\n" for line in lines)
