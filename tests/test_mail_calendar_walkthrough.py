"""What a participant sees in their mails, their calendar and their pages, after a user
walkthrough: replies reach the organisers, the day's hours are told, a waiting list says
what is full and claims no seat, calendar clients never take a re-invitation for stale,
the change page tells the truth about one's own seat, erasure removes the mail files.

Mails go through a real SMTP server (aiosmtpd) or the .eml files, are parsed with the
email package; calendars are parsed with icalendar."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import time_machine
from calendars import ItemSpec
from calendars import make_event as make_timed_event
from factories import make_event, workshops
from helpers import csrf_token, visible_text
from icalendar import Calendar
from regutil import post_registration, reset_rate_limits, token_of
from test_invites import smtp_fixture  # noqa: F401  (a real SMTP server)

from eventapp.admin.mailing import send_message
from eventapp.calendar.notify import DEBOUNCE
from eventapp.extensions import db
from eventapp.mail import deliver_due, deliver_new
from eventapp.mail.delivery import _write_eml
from eventapp.models import Event, ItemKind, OutboxMessage, ProgrammeItem, Registration
from eventapp.models.types import utcnow
from eventapp.registration import (
    Applicant,
    cancel,
    change_choices,
    erase_expired,
    register,
)


@pytest.fixture(autouse=True)
def _fresh_limits():
    reset_rate_limits()
    yield


def applicant(number: int, language: str = "fr") -> Applicant:
    return Applicant(f"Prénom{number}", f"Nom{number}", f"p{number}@example.org", language=language)


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_text_of(message: EmailMessage) -> str:
    return visible_text(message.get_body(("html",)).get_content())


def invite_of(message: EmailMessage) -> Calendar | None:
    """The iTIP object of the mail (its text/calendar alternative), parsed; None without."""
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    if not parts:
        return None
    [part] = parts
    calendar = Calendar.from_ical(part.get_content())
    assert str(calendar["METHOD"]) == part.get_param("method")
    return calendar


def sequences(calendar: Calendar) -> dict[str, int]:
    return {str(e["UID"]): int(e["SEQUENCE"]) for e in calendar.walk("VEVENT")}


def summaries(calendar: Calendar) -> dict[str, str]:
    return {str(e["UID"]): str(e["SUMMARY"]) for e in calendar.walk("VEVENT")}


def feed(client, token: str) -> Calendar:
    response = client.get(f"/r/{token}/calendar.ics")
    assert response.status_code == 200
    return Calendar.from_ical(response.data)


# A. Replies reach the organisers -----------------------------------------------------------


def test_every_mail_answers_to_the_events_contact_address(app, ctx, smtp) -> None:
    event = make_event(rounds=1, themes=2, workshop_capacity=1)
    event.organising_body = "SPP Intégration sociale"
    db.session.commit()
    [[a, b]] = workshops(event)
    items = {item.id: item for item in event.items}
    first = register(event, applicant(1), [items[a]]).registration
    register(event, applicant(2), [items[a]])  # waitlisted: one seat
    register(event, applicant(1), [items[a]])  # the same address again: the link is mailed
    deliver_new()
    send_message(
        event, "confirmed", "Accès au bâtiment", "Entrée par la **rue Haute**.", key="k" * 22
    )
    deliver_new()
    deliver_due()
    change_choices(first, [items[b]])  # changed (REQUEST) and withdrawn (CANCEL)
    deliver_new()
    start = utcnow()
    with time_machine.travel(start, tick=False):
        item = db.session.get(ProgrammeItem, b)
        item.title = "Atelier renommé"
        db.session.commit()
    with time_machine.travel(start + DEBOUNCE + timedelta(seconds=1), tick=False):
        deliver_due()
    sent = smtp.take()
    subjects = [m["Subject"] for m in sent]
    assert subjects == [
        "Inscription confirmée : Journée ouverte",
        "Liste d'attente : Journée ouverte",
        "Votre lien d'inscription : Journée ouverte",
        "Accès au bâtiment",
        "Inscription modifiée : Journée ouverte",
        "Retiré de votre agenda : Journée ouverte",
        "Une place s'est libérée : Journée ouverte",  # p1 left workshop a: p2 gets it
        "Programme modifié : Journée ouverte",
    ]
    for message in sent:
        assert message["From"] == "eventapp@localhost"
        [reply_to] = message["Reply-To"].addresses
        assert reply_to.addr_spec == "contact@example.org", message["Subject"]
        assert reply_to.display_name == "SPP Intégration sociale"


def test_without_a_contact_address_there_is_no_reply_to(app, ctx, smtp) -> None:
    event = make_event(rounds=1)
    event.contact_email = ""
    db.session.commit()
    [[a, *_rest]] = workshops(event)
    register(event, applicant(1), [db.session.get(ProgrammeItem, a)])
    deliver_new()
    [message] = smtp.take()
    assert message["Reply-To"] is None


# B. When the day starts and ends ------------------------------------------------------------


def _timed_event() -> Event:
    """4 June 2031 in Brussels (summer time: UTC+2), from 09:30 to 16:45 local time."""
    day = date(2031, 6, 4)
    return make_timed_event(
        "horaire",
        "Europe/Brussels",
        [
            ItemSpec("Accueil et ouverture", day, time(9, 30), time(10, 30), room="Auditorium"),
            ItemSpec("Atelier A", day, time(11, 0), time(12, 30), ItemKind.WORKSHOP, "Salle A"),
            ItemSpec("Atelier B", day, time(11, 0), time(12, 30), ItemKind.WORKSHOP, "Salle B"),
            ItemSpec("Clôture", day, time(16, 0), time(16, 45), room="Auditorium"),
        ],
    )


def test_the_confirmation_tells_when_the_day_starts_and_ends(app, ctx, smtp) -> None:
    event = _timed_event()
    workshop = next(item for item in event.items if item.title == "Atelier A")
    register(event, applicant(1), [workshop])
    register(event, applicant(2, language="en"), [workshop])
    deliver_new()
    french, english = smtp.take()
    assert "Date : mercredi 4 juin 2031" in text_of(french)
    line = "Horaire : de 09:30 à 16:45 (heure d’Europe centrale)"
    assert line in text_of(french)
    assert line in html_text_of(french)
    # English: the zone's name in English (the sentence itself follows the catalogue)
    assert "Wednesday, June 4, 2031" in text_of(english)
    assert re.search(r"09:30\D+16:45 \(Central European Time\)", text_of(english))
    assert "07:30" not in text_of(french), "the event's time, not UTC"


def test_the_hours_start_with_the_event_when_doors_open_before_the_first_item(
    app, ctx, smtp
) -> None:
    event = _timed_event()
    event.starts_at = event.starts_at - timedelta(minutes=30)  # welcome coffee at 09:00
    db.session.commit()
    workshop = next(item for item in event.items if item.title == "Atelier B")
    register(event, applicant(1), [workshop])
    deliver_new()
    [message] = smtp.take()
    assert "Horaire : de 09:00 à 16:45 (heure d’Europe centrale)" in text_of(message)


# C. The waiting list: no seat claimed, what is full said ------------------------------------


def test_a_waitlisted_feed_claims_no_seat_until_promoted(app, ctx, client, smtp) -> None:
    event = make_event(rounds=2, themes=2, workshop_capacity=1)
    rounds = workshops(event)
    items = {item.id: item for item in event.items}
    full, free = items[rounds[0][0]], items[rounds[1][1]]
    first = register(event, applicant(1), [full]).registration
    waiting = register(event, applicant(2), [full, free]).registration
    token = waiting.token
    deliver_new()
    mails = {m["To"]: m for m in smtp.take()}
    assert invite_of(mails["p2@example.org"]) is None, "the waitlisted mail invites to nothing"
    agenda = feed(client, token)
    events = agenda.walk("VEVENT")
    assert [str(e["STATUS"]) for e in events if str(e["STATUS"]) == "CONFIRMED"] == []
    assert events == [], "neither the chosen workshops nor the plenary: no seat is held"

    cancel(first)  # the seat goes to the waiting person
    deliver_new()
    promoted = next(m for m in smtp.take() if m["To"] == "p2@example.org")
    assert promoted["Subject"] == "Une place s'est libérée : Journée ouverte"
    invited = invite_of(promoted)
    agenda = feed(client, token)
    assert summaries(agenda) == summaries(invited)
    assert set(summaries(agenda).values()) == {"Ouverture", full.title, free.title}
    assert {str(e["STATUS"]) for e in agenda.walk("VEVENT")} == {"CONFIRMED"}
    assert sequences(agenda) == sequences(invited)


def test_the_page_and_the_mail_say_which_workshop_is_full(app, ctx, client, smtp) -> None:
    event = make_event(rounds=2, themes=2, workshop_capacity=1)
    rounds = workshops(event)
    items = {item.id: item for item in event.items}
    full, free = items[rounds[0][0]], items[rounds[1][1]]
    register(event, applicant(1), [full])
    token = register(event, applicant(2), [full, free]).registration.token
    deliver_new()
    mail = next(m for m in smtp.take() if m["To"] == "p2@example.org")
    for text in (text_of(mail), html_text_of(mail)):
        assert "L'atelier « Atelier 1, tour 1 » est complet." in text
        assert "Atelier 2, tour 2 » est complet" not in text
        assert "L'événement « Journée ouverte » est complet." not in text
        assert "liste d'attente de « Journée ouverte », en position 1" in text
    page = visible_text(client.get(f"/r/{token}/").text)
    assert "Vous êtes sur la liste d'attente." in page
    assert "L'atelier « Atelier 1, tour 1 » est complet." in page
    assert "Atelier 2, tour 2 » est complet" not in page


def test_the_page_and_the_mail_say_when_the_event_is_full(app, ctx, client, smtp) -> None:
    event = make_event(rounds=1, themes=2, event_capacity=1)
    [[a, b]] = workshops(event)
    items = {item.id: item for item in event.items}
    register(event, applicant(1), [items[a]])
    token = register(event, applicant(2), [items[b]]).registration.token
    deliver_new()
    mail = next(m for m in smtp.take() if m["To"] == "p2@example.org")
    assert "L'événement « Journée ouverte » est complet." in text_of(mail)
    assert "L'atelier" not in text_of(mail)
    page = visible_text(client.get(f"/r/{token}/").text)
    assert "L'événement « Journée ouverte » est complet." in page
    assert "Votre agenda reste vide tant que votre place n'est pas confirmée" in page


# D. SEQUENCE: each message above the ones sent before ---------------------------------------


def _history(sent: list[EmailMessage]) -> dict[str, list[tuple[str, int]]]:
    """{UID: [(METHOD, SEQUENCE) of each message about it, in the order sent]}."""
    history: dict[str, list[tuple[str, int]]] = {}
    for message in sent:
        invited = invite_of(message)
        if invited is None:
            continue
        for uid, sequence in sequences(invited).items():
            history.setdefault(uid, []).append((str(invited["METHOD"]), sequence))
    return history


def _strictly_growing(history: dict[str, list[tuple[str, int]]]) -> None:
    for uid, messages in history.items():
        numbers = [sequence for _method, sequence in messages]
        assert numbers == sorted(set(numbers)), (uid, messages)


def test_a_workshop_picked_again_after_its_cancel_is_invited_above_it(
    app, ctx, client, smtp
) -> None:
    event = make_event(rounds=1, themes=2)
    [[first_id, second_id]] = workshops(event)
    items = {item.id: item for item in event.items}
    first, second = items[first_id], items[second_id]
    registration = register(event, applicant(1), [first]).registration
    token = registration.token
    deliver_new()
    change_choices(registration, [second])
    deliver_new()
    change_choices(registration, [first])  # back to the first workshop
    deliver_new()
    sent = smtp.take()
    assert [m["Subject"].split(" :")[0] for m in sent] == [
        "Inscription confirmée",
        "Inscription modifiée",
        "Retiré de votre agenda",
        "Inscription modifiée",
        "Retiré de votre agenda",
    ]
    history = _history(sent)
    uid = f"programme-item-{first_id}@127.0.0.1"
    methods = [method for method, _sequence in history[uid]]
    assert methods == ["REQUEST", "CANCEL", "REQUEST"]
    (_, invited), (_, cancelled), (_, again) = history[uid]
    assert again > cancelled, "a re-invitation after a CANCEL carries a higher SEQUENCE"
    _strictly_growing(history)
    # the feed agrees with the last message about each item
    agenda = feed(client, token)
    assert sequences(agenda) == sequences(invite_of(sent[3]))
    assert sequences(agenda)[uid] == again


def test_registering_again_after_cancelling_is_invited_above_the_cancel(
    app, ctx, client, smtp
) -> None:
    event = make_event(rounds=1, themes=2)
    [[first_id, _second]] = workshops(event)
    registration = register(event, applicant(1), [db.session.get(ProgrammeItem, first_id)])
    registration = registration.registration
    token = registration.token
    deliver_new()
    cancel(registration)
    deliver_new()
    # "Me réinscrire avec les mêmes ateliers", from the participant's page
    page = client.get(f"/r/{token}/")
    assert "Me réinscrire avec les mêmes ateliers" in visible_text(page.text)
    answer = client.post(f"/r/{token}/reactivate", data={"csrf_token": csrf_token(page.text)})
    assert answer.status_code == 303
    sent = smtp.take()
    assert [m["Subject"].split(" :")[0] for m in sent] == [
        "Inscription confirmée",
        "Inscription annulée",
        "Inscription confirmée",
    ]
    history = _history(sent)
    assert {tuple(m for m, _s in messages) for messages in history.values()} == {
        ("REQUEST", "CANCEL", "REQUEST")
    }
    _strictly_growing(history)
    agenda = feed(client, token)
    assert sequences(agenda) == sequences(invite_of(sent[2]))
    assert {str(e["STATUS"]) for e in agenda.walk("VEVENT")} == {"CONFIRMED"}


def test_a_programme_change_after_a_reinvitation_still_grows(app, ctx, client, smtp) -> None:
    """The offset kept for a person adds to the item's own SEQUENCE: the programme's next
    edit reaches their calendar above what they hold, and their feed says the same."""
    event = make_event(rounds=1, themes=2)
    [[first_id, second_id]] = workshops(event)
    items = {item.id: item for item in event.items}
    registration = register(event, applicant(1), [items[first_id]]).registration
    token = registration.token
    deliver_new()
    for picked in (second_id, first_id):
        change_choices(registration, [items[picked]])
        deliver_new()
    start = utcnow()
    with time_machine.travel(start, tick=False):
        item = db.session.get(ProgrammeItem, first_id)
        item.starts_at = item.starts_at + timedelta(minutes=15)
        db.session.commit()
    with time_machine.travel(start + DEBOUNCE + timedelta(seconds=1), tick=False):
        assert deliver_due().sent == 1
    sent = smtp.take()
    assert sent[-1]["Subject"] == "Programme modifié : Journée ouverte"
    history = _history(sent)
    _strictly_growing(history)
    uid = f"programme-item-{first_id}@127.0.0.1"
    assert [method for method, _s in history[uid]] == ["REQUEST", "CANCEL", "REQUEST", "REQUEST"]
    assert sequences(feed(client, token))[uid] == history[uid][-1][1]


# E. The change page and one's own seat ------------------------------------------------------


def _choices(html: str) -> dict[str, str]:
    """{workshop title: what its line says} on a registration or change form."""
    blocks = re.findall(r'(?s)<div class="workshop-choice[^"]*">(.*?)</div>', html)
    found = {}
    for block in blocks:
        text = visible_text(block)
        title = re.search(r'(?s)<span class="workshop-title">(.*?)</span>', block).group(1)
        found[visible_text(title)] = text
    return found


def test_the_change_page_shows_ones_own_full_workshop_as_ones_seat(app, client) -> None:
    with app.app_context():
        event = make_event(rounds=1, themes=3, workshop_capacity=1)
        [[a, b, _c]] = workshops(event)
        items = {item.id: item for item in event.items}
        token = register(event, applicant(1), [items[a]]).registration.token
        register(event, applicant(2), [items[b]])
        slug = event.slug
    page = client.get(f"/r/{token}/change")
    assert page.status_code == 200
    lines = _choices(page.text)
    own = lines["Atelier 1, tour 1"]
    assert "Votre atelier actuel" in own and "Votre place y est réservée" in own
    assert "Complet" not in own and "liste d'attente" not in own
    other = lines["Atelier 2, tour 1"]
    assert "Complet" in other and "vous ne pouvez pas le choisir" in other
    assert "liste d'attente" not in visible_text(page.text).split("Changer d'ateliers", 2)[-1]
    assert "1 place restante" in lines["Atelier 3, tour 1"]
    # what the labels say holds: keeping one's seat is accepted, the other full one refused
    data = {"csrf_token": csrf_token(page.text), "workshop_1": str(b)}
    refused = client.post(f"/r/{token}/change", data=data)
    assert refused.status_code == 400 and "Cet atelier est complet." in refused.text
    data["workshop_1"] = str(a)
    assert client.post(f"/r/{token}/change", data=data).status_code == 303
    # the public form still says "full, waiting list" to newcomers
    form = _choices(client.get(f"/events/{slug}/register").text)
    assert "inscription sur liste d'attente" in form["Atelier 1, tour 1"]


def test_a_waitlisted_person_is_still_told_a_full_workshop_waitlists(app, client) -> None:
    with app.app_context():
        event = make_event(rounds=1, themes=2, workshop_capacity=1)
        [[a, b]] = workshops(event)
        items = {item.id: item for item in event.items}
        register(event, applicant(1), [items[a]])
        register(event, applicant(2), [items[b]])
        token = register(event, applicant(3), [items[a]]).registration.token
    lines = _choices(client.get(f"/r/{token}/change").text)
    assert "Votre atelier actuel" in lines["Atelier 1, tour 1"]
    assert "inscription sur liste d'attente" in lines["Atelier 1, tour 1"]
    assert "inscription sur liste d'attente" in lines["Atelier 2, tour 1"]


# F. Erasure removes the mail files ----------------------------------------------------------


def _eml_files(app) -> dict[Path, str]:
    """{file: its headers and the decoded text of each of its parts}."""
    folder = Path(app.config["OUTBOX_DIR"])
    found = {}
    for path in folder.glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        texts = [f"{name}: {value}" for name, value in message.items()]
        for part in message.walk():
            if not part.is_multipart():
                content = part.get_content()
                texts.append(content if isinstance(content, str) else content.decode())
        found[path] = "\n".join(texts)
    return found


def test_erasing_removes_the_eml_files_of_ones_mails(app, client) -> None:
    assert not app.config.get("MAIL_SERVER"), "mail is written as .eml files"
    with app.app_context():
        event = make_event(rounds=1, themes=2, workshop_capacity=1)
        [[a, b]] = workshops(event)
        slug = event.slug
    other = post_registration(client, slug, [b], {
        "first_name": "Bruno", "last_name": "Autre", "email": "bruno@example.org",
        "consent": "y",
    })  # fmt: skip
    assert other.status_code == 303
    answer = post_registration(client, slug, [a])  # Ana López, ana.lopez@example.org
    token = token_of(answer.headers["Location"])
    client.post(f"/r/{token}/change", data={
        "csrf_token": csrf_token(client.get(f"/r/{token}/change").text), "workshop_1": str(a),
    })  # fmt: skip
    before = _eml_files(app)
    mine = [path for path, text in before.items() if token in text]
    assert len(mine) == 2, "confirmed, changed"
    page = client.get(f"/r/{token}/erase")
    assert "les e-mails qui vous ont été envoyés seront effacés" in visible_text(page.text)
    erased = client.post(f"/r/{token}/erase", data={"csrf_token": csrf_token(page.text)})
    assert erased.status_code == 303
    after = _eml_files(app)
    # (the folder holds the earlier tests' mails too, other Ana Lópezes among them)
    assert not [path for path, text in after.items() if token in text]
    assert set(after) == set(before) - set(mine), "the other person's mail stays"
    assert any("bruno@example.org" in text for text in after.values())


def test_a_missing_file_does_not_stop_an_erasure(app, client) -> None:
    with app.app_context():
        event = make_event(rounds=1, themes=2)
        [[a, _b]] = workshops(event)
        slug = event.slug
    token = token_of(post_registration(client, slug, [a]).headers["Location"])
    for path in _eml_files(app):
        path.unlink()  # someone tidied the folder already
    page = client.get(f"/r/{token}/erase")
    erased = client.post(f"/r/{token}/erase", data={"csrf_token": csrf_token(page.text)})
    assert erased.status_code == 303
    assert client.get(f"/r/{token}/").status_code == 404


def test_erasing_a_year_after_the_event_removes_the_eml_files_too(app, ctx) -> None:
    event = make_event(rounds=1, themes=2)
    [[a, _b]] = workshops(event)
    register(event, applicant(1), [db.session.get(ProgrammeItem, a)])
    deliver_new()
    assert any("p1@example.org" in text for text in _eml_files(app).values())
    assert erase_expired(now=utcnow() + timedelta(days=800)) == 1
    assert not any("p1@example.org" in text for text in _eml_files(app).values())
    assert db.session.scalar(db.select(Registration.email)) == ""


def test_a_file_of_the_same_name_for_someone_else_stays(app, ctx) -> None:
    """SQLite gives a deleted row's id again: a file named like the erased person's row
    (same second, id and kind) but addressed to someone else is not theirs."""
    from eventapp.mail import WrittenMail, remove_eml_files

    folder = Path(app.config["OUTBOX_DIR"])
    created = utcnow()
    row = OutboxMessage(id=987_654, kind="confirmed", created_at=created)
    for recipient in ("erased@example.org", "someone.else@example.org"):
        message = EmailMessage()
        message["To"] = recipient
        message.set_content("Bonjour")
        _write_eml(row, message)
    mine = WrittenMail(987_654, "confirmed", created, "erased@example.org")
    assert remove_eml_files([mine]) == 1
    left = [
        message_from_bytes(path.read_bytes())["To"]
        for path in folder.glob("*-987654-confirmed-*.eml")
    ]
    assert left == ["someone.else@example.org"]
    assert remove_eml_files([mine]) == 0, "already gone: fine"
