"""The contact form: what a visitor may send, checked on the server, and
whether it looks sent by a bot.

The browser's own validation (required, maxlength, type=email) is first aid;
these rules are the authority.
"""

import re
import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

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
# terminal commands), and characters that change the direction text is shown in.
INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_invisible(text: str, keep: str = "") -> str:
    """The text with each invisible control shown as an escape (\\x1b, \\u202e), except those in ``keep``."""
    def shown(match):
        char = match.group()
        if char in keep:
            return char
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"

    return INVISIBLE.sub(shown, text)


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
        validate_email(field.data, check_deliverability=False)  # syntax only: no DNS in a request
    except EmailNotValidError as error:
        raise ValidationError(f"Please check this address: {error}") from None


def one_line_field(label: str, name: str, described_as: str, *more_checks) -> StringField:
    checks = [no_control_characters(single_line=True), length(name, described_as), *more_checks]
    return StringField(label, filters=[trimmed], validators=checks)


class ContactForm(FlaskForm):
    name = one_line_field("Name", "name", "name", no_text_direction_characters)
    email = one_line_field("E-mail", "email", "e-mail address", email_address)
    company = one_line_field("Company", "company", "company", no_text_direction_characters)
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
