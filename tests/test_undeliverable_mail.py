"""Addresses the form refuses are refused by the API too (one shared rule), and a mail
that can never be built or sent is marked failed with its reason, not retried, and shown
on the event's dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from factories import make_event, workshops
from helpers import visible_text
from regutil import outbox, person, post_registration, registration_count, reset_rate_limits
from test_admin_registrations import _event, _register
from test_admin_support import accounts_fixture, login  # noqa: F401
from test_mail import RefusingForGood, _serve

from eventapp.extensions import db
from eventapp.mail import deliver_due
from eventapp.models import Event, OutboxMessage, ProgrammeItem
from eventapp.models.types import utcnow
from eventapp.registration import Applicant, register

URL = "/api/v1/events/journee-ouverte/registrations"
BAD_ADDRESSES = [
    '"ana\x0blopez"@example.org',  # a control character (taken by marshmallow's Email)
    "ana@[127.0.0.1]",  # an IP literal
    "ana@localhost",  # a dotless domain
]


@pytest.fixture
def rounds(app) -> list[list[int]]:
    reset_rate_limits()
    with app.app_context():
        found = workshops(make_event())
        db.session.remove()
    return found


def _body(rounds, email: str) -> dict:
    return {
        "first_name": "Ana",
        "last_name": "López",
        "email": email,
        "consent": True,
        "workshops": [rounds[0][0], rounds[1][1]],
    }


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_the_api_refuses_what_the_form_refuses(app, client, rounds, address) -> None:
    form = post_registration(client, "journee-ouverte", [rounds[0][0], rounds[1][1]],
                             person(email=address))  # fmt: skip
    assert form.status_code == 400
    assert "Cette adresse e-mail n'est pas valide." in visible_text(form.text)
    answer = client.post(URL, json=_body(rounds, address))
    assert answer.status_code == 422, answer.json
    assert "email" in answer.json["errors"], answer.json
    assert registration_count(app) == 0 and outbox(app) == []


def test_the_api_still_takes_an_ordinary_address(app, client, rounds) -> None:
    answer = client.post(URL, json=_body(rounds, "ana.lopez@cpas-namur.be"))
    assert answer.status_code == 201, answer.json


def _registered(app, rounds, email: str = "ana@example.org") -> int:
    """Registers Ana (mail queued, not delivered); the id of her mail's row."""
    app.config["MAIL_DELIVERY"] = "worker"
    try:
        with app.app_context():
            items = [db.session.get(ProgrammeItem, i) for i in (rounds[0][0], rounds[1][1])]
            event = db.session.scalars(db.select(Event)).one()
            register(event, Applicant("Ana", "López", email), items)
            return db.session.scalars(db.select(OutboxMessage.id)).one()
    finally:
        app.config["MAIL_DELIVERY"] = "request"


def test_a_mail_that_cannot_be_built_is_failed_once_and_never_retried(app, rounds) -> None:
    row_id = _registered(app, rounds)
    with app.app_context():
        row = db.session.get(OutboxMessage, row_id)
        row.recipient = '"ana\x0blopez"@example.org'  # as the API stored it before the fix
        db.session.commit()
        report = deliver_due()
        assert (report.sent, report.failed, report.undeliverable) == (0, 0, 1)
        row = db.session.get(OutboxMessage, row_id, populate_existing=True)
        assert row.status == "failed" and row.attempts == 1
        assert row.last_error.startswith("ValueError:")
        db.session.remove()
    # Seven hours on (past the longest back-off), nothing is tried again.
    with time_machine.travel(utcnow() + timedelta(hours=7)), app.app_context():
        assert deliver_due().undeliverable == 0
        row = db.session.get(OutboxMessage, row_id)
        assert row.status == "failed" and row.attempts == 1
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "0 mails envoyés, 0 encore en file." in result.output


@pytest.fixture
def refusing_for_good(app, monkeypatch):
    for port in _serve(RefusingForGood()):
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        yield port


def test_a_recipient_refused_for_good_is_failed_with_the_reason(
    app, rounds, refusing_for_good
) -> None:
    row_id = _registered(app, rounds, "nobody@example.org")
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "1 impossible à remettre, marqué en échec." in result.output
    with app.app_context():
        row = db.session.get(OutboxMessage, row_id)
        assert row.status == "failed"
        assert "550" in row.last_error and "No such user here" in row.last_error
        db.session.remove()


def test_the_dashboard_lists_failed_mails_with_their_reason(app, client, accounts) -> None:
    event_id, ((a, _b, _c), (a2, _b2, _c2)) = _event(app, accounts)
    _register(app, event_id, [a, a2], "Ana", "Lopez")
    with app.app_context():
        row = db.session.scalars(db.select(OutboxMessage)).one()
        row.status = "failed"
        row.attempts = 1
        row.last_error = "SMTPRecipientsRefused: 550 <script>No such user</script>"
        db.session.commit()
    login(client, "alice@example.org")
    page = client.get(f"/admin/events/{event_id}/dashboard")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "Mails impossibles à envoyer (abandonnés)" in text
    assert "ana.lopez@example.org" in text
    assert "SMTPRecipientsRefused: 550 <script>No such user</script>" in text
    assert "<script>No such" not in page.text  # escaped
    assert "0 mail(s) en échec" in text and "0 mail(s) en file" in text


def test_a_unicode_address_for_a_server_without_smtputf8_is_failed(app, rounds, monkeypatch):
    from aiosmtpd.controller import Controller
    from test_mail import Collecting, free_port

    row_id = _registered(app, rounds, "josé@example.org")
    port = free_port()
    controller = Controller(Collecting(), hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        with app.app_context():
            assert deliver_due().undeliverable == 1
            row = db.session.get(OutboxMessage, row_id)
            assert row.status == "failed" and "SMTPNotSupportedError" in row.last_error
            db.session.remove()
    finally:
        controller.stop()
