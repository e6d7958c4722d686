"""The contact form: recruiters' messages, stored in SQLite and never silently lost.

Routes: GET/POST /contact (a page, or the form alone for htmx) and
GET /contact/thanks (where a browser without JavaScript lands after sending).
"""

import logging
import secrets
import sqlite3

from flask import Blueprint, Flask, current_app, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from ..errors import render_error
from ..htmx import VARY, wants_fragment
from ..site import current_site
from . import delivery, references, storage
from .cli import messages_cli
from .forms import ContactForm, FormTimeExpired, new_form, sign_form_time, spam_verdict

bp = Blueprint("contact", __name__)
csrf = CSRFProtect()
log = logging.getLogger(__name__)

EXPIRED = "This form had expired, so it was not sent. Your text is still here: please send it again."


def client_ip_hash() -> str:
    # remote_addr is the socket's peer, or, with TRUSTED_PROXIES set, what
    # ProxyFix took from that many X-Forwarded-For hops.
    return storage.hash_ip(request.remote_addr or "unknown", current_app.config["SECRET_KEY"])


def sender_hash() -> str:
    """This address and this browser: the browser is a random id kept in its
    session (the CSRF token needs the session cookie anyway), given with the form."""
    browser = session.get("sender", "")
    return storage.hash_ip(f"{request.remote_addr or 'unknown'} {browser}", current_app.config["SECRET_KEY"])


def give_sender_id() -> None:
    if "sender" not in session:
        session["sender"] = secrets.token_urlsafe(12)


def other_ways_to_write() -> list:
    """The owner's e-mail and LinkedIn, when set: another way to write when the form cannot take a message."""
    return [link for link in current_site().content.site.links if link.kind in ("email", "linkedin")]


def rate_limited_notice(limited: storage.RateLimited) -> str:
    # Neutral: the visitor may share the address with others, and may be writing for the first time.
    minutes = max(1, round(limited.retry_after / 60))
    source = "one browser" if limited.scope == "sender" else "one network address, which may be shared by many people"
    return (
        f"The form takes at most {limited.allowed} messages an hour from {source}, and that many have "
        f"just arrived. Please try again in about {minutes} minute{'s' if minutes != 1 else ''}; "
        "your text is still here."
    )


def contact_response(template_fragment: str, status: int, **context):
    """The form (or confirmation) alone for htmx, inside the contact page otherwise."""
    if wants_fragment():
        body = render_template(template_fragment, **context)
    else:
        body = render_template("contact/page.html", fragment=template_fragment, **context)
    response = current_app.make_response((body, status))
    no_store(response)
    return response


def no_store(response):
    # Every form carries per-visitor tokens: no cache may keep or share it.
    response.headers["Cache-Control"] = "no-store"
    response.vary.update(VARY)
    return response


def form_again(form: ContactForm, status: int, notice: str | None = None, **context):
    return contact_response("contact/_form.html", status, form=form, notice=notice, **context)


@bp.get("/contact")
def show_form():
    give_sender_id()
    return contact_response("contact/_form.html", 200, form=new_form(), notice=None)


@bp.post("/contact")
def submit():
    form = ContactForm()
    if not form.validate():
        return form_again(form, 422)

    try:
        status = spam_verdict(form)
    except FormTimeExpired:
        sign_form_time(form)
        return form_again(form, 400, EXPIRED, resend=True)
    try:
        stored = storage.store_message(
            storage.get_db(),
            form.cleaned(),
            submission_key=form.submission_key.data,
            ip_hash=client_ip_hash(),
            sender_hash=sender_hash(),
            user_agent=request.user_agent.string[:500],
            status=status,
            rate_limit=current_app.config["CONTACT_RATE_LIMIT"],
            notify=delivery.enabled(current_app),
        )
    except storage.RateLimited as limited:
        response = form_again(form, 429, rate_limited_notice(limited), elsewhere=other_ways_to_write())
        response.headers["Retry-After"] = str(limited.retry_after)
        return response
    except (sqlite3.Error, OSError) as error:
        storage.report(current_app, storage.problem_with(error))  # logged once, not once per visitor
        return form_again(
            form,
            503,
            "Your message could not be saved just now. Nothing is lost: your text is still here. "
            "Please try again in a minute.",
            resend=True,
            elsewhere=other_ways_to_write(),
        )

    storage.report(current_app, None)
    delivery.wake(current_app)  # the notification is already queued; this only saves the loop's wait
    if wants_fragment():
        return contact_response("contact/_sent.html", 200, reference=stored.reference)
    return no_store(redirect(url_for("contact.thanks", ref=stored.reference), code=303))


@bp.get("/contact/thanks")
def thanks():
    # Only a reference the site wrote itself, exactly as it wrote it (upper case).
    reference = references.parse_reference(request.args.get("ref", ""), any_case=False)
    return contact_response("contact/_sent.html", 200, reference=reference)


def csrf_failed(error: CSRFError):
    """A missing or expired token: the form again, text kept, with a fresh token."""
    if request.endpoint != "contact.submit":
        return render_error(error)
    form = ContactForm()
    form.validate()  # fill in the visitor's values and any other problems
    form.csrf_token.errors = []
    give_sender_id()
    return form_again(form, 400, EXPIRED, resend=True)


def init_app(app: Flask) -> None:
    """The contact feature's extensions, state and command; create_app registers ``bp``."""
    csrf.init_app(app)
    storage.init_app(app)
    delivery.init_app(app)
    app.register_error_handler(CSRFError, csrf_failed)
    app.cli.add_command(messages_cli)
