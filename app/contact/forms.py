"""The contact form: what a visitor may send, checked on the server, and
whether it looks sent by a bot.

The browser's own validation (required, maxlength, type=email) is first aid;
these rules are the authority.
"""

import re
import secrets
import unicodedata
from email.header import decode_header, make_header
from email.errors import HeaderParseError

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

LIMITS = {"name": (1, 100), "email": (1, 254), "company": (0, 100), "message": (10, 5000)}
SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
# C0 and C1 controls and DEL; newline and tab are the only ones a person types.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A name or company is one line: line and paragraph separators are controls there too.
SINGLE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Text-direction overrides and isolates can make a name display as something else.
TEXT_DIRECTION = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Line breaks as browsers send them (CRLF) and as pasted text brings them
# (NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR): all are a newline the visitor typed or cannot see.
LINE_BREAK = re.compile(r"\r\n|[\x85\u2028\u2029]")


# What must never reach a terminal or a notification raw: controls (ESC starts
# terminal commands), characters that change the direction text is shown in, and
# every other invisible format character (Unicode's Cf: zero-width spaces and joiners,
# word joiner, byte-order mark, soft hyphen, the TAG block), which can hide text.
INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029"
    # (No Cf character lies between U+20000 and U+E0000, nor above U+E0FFF.)
    + "".join(re.escape(chr(c)) for c in [*range(0xA0, 0x20000), *range(0xE0000, 0xE1000)] if unicodedata.category(chr(c)) == "Cf")
    + "]"
)
# An emoji tag sequence (the flags of England, Scotland, Wales): a black flag, TAG letters, CANCEL TAG.
EMOJI_TAG_SEQUENCE = re.compile("\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F")
ZERO_WIDTH_JOINERS = "\u200c\u200d"  # ZWNJ, ZWJ
# Scripts whose spelling needs ZWJ and ZWNJ inside a word (conjuncts, half forms, joining).
JOINING_SCRIPTS = {
    "ARABIC", "SYRIAC", "NKO", "MONGOLIAN", "DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA",
    "TAMIL", "TELUGU", "KANNADA", "MALAYALAM", "SINHALA", "MYANMAR", "KHMER", "TIBETAN", "THAANA",
}


def _in_joining_script(char: str) -> bool:
    if not unicodedata.category(char).startswith(("L", "M")):
        return False
    return unicodedata.name(char, "").split(" ", 1)[0] in JOINING_SCRIPTS


def _emoji_part(char: str) -> bool:
    # Pictographs, the variation selector that makes one an emoji, and skin-tone modifiers.
    return unicodedata.category(char) == "So" or char == "\ufe0f" or 0x1F3FB <= ord(char) <= 0x1F3FF


def _needed_joiner(text: str, start: int) -> bool:
    """A ZWJ or ZWNJ that writing needs: inside a word of a joining script, or inside an emoji sequence."""
    if text[start] not in ZERO_WIDTH_JOINERS or start == 0 or start + 1 >= len(text):
        return False
    before, after = text[start - 1], text[start + 1]
    if _in_joining_script(before) and _in_joining_script(after):
        return True
    return text[start] == "\u200d" and _emoji_part(before) and _emoji_part(after)


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape_invisible(text: str, keep: str = "") -> str:
    """The text with each invisible character shown as an escape (\\x1b, \\u202e, \\u200b), except those in
    ``keep``, joiners that writing needs and emoji tag sequences."""
    out, position = [], 0
    for match in INVISIBLE.finditer(text):
        start = match.start()
        out.append(text[position:start])
        position = start + 1
        char = text[start]
        if char in keep or _needed_joiner(text, start) or _inside_tag(text, start):
            out.append(char)
        else:
            out.append(_escaped(char))
    out.append(text[position:])
    return "".join(out)


def _inside_tag(text: str, start: int) -> bool:
    """Whether the TAG character at ``start`` belongs to an emoji tag sequence."""
    if not 0xE0020 <= ord(text[start]) <= 0xE007F:
        return False
    flag = text.rfind("\U0001F3F4", 0, start)
    return flag != -1 and (tag := EMOJI_TAG_SEQUENCE.match(text, flag)) is not None and tag.end() > start


def hidden_characters(text: str) -> bool:
    """Whether the text holds an invisible character that escape_invisible would show escaped."""
    return escape_invisible(text) != text


def trimmed(value):
    return value.strip() if isinstance(value, str) else value


def normalise_newlines(value):
    return LINE_BREAK.sub("\n", value) if isinstance(value, str) else value


def no_control_characters(single_line: bool):
    pattern = SINGLE_LINE_CONTROL if single_line else CONTROL
    allowed = "" if single_line else " (line breaks and tabs are fine)"

    def check(form, field):
        if field.data and pattern.search(field.data):
            raise ValidationError(f"Please remove the invisible control characters{allowed}.")

    return check


def no_text_direction_characters(form, field):
    if field.data and TEXT_DIRECTION.search(field.data):
        raise ValidationError(
            "Please remove the invisible text-direction characters (U+202A to U+202E, U+2066 to U+2069): "
            "they can make text display in a different order than it was written."
        )


def no_invisible_characters(form, field):
    if field.data and hidden_characters(field.data):
        raise ValidationError(
            "Please remove the invisible characters (such as zero-width spaces, U+200B): they can hide "
            "part of what is written. Joiners inside words of scripts that need them, and emoji, are fine."
        )


