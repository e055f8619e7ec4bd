"""Mail through the outbox: a real SMTP server (aiosmtpd) on 127.0.0.1, one that refuses,
and .eml files when no server is configured."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import time_machine
from aiosmtpd.controller import Controller
from factories import make_event, workshops
from regutil import outbox, person, post_registration, reset_rate_limits, token_of

from eventapp.extensions import db
from eventapp.mail import backoff, deliver_due
from eventapp.mail.delivery import _write_eml
from eventapp.models import OutboxMessage, Registration
from eventapp.models.types import utcnow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collecting:
    """Keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class Refusing:
    """Refuses every recipient for now (4xx), as a busy or greylisting server would."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        return "450 4.7.1 Relaying denied for now"


class RefusingForGood:
    """Refuses every recipient for good (5xx): no such mailbox."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        return "550 5.1.1 No such user here"


@pytest.fixture(autouse=True)
def _fresh_limits():
    reset_rate_limits()
    yield


def _serve(handler) -> Iterator[int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def smtp(app, monkeypatch) -> Iterator[Collecting]:
    handler = Collecting()
    for port in _serve(handler):
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        yield handler


@pytest.fixture
def refusing_smtp(app, monkeypatch) -> Iterator[int]:
    for port in _serve(Refusing()):
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        yield port


@pytest.fixture
def event(app):
    with app.app_context():
        created = make_event()
        return {"slug": created.slug, "rounds": workshops(created)}


def _parts(message: EmailMessage) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if not part.is_multipart()
    }


def test_confirmation_reaches_a_real_smtp_server_right_after_the_request(
    app, client, event, smtp
) -> None:
    picks = [event["rounds"][0][0], event["rounds"][1][1]]
    data = person(first_name="Zoé", organisation='ASBL "Soleil" & Lune')
    response = post_registration(client, event["slug"], picks, data)
    token = token_of(response.headers["Location"])
    assert len(smtp.messages) == 1, "delivered within the request, no command needed"
    message = smtp.messages[0]
    assert smtp.envelopes[0][1] == ["ana.lopez@example.org"]
    assert message["To"] == "ana.lopez@example.org"
    assert message["Subject"] == "Inscription confirmée : Journée ouverte"
    # text, HTML and the calendar invitation as alternatives, the invitation attached too
    assert message.get_content_type() == "multipart/mixed"
    parts = _parts(message)
    assert set(parts) == {"text/plain", "text/html", "text/calendar", "application/ics"}
    assert "METHOD:REQUEST" in parts["text/calendar"]
    link = f"http://127.0.0.1:5000/r/{token}/"
    assert link in parts["text/plain"] and f'href="{link}"' in parts["text/html"]
    assert "Bonjour Zoé," in parts["text/plain"]
    assert "Atelier 1, tour 1" in parts["text/plain"] and "Atelier 2, tour 2" in parts["text/html"]
    assert "ASBL &#34;Soleil&#34; &amp; Lune" in parts["text/html"]
    assert "<i>" not in parts["text/html"]
    [row] = outbox(app)
    assert row.status == "sent" and row.attempts == 1 and row.last_error == ""


def test_mail_is_in_the_language_of_the_registrant(app, client, event, smtp) -> None:
    picks = [event["rounds"][0][0], event["rounds"][1][1]]
    post_registration(client, event["slug"], picks, **{"Accept-Language": "en"})
    [message] = smtp.messages
    assert message["Content-Language"] == "en"
    with app.app_context():
        from eventapp.models import Event

        starts = db.session.scalar(db.select(Event.starts_at).where(Event.slug == event["slug"]))
    weekday = starts.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Brussels")).strftime("%A")
    assert weekday in _parts(message)["text/plain"]  # "Friday", not "vendredi"


def test_a_refusing_server_keeps_the_registration_and_the_mail_queued(
    app, client, event, refusing_smtp, monkeypatch
) -> None:
    picks = [event["rounds"][0][0], event["rounds"][1][1]]
    response = post_registration(client, event["slug"], picks)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert 'data-status="confirmed"' in page.text
    [row] = outbox(app)
    assert row.status == "queued"
    assert row.attempts == 1
    assert "450" in row.last_error and "Relaying denied" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=30)

    # `eventapp mail send` before the back-off leaves it alone
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "0 mails envoyés, 0 encore en file.",
        "1 autre mail attend son heure (mises à jour de calendrier regroupées quelques "
        "minutes, ou nouvel essai après un refus), "
        f"le {row.next_attempt_at:%Y-%m-%d %H:%M} UTC ; « eventapp mail send --watch » "
        "l'envoie à ce moment-là.",
    ]

    # later, still refused: one line of error, non-zero exit, still queued, longer back-off
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=False):
        result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("Erreur : 1 mail n'a pas pu être envoyé (")
    assert "Relaying denied" in line
    assert line.endswith(") ; il reste en file et sera réessayé")
    [row] = outbox(app)
    assert row.status == "queued" and row.attempts == 2

    # the server accepts again: the next run delivers it
    handler = Collecting()
    for port in _serve(handler):
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        with time_machine.travel(utcnow() + timedelta(hours=1), tick=False):
            result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert result.output == "1 mail envoyé, 0 encore en file.\n"
    assert [m["To"] for m in handler.messages] == ["ana.lopez@example.org"]
    [row] = outbox(app)
    assert row.status == "sent" and row.attempts == 3
    with app.app_context():
        assert db.session.query(Registration).count() == 1


