"""The reference a sender is given for their message, and reading one back."""

import base64
import hashlib
import re


def reference_for(submission_key: str) -> str:
    """A short reference to quote to the sender, derived from the one-time key.

    Not the row id, which would tell anyone how many messages the owner gets.
    """
    digest = hashlib.blake2b(submission_key.encode(), digest_size=5).digest()
    return base64.b32encode(digest).decode()


# What reference_for gives: eight characters of base32's alphabet.
REFERENCE = re.compile(r"[A-Z2-7]{8}")


def parse_reference(text: str, *, any_case: bool) -> str | None:
    """The reference ``text`` is (upper case), or None.

    The owner types a reference as they read it, so ``any_case`` takes lower
    case too; the thanks page shows only one the site wrote itself, exactly.
    """
    if any_case and text.isascii():  # "ß".upper() is "SS": only ASCII is folded
        text = text.upper()
    return text if REFERENCE.fullmatch(text) else None