# An RFC 2047 encoded word (=?charset?q?...?=): mail clients decode it in a header into
# whatever it encodes, line breaks and direction overrides included.
ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def decoded_words(value):
    """The text with encoded words decoded, so the checks see what a mail client would show.

    An encoded word that cannot be decoded (an unknown charset, bad base64) is left for
    ``no_encoded_words`` to refuse.
    """
    if not isinstance(value, str):
        return value
    for _ in range(3):  # an encoded word may decode into another; more than that is refused
        if not ENCODED_WORD.search(value):
            return value
        try:
            value = str(make_header(decode_header(value)))
        except (LookupError, HeaderParseError, UnicodeDecodeError, ValueError):
            return value
    return value


def no_encoded_words(form, field):
    if field.data and ENCODED_WORD.search(field.data):
        raise ValidationError("Please write this as plain text: a sequence like =?utf-8?q?...?= is not accepted here.")


def length(field_name: str, label: str):
    low, high = LIMITS[field_name]

    def check(form, field):
        size = len(field.data or "")
        if size < low:
            raise ValidationError(
                f"Please enter your {label}." if low == 1 else f"Please write at least {low} characters ({size} so far)."
            )
        if size > high:
            raise ValidationError(f"Please keep this to {high} characters or fewer ({size} now).")

    return check


def email_address(form, field):
    if not field.data or len(field.data) > LIMITS["email"][1]:
        return  # the length check has already said what is wrong
    try:
        # Syntax only: no DNS in a request. A non-ASCII domain has an ASCII form (IDNA) every mail
        # server takes; a non-ASCII part before the @ needs SMTPUTF8, which many do not offer.
        validate_email(field.data, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        if not field.data.split("@")[0].isascii():
            raise ValidationError(
                "Please give an address with only Latin letters, digits and . _ - + before the @ "
                "(the part after it may be in any script): many mail servers cannot deliver a reply "
                "to letters such as ë or 中 there."
            ) from None
        raise ValidationError(f"Please check this address: {error}") from None


def one_line_field(label: str, name: str, described_as: str, *more_checks) -> StringField:
    checks = [no_control_characters(single_line=True), no_encoded_words, length(name, described_as), *more_checks]
    return StringField(label, filters=[decoded_words, trimmed], validators=checks)


class ContactForm(FlaskForm):
    name = one_line_field("Name", "name", "name", no_text_direction_characters, no_invisible_characters)
    email = one_line_field("E-mail", "email", "e-mail address", email_address)
    company = one_line_field("Company", "company", "company", no_text_direction_characters, no_invisible_characters)
    message = TextAreaField(
        "Message",
        filters=[normalise_newlines, trimmed],
        validators=[no_control_characters(single_line=False), length("message", "message")],
    )
    # The honeypot: hidden from people and assistive technology, so anything in it came from a bot.
    website = StringField("Website")
    # When the form was rendered, signed, for the minimum-time trap.
    rendered_at = HiddenField()
    # One key per form: posting it twice stores one message.
    submission_key = HiddenField(validators=[InputRequired()])

    def validate_submission_key(self, field):
        if not SUBMISSION_KEY.match(field.data or ""):
            raise ValidationError("This form is incomplete; please send it again.")

    def cleaned(self) -> dict:
        return {name: getattr(self, name).data or "" for name in ("name", "email", "company", "message")}

    @property
    def first_error_field(self) -> str | None:
        return next((f.name for f in self if f.errors and f.name in LIMITS), None)


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


# --- whether a person sent it -------------------------------------------------------

# The signed form time lasts as long as the form's CSRF token (a week): a page
# left open for hours still sends, a form fetched once cannot be kept for ever.
FORM_TIME_MAX_AGE = 7 * 24 * 3600


class FormTimeExpired(Exception):
    """The form was rendered longer ago than FORM_TIME_MAX_AGE."""


def signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="contact-form-rendered-at")


def sign_form_time(form: ContactForm) -> None:
    """Sign now, bound to this form's submission key: the time cannot be moved to
    another key, and the key stores one message, so a fetched form is used once."""
    form.rendered_at.data = signer().sign(form.submission_key.data or "").decode()


def new_form() -> ContactForm:
    form = ContactForm(formdata=None)
    form.submission_key.data = new_submission_key()
    sign_form_time(form)
    return form


def seconds_since_rendered(form: ContactForm) -> float | None:
    """How long the visitor had the form, or None if the signed time is missing,
    forged or signed for another submission key. Raises FormTimeExpired."""
    clock = signer()
    try:
        key, signed_at = clock.unsign(form.rendered_at.data or "", max_age=FORM_TIME_MAX_AGE, return_timestamp=True)
    except SignatureExpired:
        raise FormTimeExpired() from None
    except BadSignature:
        return None
    if key.decode() != form.submission_key.data:
        return None
    return clock.get_timestamp() - signed_at.timestamp()


def spam_verdict(form: ContactForm) -> str:
    """The status a valid submission is stored with: new, suspect or spam.

    The honeypot and a missing or forged signed time are bots' work: spam.
    Sent faster than the minimum time alone may be a person who used autofill
    and pasted their message: suspect, which the owner still hears of.
    """
    if form.website.data:
        return "spam"
    minimum = current_app.config["CONTACT_MIN_SECONDS"]
    if minimum <= 0:
        return "new"
    age = seconds_since_rendered(form)
    if age is None:
        return "spam"
    return "suspect" if age < minimum else "new"
