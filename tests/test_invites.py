"""Calendar invitations by mail (iTIP over iMIP): every invite is read back by Mozilla's
ical.js and by vobject, after a real SMTP server (aiosmtpd) received it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import time_machine
from aiosmtpd.controller import Controller
from calendars import icaljs, read_vobject
from factories import make_event, workshops

from eventapp.calendar.notify import DEBOUNCE
from eventapp.extensions import db
from eventapp.mail import deliver_due, deliver_new
from eventapp.models import OutboxMessage, ProgrammeItem, Registration
from eventapp.models.types import utcnow
from eventapp.registration import Applicant, cancel, change_choices, register


class Collecting:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def take(self) -> list[EmailMessage]:
        taken, self.messages = self.messages, []
        return taken


@pytest.fixture(name="smtp")
def smtp_fixture(app, monkeypatch) -> Iterator[Collecting]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Collecting()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    try:
        yield handler
    finally:
        controller.stop()


def person(number: int) -> Applicant:
    return Applicant(f"Prénom{number}", f"Nom, {number}; é", f"p{number}@example.org")


def invite_of(message: EmailMessage) -> tuple[str, bytes]:
    """The method parameter and body of the text/calendar alternative, checked against the
    attached .ics and read by both parsers."""
    calendars = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(calendars) == 1, "one iTIP object per mail"
    [part] = calendars
    assert part.get_content_charset() == "utf-8"
    method = part.get_param("method")
    data = part.get_content().encode("utf-8")
    [attached] = [p for p in message.iter_attachments()]
    assert attached.get_filename().endswith(".ics")
    assert attached.get_content() == data
    assert message.get_content_type() == "multipart/mixed"
    return method, data


def read_invite(message: EmailMessage) -> dict:
    method, data = invite_of(message)
    parsed = icaljs(data)
    assert parsed["method"] == method
    vcal = read_vobject(data)
    assert vcal.method.value == method
    for vevent in vcal.vevent_list:
        assert vevent.organizer.value == "mailto:contact@example.org"
        assert vevent.attendee.value == f"mailto:{message['To']}"
    for event in parsed["events"]:
        assert event["organizer"]["value"] == "mailto:contact@example.org"
        assert [a["value"] for a in event["attendees"]] == [f"mailto:{message['To']}"]
    return parsed


def by_uid(parsed: dict) -> dict[str, dict]:
    return {event["uid"]: event for event in parsed["events"]}


def feed_uids(client, slug: str) -> dict[str, dict]:
    return by_uid(icaljs(client.get(f"/events/{slug}/calendar.ics").data))


@pytest.fixture
def setup(app, ctx):
    event = make_event(rounds=2, themes=2, workshop_capacity=1)
    rounds = workshops(event)
    items = {item.id: item for item in event.items}
    return event, rounds, items


def test_confirmation_carries_the_agenda_as_a_request(app, ctx, client, smtp, setup) -> None:
    event, rounds, items = setup
    picks = [items[rounds[0][0]], items[rounds[1][1]]]
    register(event, person(1), picks)
    deliver_new()
    [message] = smtp.take()
    assert message["Subject"] == "Inscription confirmée : Journée ouverte"
    method, _data = invite_of(message)
    assert method == "REQUEST"
    parsed = read_invite(message)
    assert parsed["method"] == "REQUEST"
    assert sorted(e["summary"] for e in parsed["events"]) == [
        "Atelier 1, tour 1",
        "Atelier 2, tour 2",
        "Ouverture",
    ]
    feed = feed_uids(client, event.slug)
    for uid, invited in by_uid(parsed).items():
        assert uid in feed, "the invitation's UIDs are the feed's"
        assert invited["sequence"] == feed[uid]["sequence"]
        assert invited["start"] == feed[uid]["start"]
        assert invited["attendees"][0]["partstat"] == "ACCEPTED"


def test_the_promoted_mail_carries_a_request(app, ctx, smtp, setup) -> None:
    event, rounds, items = setup
    first = register(event, person(1), [items[rounds[0][0]]]).registration
    register(event, person(2), [items[rounds[0][0]]])
    deliver_new()
    waitlisted = [m for m in smtp.take() if m["To"] == "p2@example.org"]
    assert [m.get_content_type() for m in waitlisted] == ["multipart/alternative"]  # no invite
    cancel(first)
    deliver_new()
    sent = {m["To"]: m for m in smtp.take()}
    assert sent["p2@example.org"]["Subject"].startswith("Une place s'est libérée")
    parsed = read_invite(sent["p2@example.org"])
    assert parsed["method"] == "REQUEST"
    assert {e["summary"] for e in parsed["events"]} == {"Ouverture", "Atelier 1, tour 1"}
    cancelled = read_invite(sent["p1@example.org"])
    assert cancelled["method"] == "CANCEL"


def test_cancelling_sends_a_cancel_for_the_whole_agenda(app, ctx, smtp, setup) -> None:
    event, rounds, items = setup
    registration = register(event, person(1), [items[rounds[0][1]]]).registration
    deliver_new()
    invited = by_uid(read_invite(smtp.take()[0]))
    cancel(registration)
    deliver_new()
    [message] = smtp.take()
    parsed = read_invite(message)
    assert parsed["method"] == "CANCEL"
    assert by_uid(parsed).keys() == invited.keys()
    assert {e["status"] for e in parsed["events"]} == {"CANCELLED"}


def test_changing_a_workshop_requests_the_new_and_cancels_the_old(app, ctx, smtp, setup) -> None:
    event, rounds, items = setup
    old, new = items[rounds[0][0]], items[rounds[0][1]]
    registration = register(event, person(1), [old]).registration
    deliver_new()
    smtp.take()
    change_choices(registration, [new])
    deliver_new()
    changed, withdrawn = smtp.take()
    request = read_invite(changed)
    assert request["method"] == "REQUEST"
    assert {e["summary"] for e in request["events"]} == {"Ouverture", new.title}
    cancelled = read_invite(withdrawn)
    assert cancelled["method"] == "CANCEL"
    assert [e["summary"] for e in cancelled["events"]] == [old.title]
    assert withdrawn["Subject"] == "Retiré de votre agenda : Journée ouverte"
    assert old.title in withdrawn.get_body(("plain",)).get_content()


def _edit(item_id: int, **changes) -> None:
    item = db.session.get(ProgrammeItem, item_id)
    for name, value in changes.items():
        setattr(item, name, value)
    db.session.commit()


def test_many_edits_within_minutes_make_one_update_per_person(
    app, ctx, client, smtp, setup
) -> None:
    event, rounds, items = setup
    plenary = next(item for item in event.items if item.title == "Ouverture")
    a, b = items[rounds[0][0]], items[rounds[0][1]]
    register(event, person(1), [a])
    register(event, person(2), [b])
    register(event, person(3), [a])  # waitlisted: workshop a has one seat
    deliver_new()
    first = {
        m["To"]: by_uid(read_invite(m))
        for m in smtp.take()
        if "Inscription confirmée" in m["Subject"]
    }
    assert set(first) == {"p1@example.org", "p2@example.org"}
    plenary_id, a_id, b_id = plenary.id, a.id, b.id
    start = utcnow()
    with time_machine.travel(start, tick=False):
        _edit(plenary_id, starts_at=plenary.starts_at + timedelta(minutes=15))
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        _edit(a_id, title="Atelier 1 (nouveau titre)")
        assert deliver_due().sent == 0  # waits for the next edits
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        _edit(a_id, starts_at=a.starts_at + timedelta(minutes=30))
        _edit(a_id, summary_md="Compte-rendu")  # no calendar change: no SEQUENCE, no mail
    # five minutes after the plenary moved: p2, whom only that edit concerns, is told;
    # p1's mail waits for the edits of their workshop to settle
    with time_machine.travel(start + DEBOUNCE + timedelta(seconds=30), tick=False):
        assert deliver_due().sent == 1
    mails = {m["To"]: m for m in smtp.take()}
    with time_machine.travel(start + timedelta(minutes=4) + DEBOUNCE, tick=False):
        assert deliver_due().sent == 1
    mails |= {m["To"]: m for m in smtp.take()}
    assert list(mails) == ["p2@example.org", "p1@example.org"], "one mail each, none to p3"
    assert mails["p1@example.org"]["Subject"] == "Programme modifié : Journée ouverte"
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        assert deliver_due().sent == 0

    feed = feed_uids(client, event.slug)
    one = read_invite(mails["p1@example.org"])
    assert one["method"] == "REQUEST"
    assert {e["summary"] for e in one["events"]} == {"Ouverture", "Atelier 1 (nouveau titre)"}
    for uid, updated in by_uid(one).items():
        assert updated["sequence"] == feed[uid]["sequence"]
        assert updated["sequence"] > first["p1@example.org"][uid]["sequence"]
        assert updated["start"] == feed[uid]["start"]
    two = read_invite(mails["p2@example.org"])
    assert [e["summary"] for e in two["events"]] == ["Ouverture"]  # b did not change
    text = mails["p1@example.org"].get_body(("plain",)).get_content()
    assert "Atelier 1 (nouveau titre)" in text
    assert b_id not in {int(e["uid"].split("-")[2].split("@")[0]) for e in one["events"]}

    # a later edit starts a new mail
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        _edit(b_id, title="Atelier 2 renommé")
    with time_machine.travel(start + timedelta(minutes=30) + DEBOUNCE, tick=False):
        assert deliver_due().sent == 1
    [later] = smtp.take()
    assert later["To"] == "p2@example.org"
    assert [e["summary"] for e in read_invite(later)["events"]] == ["Atelier 2 renommé"]


def test_a_cancelled_item_sends_a_cancel_and_no_stale_update(app, ctx, client, smtp, setup) -> None:
    event, rounds, items = setup
    workshop = items[rounds[1][0]]
    register(event, person(1), [items[rounds[0][0]], workshop])
    deliver_new()
    smtp.take()
    workshop_id = workshop.id
    start = utcnow()
    with time_machine.travel(start, tick=False):
        _edit(workshop_id, starts_at=workshop.starts_at + timedelta(minutes=10))
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        _edit(workshop_id, cancelled_at=utcnow())
    with time_machine.travel(start + timedelta(minutes=1) + DEBOUNCE, tick=False):
        deliver_due()
    [message] = smtp.take()  # the update of the moved item is superseded by its cancellation
    parsed = read_invite(message)
    assert parsed["method"] == "CANCEL"
    [cancelled] = parsed["events"]
    assert cancelled["summary"] == workshop.title and cancelled["status"] == "CANCELLED"
    feed = feed_uids(client, event.slug)
    assert cancelled["sequence"] == feed[cancelled["uid"]]["sequence"] == 2
    assert (
        db.session.scalar(
            db.select(db.func.count(OutboxMessage.id)).where(OutboxMessage.status == "queued")
        )
        == 0
    )


def test_a_rolled_back_edit_queues_nothing(app, ctx, setup) -> None:
    event, rounds, items = setup
    register(event, person(1), [items[rounds[0][0]]])
    before = db.session.scalar(db.select(db.func.count(OutboxMessage.id)))
    item = db.session.get(ProgrammeItem, rounds[0][0])
    item.title = "Jamais enregistré"
    db.session.flush()
    pending = db.session.scalars(
        db.select(OutboxMessage.kind).where(OutboxMessage.pending_key.is_not(None))
    ).all()
    assert pending == ["update"], "queued in the edit's own transaction"
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == before
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 1
