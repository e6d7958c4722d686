"""Technologies as tags: each name a project's stack gives, with the slug that filters by it (`/work?tag=nodejs`)."""

import re
import unicodedata
from collections.abc import Iterable

from .fields import Fields, close_match, is_slug, kind_of
from .model import Project, Tag


def tag_slug(name: str) -> str:
    """ "Node.js" -> "nodejs", "STUN/TURN" -> "stun-turn", "C++" -> "cpp", "C#" -> "csharp".

    `+` is spelt `p` and `#` `sharp`, so C, C++ and C# stay three tags; accents
    are dropped ("Pokémon" -> "pokemon"); any other run of punctuation or spaces
    is one hyphen. A name with no ASCII letter or digit has no slug: the owner
    gives it one under [technology_slugs] in site.toml.
    """
    spelt = name.lower().replace("+", "p").replace("#", "sharp").replace(".", "")
    ascii_name = unicodedata.normalize("NFKD", spelt).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")


def chosen_slugs(fields: Fields) -> dict[str, str]:
    """The owner's [technology_slugs]: a slug for a name that has none, or a better one."""
    chosen = {}
    for name, slug in fields.entries().items():
        if not isinstance(slug, str):
            fields.error(f'"{name}"', f"expected text, found {kind_of(slug)}")
        elif not is_slug(slug):
            fields.error(f'"{name}"', "must be lowercase letters, digits and single hyphens")
        else:
            chosen[name] = slug
    return chosen


class Technologies:
    """Every technology the projects name, each with its own tag slug.

    Two different names never share a slug (the filter would merge them), and
    no name is left without one: either is an error naming both names.
    """

    def __init__(self, chosen: dict[str, str]):
        self.chosen = chosen  # name -> slug, the owner's [technology_slugs]
        self.by_slug: dict[str, tuple[Tag, str]] = {}  # slug -> (tag, file that first used it)
        self.named: set[str] = set()  # every name a stack uses, with a slug or not

    def tag(self, name: str, fields: Fields, key: str) -> Tag | None:
        self.named.add(name)
        slug = self.chosen.get(name) or tag_slug(name)
        if not slug:
            fields.error(key, f'"{name}" has no letter or digit to make its tag slug from; '
                              "give it one under [technology_slugs] in site.toml")
            return None
        used = self.by_slug.get(slug)
        if used is None:
            self.by_slug[slug] = (Tag(name, slug), fields.file)
        elif used[0].name != name:
            fields.error(key, f'"{name}" and "{used[0].name}" ({used[1]}) would share the tag slug "{slug}"; '
                              "give one of them its own under [technology_slugs] in site.toml")
            return None
        return self.by_slug[slug][0]

    def check_chosen(self, fields: Fields) -> None:
        """A slug chosen for a name no project uses is a typo or a leftover."""
        for name in self.chosen.keys() - self.named:
            suggestion = close_match(name, self.named)
            hint = f'; did you mean "{suggestion}"?' if suggestion else ""
            fields.error(f'"{name}"', f"no project's stack names this technology{hint}")


def tags_in_use(projects: Iterable[Project]) -> dict[str, Tag]:
    """Every tag some project uses, keyed by slug, in the order the list first shows it."""
    tags: dict[str, Tag] = {}
    for project in projects:
        for tag in project.stack:
            tags.setdefault(tag.slug, tag)
    return tags
