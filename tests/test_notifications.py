"""The owner hears of every message: configuration, what the notification says
and cannot be made to say, the outbox, retries, and delivery from the
background loop, against a real SMTP server and a real webhook on loopback."""

import logging
import re
import sqlite3
import time

import pytest

from app.config import ConfigError
from app.contact import delivery, storage
from app.contact.notify import masked, parse_targets
from app.contact.outbox import claim, retry_delay
from tests.apps import rows
from tests.html import hidden_fields
from tests.processes import free_port, wait_for
from tests.receivers import OWNER, SITE, Mailbox

VALID = {"name": "Ada Lovelace", "email": "ada@example.com", "company": "Analytical Engines",
         "message": "Hello, let us build something."}


def post(app, **fields):
    client = app.test_client()
    data = {**hidden_fields(client.get("/contact")), "website": "", **VALID, **fields}
    response = client.post("/contact", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("=", 1)[1]


def deliver(app) -> int:
    db = storage.connect(storage.database_path(app))
    try:
        return delivery.deliver_due(app, db)
    finally:
        db.conn.close()


def outbox(app) -> list[dict]:
    return rows(app, "notifications")


def make_due(app):
    """Skip the back-off: every pending notification is due now."""
    connection = sqlite3.connect(storage.database_path(app))
    connection.execute("UPDATE notifications SET due_at = 0")
    connection.commit()
    connection.close()


# --- configuration -------------------------------------------------------------------


def test_without_notify_urls_notifications_are_off_and_the_log_says_so(make_app, caplog):
    with caplog.at_level(logging.INFO):
        app = make_app()
    assert "Notifications are off: NOTIFY_URLS is not set" in caplog.text
    post(app)
    assert outbox(app) == []


def test_urls_split_at_whitespace_and_commas_but_not_inside_a_url(mailbox, webhook):
    both = f"{mailbox.url()}&cc=a@example.com,b@example.com , {webhook.url}\n  ntfy://127.0.0.1/topic"
    targets = parse_targets(both)
    assert [t.scheme for t in targets] == ["mailto", "json", "ntfy"]
    assert targets[0].url.endswith("cc=a@example.com,b@example.com")


def test_a_url_apprise_cannot_parse_stops_production_naming_scheme_and_position(make_app):
    urls = "json://127.0.0.1:9/ok notaservice://user:hunter2secret@host/tok3nvalue"
    with pytest.raises(ConfigError) as error:
        make_app(NOTIFY_URLS=urls, APP_ENV="production", SITE_URL="https://example.com")
    assert "URL 2 (notaservice://...)" in str(error.value)
    assert "hunter2secret" not in str(error.value) and "tok3nvalue" not in str(error.value)


def test_a_bad_url_in_development_is_logged_without_secrets_and_turns_notifications_off(make_app, caplog):
    with caplog.at_level(logging.INFO):
        app = make_app(NOTIFY_URLS="mailto://", APP_ENV="development")
    assert "URL 1 (mailto://...)" in caplog.text
    assert not delivery.enabled(app)


# --- what the owner receives ------------------------------------------------------------


def test_the_email_names_the_sender_and_replies_to_them(make_app, mailbox):
    app = make_app(NOTIFY_URLS=mailbox.url())
    reference = post(app)
    assert deliver(app) == 1
    [(recipients, _)] = mailbox.received
    [mail] = mailbox.messages()
    assert recipients == [OWNER]
    assert mail["Subject"] == "Ada Lovelace (Analytical Engines) · message on 127.0.0.1"
    assert mail["From"] == SITE and mail["To"] == OWNER
    assert mail["Reply-To"] == "ada@example.com"
    body = mail.get_content()
    assert VALID["message"] in body
    assert "ada@example.com" in body and "Analytical Engines" in body
    assert re.search(r"Received:\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", body)
    assert f"Reference: {reference}" in body
    assert f"flask messages show {reference}" in body
    assert outbox(app)[0]["status"] == "sent"


def test_without_a_company_the_title_has_no_brackets(make_app, webhook):
    app = make_app(NOTIFY_URLS=webhook.url)
    post(app, company="")
    deliver(app)
    assert webhook.received[0]["title"] == "Ada Lovelace · message on 127.0.0.1"


def test_the_webhook_gets_title_and_body(make_app, webhook):
    app = make_app(NOTIFY_URLS=webhook.url)
    reference = post(app)
    deliver(app)
    [payload] = webhook.received
    assert payload["title"] == "Ada Lovelace (Analytical Engines) · message on 127.0.0.1"
    assert VALID["message"] in payload["message"] and reference in payload["message"]


def test_injected_line_breaks_add_no_header_and_no_recipient(make_app, mailbox):
    app = make_app(NOTIFY_URLS=mailbox.url())
    # The form refuses line breaks in a name; a row written some other way still must not break a header.
    post(app, email="ada&to=evil@example.com",
         message="Hello there.\r\nBcc: victim@example.com\r\nSubject: hijacked\r\n\r\nmore")
    connection = sqlite3.connect(storage.database_path(app))
    connection.execute("UPDATE messages SET name = 'Ada\r\nBcc: victim@example.com', company = 'X\nCc: cc@example.com'")
    connection.commit()
    connection.close()
    deliver(app)
    [(recipients, raw)] = mailbox.received
    [mail] = mailbox.messages()
    assert recipients == [OWNER]
    assert mail["Bcc"] is None and mail["Cc"] is None
    assert mail["Subject"].startswith("Ada\\x0d\\x0aBcc: victim@example.com")
    assert mail["Reply-To"] == "ada&to=evil@example.com"
    header_block = raw.split(b"\r\n\r\n", 1)[0].decode()
    names = [line.split(":")[0] for line in header_block.splitlines() if not line.startswith((" ", "\t"))]
    assert "Bcc" not in names and "Cc" not in names and names.count("Subject") == 1
    assert "hijacked" not in header_block


HOSTILE_CHAT = "Hi @everyone and @here, <!channel> <@U024BE7LH> [click me](http://evil.example) ![pixel](http://evil.example/p.png) <img src=x onerror=alert(1)>"


@pytest.mark.parametrize("receiver", ["mailbox", "webhook"])
def test_mentions_links_and_markup_arrive_as_inert_text(make_app, request, receiver):
    box = request.getfixturevalue(receiver)
    app = make_app(NOTIFY_URLS=box.url() if receiver == "mailbox" else box.url)
    post(app, name="@everyone", message=HOSTILE_CHAT)
    deliver(app)
    if receiver == "mailbox":
        [mail] = box.messages()
        title, body = mail["Subject"], mail.get_content()
    else:
        [payload] = box.received
        title, body = payload["title"], payload["message"]
    for live in ("@everyone", "@here", "<!channel>", "<@U024BE7LH>", "](http", "<img"):
        assert live not in title + body, live
    # What the owner reads is unchanged: the breaks are zero-width.
    assert body.replace("\u200b", "").startswith(HOSTILE_CHAT)
    assert title.replace("\u200b", "") == "@everyone (Analytical Engines) · message on 127.0.0.1"
    assert "ada@example.com" in body  # an address is not a mention


# --- which messages notify --------------------------------------------------------------


def test_the_notification_is_queued_with_the_message(make_app, webhook):
    app = make_app(NOTIFY_URLS=webhook.url)
    post(app)
    [row] = outbox(app)
    assert row["status"] == "pending" and row["attempts"] == 0
    assert webhook.received == []  # sending is not the request's job


def test_a_repeated_submission_queues_one_notification(make_app, webhook):
    app = make_app(NOTIFY_URLS=webhook.url)
    client = app.test_client()
    data = {**hidden_fields(client.get("/contact")), **VALID}
    client.post("/contact", data=data)
    client.post("/contact", data=data)
    assert len(outbox(app)) == 1


def test_a_message_that_could_not_be_stored_queues_nothing(make_app, webhook, monkeypatch):
    from tests.apps import database_locked

    app = make_app(NOTIFY_URLS=webhook.url)
    client = app.test_client()
    with database_locked(app, monkeypatch):
        response = client.post("/contact", data={**hidden_fields(client.get("/contact")), **VALID})
    assert response.status_code == 503
    assert outbox(app) == []


def test_spam_is_stored_and_never_notified(make_app, webhook):
    app = make_app(NOTIFY_URLS=webhook.url)
    post(app, website="https://spam.example")
    assert outbox(app) == []
    assert deliver(app) == 0 and webhook.received == []


def test_a_suspect_message_is_notified_as_possible_spam(make_app, webhook):
    app = make_app(NOTIFY_URLS=webhook.url, CONTACT_MIN_SECONDS=3)
    post(app)  # at once: faster than the minimum time
    deliver(app)
    [payload] = webhook.received
    assert payload["title"] == "Ada Lovelace (Analytical Engines) · message on 127.0.0.1 (possible spam)"


# --- failures, retries and giving up -------------------------------------------------------


def test_back_off_starts_at_a_minute_doubles_and_stops_at_six_hours():
    delays = [retry_delay(attempt, 60) for attempt in range(1, 12)]
    assert delays[:4] == [60, 120, 240, 480]
    assert max(delays) == 6 * 3600 and delays[-1] == 6 * 3600


def test_a_failed_delivery_is_retried_later_with_the_error_kept_and_secrets_masked(make_app, caplog):
    closed = free_port()
    app = make_app(NOTIFY_URLS=f"mailto://owner:S3cretAppPassw0rd@127.0.0.1:{closed}?from={SITE}&to={OWNER}")
    post(app)
    with caplog.at_level(logging.WARNING):
        deliver(app)
    [row] = outbox(app)
    assert row["status"] == "pending" and row["attempts"] == 1
    assert 55 <= row["due_at"] - time.time() <= 61  # a minute later
    assert row["last_error"] and "S3cretAppPassw0rd" not in row["last_error"]
    assert "will be retried" in caplog.text and "S3cretAppPassw0rd" not in caplog.text
    assert deliver(app) == 0  # not due yet


def test_after_24_hours_of_failures_it_is_marked_failed(make_app):
    app = make_app(NOTIFY_URLS=f"json://127.0.0.1:{free_port()}/x")
    post(app)
    connection = sqlite3.connect(storage.database_path(app))
    connection.execute("UPDATE notifications SET queued_at = ?", [time.time() - 24 * 3600 - 1])
    connection.commit()
    connection.close()
    deliver(app)
    assert outbox(app)[0]["status"] == "failed"


def test_a_url_that_already_had_it_is_skipped_on_retry(make_app, webhook):
    app = make_app(NOTIFY_URLS=f"{webhook.url} json://127.0.0.1:{free_port()}/down")
    post(app)
    deliver(app)
    assert len(webhook.received) == 1 and outbox(app)[0]["status"] == "pending"
    make_due(app)
    deliver(app)
    assert len(webhook.received) == 1  # the working URL is not sent the same message again


def test_smtp_down_for_the_first_attempts_then_up_delivers_exactly_one_email(make_app):
    box = Mailbox()  # not started: nothing listens on its port yet
    app = make_app(NOTIFY_URLS=box.url(), NOTIFY_IN_BACKGROUND=True, NOTIFY_RETRY_SECONDS=0.2)
    try:
        post(app)
        assert wait_for(lambda: outbox(app)[0]["attempts"] >= 2, timeout=10)
        assert outbox(app)[0]["status"] == "pending"
        box.start()
        assert wait_for(lambda: outbox(app)[0]["status"] == "sent", timeout=15)
        time.sleep(1)  # time for a wrong second send to show
        assert len(box.received) == 1
    finally:
        delivery.stop(app)
        box.stop()


def test_the_background_loop_delivers_without_being_asked(make_app, mailbox):
    app = make_app(NOTIFY_URLS=mailbox.url(), NOTIFY_IN_BACKGROUND=True)
    try:
        post(app)
        assert wait_for(lambda: len(mailbox.received) == 1, timeout=10)
    finally:
        delivery.stop(app)


def test_an_expired_lease_is_taken_over(make_app, webhook):
    # A process that claimed the notification and died: its lease runs out, another sends it.
    app = make_app(NOTIFY_URLS=webhook.url, NOTIFY_LEASE_SECONDS=0.3)
    post(app)
    db = storage.connect(storage.database_path(app))
    try:
        assert claim(db, 0.3, "dead-worker") is not None
        assert delivery.deliver_due(app, db) == 0  # leased: nobody else takes it yet
        time.sleep(0.4)
        assert delivery.deliver_due(app, db) == 1
    finally:
        db.conn.close()
    assert len(webhook.received) == 1


def test_a_worker_whose_lease_ran_out_mid_send_stops_and_overwrites_nothing(make_app, webhook):
    # A slow send, not a crash: worker A's lease runs out, B takes the row over and
    # delivers. A, coming back, must neither send again nor undo B's record.
    app = make_app(NOTIFY_URLS=webhook.url, NOTIFY_LEASE_SECONDS=0.3)
    post(app)
    db = storage.connect(storage.database_path(app))
    try:
        slow = claim(db, 0.3, "worker-a")
        time.sleep(0.4)
        assert delivery.deliver_due(app, db, worker="worker-b") == 1
        assert delivery.deliver(db, slow, delivery.notifier(app).targets, app, "worker-a") == "lost"
    finally:
        db.conn.close()
    assert len(webhook.received) == 1
    [row] = outbox(app)
    assert row["status"] == "sent" and row["leased_by"] == "worker-b"


def test_deleting_a_message_deletes_its_notification(make_app, webhook):
    app = make_app(NOTIFY_URLS=webhook.url)
    post(app)
    connection = storage.connect(storage.database_path(app))
    connection.execute("DELETE FROM messages")
    connection.conn.close()
    assert outbox(app) == []


def test_secrets_in_an_error_are_masked_but_the_server_name_kept():
    targets = parse_targets(
        "mailtos://owner:S3cretAppPassw0rd@smtp.example.com?to=owner@example.com "
        "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/987654321"
    )
    error = ("535 auth failed for owner:S3cretAppPassw0rd at smtp.example.com; "
             "telegram said no to bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
    shown = masked(error, targets)
    assert "S3cretAppPassw0rd" not in shown and "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in shown
    assert "smtp.example.com" in shown


# --- replies, and what a visitor could smuggle (issue 15) ----------------------------------


def set_row(app, **values):
    """Change the stored message as a row written before today's checks could be."""
    connection = sqlite3.connect(storage.database_path(app))
    connection.execute("UPDATE messages SET " + ", ".join(f"{k} = ?" for k in values), list(values.values()))
    connection.commit()
    connection.close()


def test_an_international_domain_gets_a_reply_to_every_mail_server_takes(make_app, mailbox, webhook):
    app = make_app(NOTIFY_URLS=f"{mailbox.url()} {webhook.url}")
    post(app, email="zoe@exämple.com", name="Zoë")
    deliver(app)
    [mail] = mailbox.messages()
    assert mail["Reply-To"] == "zoe@xn--exmple-cua.com"
    assert "From:      Zoë <zoe@exämple.com>" in mail.get_content()  # the visitor's spelling, for reading
    assert "Reply to:  zoe@xn--exmple-cua.com" in webhook.received[0]["message"]  # a chat gets it too


def test_an_address_that_cannot_be_replied_to_is_still_notified_and_the_body_says_why(make_app, mailbox):
    app = make_app(NOTIFY_URLS=mailbox.url())
    post(app)
    set_row(app, email="zoë@example.com")  # stored before the form explained such addresses
    deliver(app)
    [mail] = mailbox.messages()
    assert mail["Reply-To"] is None  # never the site's own address by default
    body = mail.get_content()
    assert "zoë@example.com" in body and "Reply to:  none possible" in body and "SMTPUTF8" in body


def test_server_commands_are_below_the_signature_line_a_reply_leaves_out(make_app, mailbox):
    app = make_app(NOTIFY_URLS=mailbox.url())
    reference = post(app)
    deliver(app)
    body = mailbox.messages()[0].get_content().replace("\r\n", "\n")
    quoted, below = body.split("\n-- \n", 1)
    assert "flask messages" not in quoted and VALID["message"] in quoted
    assert f"flask messages show {reference}" in below


def test_an_encoded_word_from_an_old_row_reaches_the_subject_inert(make_app, mailbox):
    app = make_app(NOTIFY_URLS=mailbox.url())
    post(app)
    set_row(app, name="=?utf-8?q?=E2=80=AEevil=0D=0ABcc:_x@evil.example?=")
    deliver(app)
    [(recipients, raw)] = mailbox.received
    [mail] = mailbox.messages()
    assert recipients == [OWNER] and mail["Bcc"] is None
    assert "\u202e" not in mail["Subject"] and "\n" not in mail["Subject"]
    assert mail["Subject"].startswith("=\u200b?utf-8?q?")  # shown as typed, decoded by nobody


HIDDEN = "pay\u200b to\u2060 acc\ufeffount\U000e0041\U000e0042 now"
REFERENCES = "see [the offer][1] and ![pixel][img] and [x][]\n[1]: http://evil.example\n [img]: http://evil.example/p.png"


@pytest.mark.parametrize("receiver", ["mailbox", "webhook"])
def test_hidden_characters_reference_links_and_fullwidth_mentions_arrive_inert(make_app, request, receiver):
    box = request.getfixturevalue(receiver)
    app = make_app(NOTIFY_URLS=box.url() if receiver == "mailbox" else box.url)
    post(app, message=f"{HIDDEN}\n{REFERENCES}\nhi ＠everyone and ﹫here", email="eve=?x?=@host.example")
    deliver(app)
    if receiver == "mailbox":
        [mail] = box.messages()
        body = mail.get_content()
    else:
        body = box.received[0]["message"]
    for raw in ("\u200b to", "\u2060", "\ufeff", "\U000e0041"):
        assert raw not in body, repr(raw)
    assert "pay\\u200b to\\u2060 acc\\ufeffount\\U000e0041\\U000e0042 now" in body
    for live in ("][1]", "][img]", "][]", "[1]:", "[img]:", "＠everyone", "﹫here"):
        assert live not in body, live
    assert "From:      Ada Lovelace <eve=?x?=@host.example>" in body  # an address is never altered


# --- failures the owner sees, and what is (not) sent (issue 15) ------------------------------


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["messages", *args])


def test_a_failing_channel_shows_in_list_healthz_the_start_up_log_and_the_next_notification(make_app, caplog):
    box = Mailbox()  # not started yet: the owner's mail server is down
    app = make_app(NOTIFY_URLS=box.url())
    post(app, name="First Sender")
    deliver(app)  # the first attempt fails
    [row] = outbox(app)
    assert row["status"] == "pending" and row["last_error"]
    listed = cli(app, "list").stdout.splitlines()[0]
    assert "1 notification failing, retried at " in listed and "run flask messages notifications" in listed
    assert app.test_client().get("/healthz").json["notifications"]["failing"] == 1
    with caplog.at_level(logging.WARNING):
        make_app(NOTIFY_URLS=box.url())  # the server starting again
    assert "1 notification failing" in caplog.text
    box.start()
    try:
        post(app, name="Second Sender")
        deliver(app)  # the second is due now, the first a minute later
        [mail] = box.messages()
        assert mail["Subject"].startswith("Second Sender")
        assert "1 earlier notification failed" in mail.get_content()
    finally:
        box.stop()


def test_a_notification_failed_for_good_shows_in_list_and_healthz(make_app):
    app = make_app(NOTIFY_URLS=f"json://127.0.0.1:{free_port()}/down")
    post(app)
    set_queued_long_ago = sqlite3.connect(storage.database_path(app))
    set_queued_long_ago.execute("UPDATE notifications SET queued_at = ?", [time.time() - 25 * 3600])
    set_queued_long_ago.commit()
    set_queued_long_ago.close()
    deliver(app)
    assert "1 notification failed for good" in cli(app, "list").stdout.splitlines()[0]
    health = app.test_client().get("/healthz")
    assert health.status_code == 200 and health.json["notifications"]["failed"] == 1


def test_a_message_marked_spam_before_its_turn_is_not_sent(make_app, webhook):
    app = make_app(NOTIFY_URLS=webhook.url)
    reference = post(app)
    result = cli(app, "mark", reference, "--spam")
    assert "Its notification, not yet sent, will not be." in result.stdout
    assert deliver(app) == 0 and webhook.received == []
    assert outbox(app)[0]["status"] == "cancelled"


def test_a_message_turned_spam_while_claimed_is_not_sent(make_app, webhook):
    app = make_app(NOTIFY_URLS=webhook.url)
    post(app)
    set_row(app, status="spam")  # between queueing and sending, as a mark from another process would
    deliver(app)
    assert webhook.received == [] and outbox(app)[0]["status"] == "cancelled"


def test_not_spam_queues_exactly_one_notification(make_app, webhook):
    app = make_app(NOTIFY_URLS=webhook.url)
    reference = post(app, website="https://spam.example")  # the honeypot: stored as spam, not notified
    assert outbox(app) == []
    assert "Its notification is queued" in cli(app, "mark", reference, "--not-spam").stdout
    assert "queued" not in cli(app, "mark", reference, "--not-spam").stdout
    deliver(app)
    make_due(app)
    deliver(app)
    assert len(webhook.received) == 1


def test_spam_then_not_spam_sends_the_cancelled_notification_once(make_app, webhook):
    app = make_app(NOTIFY_URLS=webhook.url)
    reference = post(app)
    cli(app, "mark", reference, "--spam")
    cli(app, "mark", reference, "--not-spam")
    deliver(app)
    assert len(webhook.received) == 1 and outbox(app)[0]["status"] == "sent"


def test_backlog_queues_what_was_stored_while_notifications_were_off(make_app, webhook):
    off = make_app()
    post(off, name="Waited One")
    post(off, name="Waited Two")
    post(off, name="Spammer", website="https://spam.example")
    app = make_app(NOTIFY_URLS=webhook.url)
    assert cli(app, "notify", "--backlog").stdout.startswith("Queued 2 notification(s)")
    assert cli(app, "notify", "--backlog").stdout.startswith("Queued 0 notification(s)")
    deliver(app)
    assert sorted(p["title"].split(" (")[0] for p in webhook.received) == ["Waited One", "Waited Two"]


def test_delivery_records_survive_a_secret_key_rotation(make_app, webhook):
    urls = f"{webhook.url} json://127.0.0.1:{free_port()}/down"
    app = make_app(NOTIFY_URLS=urls, SECRET_KEY="before-rotation")
    post(app)
    deliver(app)
    assert len(webhook.received) == 1
    rotated = make_app(NOTIFY_URLS=urls, SECRET_KEY="after-rotation")
    make_due(rotated)
    deliver(rotated)
    assert len(webhook.received) == 1  # the URL that had it is not sent it again


def test_the_cli_reports_the_servers_channels_and_says_when_the_shell_differs(make_app, webhook, mailbox):
    import click

    make_app(NOTIFY_URLS=f"{mailbox.url()} {webhook.url}")  # the server records what it runs with
    with click.Context(click.Command("flask")):  # a shell: no NOTIFY_URLS, and no server start
        shell = make_app()
    lines = cli(shell, "notifications").stdout.splitlines()
    assert lines[0].startswith("Notifications are on: 2 URL(s): 1. mailto, 2. json. (The server, version ")
    assert lines[1].startswith("This shell's NOTIFY_URLS differ (not set): the server's are what count")
    assert webhook.url not in "\n".join(lines)  # positions and schemes, never a URL


def test_show_tells_when_each_channel_was_notified_or_why_not(make_app, tmp_path, webhook):
    app = make_app(NOTIFY_URLS=f"{webhook.url} json://127.0.0.1:{free_port()}/down")
    reference = post(app)
    deliver(app)
    shown = cli(app, "show", reference).stdout
    assert re.search(r"Notified: 1\. json: sent \d{4}-\d\d-\d\dT", shown)
    assert re.search(r"\n          2\. json: not yet: .+\n          retried at \d{4}-", shown)
    off = make_app(DATABASE_PATH=str(tmp_path / "off" / "messages.db"))
    assert "never: notifications were off when it arrived" in cli(off, "show", post(off)).stdout


def test_back_off_doubles_where_it_is_applied(make_app):
    app = make_app(NOTIFY_URLS=f"json://127.0.0.1:{free_port()}/down")
    post(app)
    deliver(app)
    make_due(app)
    before = time.time()
    deliver(app)
    assert 115 <= outbox(app)[0]["due_at"] - before <= 125  # the second failure waits two minutes


def test_a_late_worker_does_not_put_a_sent_row_back_to_pending(make_app, webhook, monkeypatch):
    # Worker A's send outlives its lease; B takes the row over and delivers; then A's send fails.
    app = make_app(NOTIFY_URLS=webhook.url, NOTIFY_LEASE_SECONDS=0.3)
    post(app)
    real_send = delivery.send
    db = storage.connect(storage.database_path(app))

    def slow_failing_send(*args):
        time.sleep(0.4)  # the lease runs out meanwhile
        monkeypatch.setattr(delivery, "send", real_send)
        assert delivery.deliver_due(app, db, worker="worker-b") == 1
        return "timed out"

    try:
        slow = claim(db, 0.3, "worker-a")
        monkeypatch.setattr(delivery, "send", slow_failing_send)
        assert delivery.deliver(db, slow, delivery.notifier(app).targets, app, "worker-a") == "lost"
    finally:
        db.conn.close()
    [row] = outbox(app)
    assert row["status"] == "sent" and row["last_error"] is None



def test_test_apps_run_no_delivery_loop_unless_they_ask(make_app):
    # tests/apps.py's app_settings turns the loop off (delivery.init_app's comment says so); the loop's tests turn it on.
    quiet = make_app()
    quiet.test_client().get("/contact")
    assert delivery.notifier(quiet).loop is None
    running = make_app(NOTIFY_IN_BACKGROUND=True)
    try:
        running.test_client().get("/contact")
        assert delivery.notifier(running).loop.is_alive()
    finally:
        delivery.stop(running)

def test_storing_a_message_wakes_the_delivery_loop(make_app, webhook):
    app = make_app(NOTIFY_URLS=webhook.url, NOTIFY_IN_BACKGROUND=True)  # polls every 5 s
    try:
        time.sleep(0.3)  # the loop's first look finds nothing and waits
        post(app)
        assert wait_for(lambda: len(webhook.received) == 1, timeout=2)  # well before the next poll
    finally:
        delivery.stop(app)


def test_a_wake_up_during_delivery_is_kept(make_app, webhook, monkeypatch):
    app = make_app(NOTIFY_URLS=webhook.url)
    real = delivery.deliver_due
    calls = []

    def deliver_then_a_message_arrives(app_, db, worker=None):
        tried = real(app_, db, worker)
        if not calls:  # a visitor's message stored just after the loop found nothing more to send
            calls.append(1)
            storage.store_message(db, {**VALID, "name": "Arrived Meanwhile"}, submission_key="m" * 22, ip_hash="x",
                                  user_agent="", status="new", rate_limit=None, notify=True)
            delivery.wake(app_)
        return tried

    monkeypatch.setattr(delivery, "deliver_due", deliver_then_a_message_arrives)
    app.config["NOTIFY_IN_BACKGROUND"] = True
    delivery.ensure_running(app)
    try:
        assert wait_for(lambda: len(webhook.received) == 1, timeout=2)  # not at the next poll, 5 s on
    finally:
        delivery.stop(app)
