"""The contact form: what a visitor may send, checked on the server.

The browser's own validation (required, maxlength, type=email) is first aid;
these rules are the authority.
"""

import re
import secrets

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

LIMITS = {"name": (1, 100), "email": (1, 254), "company": (0, 100), "message": (10, 5000)}
SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
# C0 and C1 controls and DEL; newline and tab are the only ones a person types.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SINGLE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def trimmed(value):
    return value.strip() if isinstance(value, str) else value


def normalise_newlines(value):
    # Browsers send a textarea's line breaks as CRLF; a person typed a newline.
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def no_control_characters(single_line: bool):
    pattern = SINGLE_LINE_CONTROL if single_line else CONTROL
    allowed = "" if single_line else " (line breaks and tabs are fine)"

    def check(form, field):
        if field.data and pattern.search(field.data):
            raise ValidationError(f"Please remove the invisible control characters{allowed}.")

    return check


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
    name = one_line_field("Name", "name", "name")
    email = one_line_field("E-mail", "email", "e-mail address", email_address)
    company = one_line_field("Company", "company", "company")
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