def test_a_server_that_is_down_keeps_the_mail_queued(app, client, event, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens there
    picks = [event["rounds"][0][0], event["rounds"][1][1]]
    response = post_registration(client, event["slug"], picks)
    assert response.status_code == 303
    [row] = outbox(app)
    assert row.status == "queued" and "ConnectionRefusedError" in row.last_error


def test_without_a_mail_server_mails_are_eml_files(app, client, event) -> None:
    folder = Path(app.config["OUTBOX_DIR"])
    before = set(folder.glob("*.eml")) if folder.exists() else set()
    picks = [event["rounds"][0][0], event["rounds"][1][1]]
    response = post_registration(client, event["slug"], picks)
    token = token_of(response.headers["Location"])
    [written] = set(folder.glob("*.eml")) - before
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["To"] == "ana.lopez@example.org"
    assert message.get_content_type() == "multipart/mixed"
    assert f"/r/{token}/" in _parts(message)["text/plain"]
    [row] = outbox(app)
    assert row.status == "sent"


def test_a_mail_never_writes_over_an_earlier_eml_file(app, ctx) -> None:
    """SQLite gives a deleted row's id to the next row: a mail with the same id, kind and
    second as an earlier one (an erased person's, then a newcomer's) is a file of its own."""
    folder = Path(app.config["OUTBOX_DIR"])
    before = set(folder.glob("*.eml")) if folder.exists() else set()
    row = OutboxMessage(id=999_999, kind="confirmed", created_at=utcnow())
    for recipient in ("first@example.org", "second@example.org"):
        message = EmailMessage()
        message["To"] = recipient
        message.set_content("Bonjour")
        _write_eml(row, message)
    written = set(folder.glob("*.eml")) - before
    recipients = {message_from_bytes(path.read_bytes())["To"] for path in written}
    assert recipients == {"first@example.org", "second@example.org"}


def test_back_off_doubles_up_to_six_hours() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert backoff(30) == timedelta(hours=6)


def test_a_row_is_delivered_once_even_with_two_senders(app, smtp) -> None:
    """The claim is a conditional UPDATE: a second sender finds nothing to send."""
    with app.app_context():
        event_row = make_event()
        from eventapp.registration import Applicant, register

        register(event_row, Applicant("A", "B", "ab@example.org"), [])
        rows = db.session.scalars(db.select(OutboxMessage.id)).all()
        db.session.info.pop("eventapp.outbox.new", None)
        first = deliver_due()
        second = deliver_due()
    assert (first.sent, second.sent) == (len(rows), 0)
    assert len(smtp.messages) == len(rows) == 1


def test_in_worker_mode_the_request_only_queues_and_the_watcher_delivers(
    app, client, event, smtp, monkeypatch
) -> None:
    """MAIL_DELIVERY=worker (what gunicorn.conf.py sets): the registration answers without
    sending; `eventapp mail send --watch` delivers it, then stops when its server is gone."""
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "worker")
    picks = [event["rounds"][0][0], event["rounds"][1][1]]
    response = post_registration(client, event["slug"], picks)
    assert response.status_code == 303
    assert smtp.messages == []
    [row] = outbox(app)
    assert row.status == "queued" and row.attempts == 0
    # --parent names a process that is not ours: one round, then it stops by itself.
    result = app.test_cli_runner().invoke(
        args=["mail", "send", "--watch", "--interval", "0.05", "--parent", "-1"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Envoi des mails en file toutes les 0,05 s, jusqu'à l'arrêt.",
        "1 mail envoyé, 0 encore en file.",
    ]
    [message] = smtp.messages
    assert message["Subject"] == "Inscription confirmée : Journée ouverte"
    assert "METHOD:REQUEST" in _parts(message)["text/calendar"]
    [row] = outbox(app)
    assert row.status == "sent"


def test_the_watcher_keeps_a_refused_mail_queued_and_goes_on(
    app, client, event, refusing_smtp, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "worker")
    post_registration(client, event["slug"], [event["rounds"][0][0], event["rounds"][1][1]])
    result = app.test_cli_runner().invoke(
        args=["mail", "send", "--watch", "--interval", "0.05", "--parent", "-1"]
    )
    assert result.exit_code == 0, result.output
    assert "0 mails envoyés, 1 encore en file." in result.output.splitlines()
    [row] = outbox(app)
    assert row.status == "queued" and "450" in row.last_error


@pytest.mark.parametrize("interval", ["0", "-1", "soon", "nan"])
def test_a_bad_watch_interval_is_refused(app, interval) -> None:
    result = app.test_cli_runner().invoke(args=["mail", "send", "--watch", "--interval", interval])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Erreur : --interval attend un nombre de secondes supérieur à 0, pas « {interval} »"
    )
    assert result.stdout == ""  # refused before any round
