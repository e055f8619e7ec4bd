"""Every kind of mail, byte for byte: a day of registrations, changes, programme edits, an
organisers' message and the compte-rendu notice, from fixed data at a fixed time, each
mail delivered as an .eml file and compared with tests/golden/mail/ apart from what
changes on every run (Message-ID, Date, the MIME boundaries).

When a mail changes on purpose (a new line, the calendar's VTIMEZONE), regenerate the
golden files and read the diff before committing it::

    EVENTAPP_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_mail_golden.py -q
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask

from eventapp.admin.mailing import send_message
from eventapp.extensions import db
from eventapp.mail import deliver_due
from eventapp.models import (
    Event,
    EventStatus,
    ItemKind,
    ItemSpeaker,
    ProgrammeItem,
    Registration,
    Room,
    Speaker,
    Theme,
)
from eventapp.models.registration import TOKEN_LOOKUP_LENGTH
from eventapp.proceedings.notify import publish_proceedings
from eventapp.registration.rules import Applicant
from eventapp.registration.service import cancel, change_choices, register

GOLDEN = Path(__file__).resolve().parent / "golden" / "mail"
UPDATE = os.environ.get("EVENTAPP_UPDATE_GOLDEN") == "1"
NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
DAY = datetime(2031, 4, 1, 7, 0, tzinfo=UTC)  # 09:00 in Brussels (summer time)
KIND_NAMES = [
    "01-confirmed-fr",
    "02-waitlisted-nl",
    "03-waitlisted-en",
    "04-already_registered-fr",
    "05-changed-fr",
    "06-withdrawn-fr",
    "07-promoted-nl",
    "08-cancelled-fr",
    "09-update-nl",
    "10-update_cancel-nl",
    "11-message-nl",
    "12-proceedings-nl",
    "13-confirm_address-fr",
    "14-pending-fr",
]
# Ids fixed (far above what other tests reach) so that UIDs agree on every database.
BASE = 90_000


def token(name: str) -> str:
    return f"golden-{name}".ljust(32, "0")


def _event() -> Event:
    event = Event(
        id=BASE,
        slug="journee-doree",
        title="Journée dorée",
        organising_body="SPP Intégration sociale",
        starts_at=DAY,
        ends_at=DAY + timedelta(hours=8),
        timezone="Europe/Brussels",
        venue_name="Salle polyvalente",
        venue_address="Rue de la Loi 1, 1000 Bruxelles",
        contact_email="contact@example.org",
        registration_opens_at=NOW - timedelta(days=10),
        registration_closes_at=NOW + timedelta(days=20),
        status=EventStatus.PUBLISHED,
    )
    event.rooms = [
        Room(id=BASE + n, name=name, capacity=capacity, position=n)
        for n, (name, capacity) in enumerate([("Auditorium", 200), ("Salle A", 1), ("Salle B", 30)])
    ]
    event.themes = [
        Theme(id=BASE + n, number=n, title=f"Thème {n} : les enfants d'abord") for n in (1, 2)
    ]
    speaker = Speaker(id=BASE, name="Marie Dupont", role="Directrice", organisation="CPAS de Liège")

    def item(n: int, kind: ItemKind, title: str, hours: float, room: int, theme: int | None):
        start = DAY + timedelta(hours=hours)
        return ProgrammeItem(
            id=BASE + n,
            guid=f"golden-item-{n}",
            kind=kind,
            title=title,
            starts_at=start,
            ends_at=start + timedelta(hours=1, minutes=30),
            room=event.rooms[room],
            theme=event.themes[theme] if theme is not None else None,
        )

    event.items = [
        item(1, ItemKind.PLENARY, "Ouverture", 0.5, 0, None),
        item(2, ItemKind.WORKSHOP, "Atelier A, tour 1", 3, 1, 0),
        item(3, ItemKind.WORKSHOP, "Atelier B, tour 1", 3, 2, 1),
        item(4, ItemKind.WORKSHOP, "Atelier A, tour 2", 5, 1, 0),
        item(5, ItemKind.WORKSHOP, "Atelier B, tour 2", 5, 2, 1),
    ]
    event.items[0].speaker_links = [ItemSpeaker(id=BASE, speaker=speaker, position=0)]
    db.session.add(event)
    db.session.commit()
    return event


class Mails:
    """Delivers what is due as .eml files and names each new one after its order and kind."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: set[str] = set()
        self.delivered: list[tuple[str, bytes]] = []

    def deliver(self) -> None:
        report = deliver_due()
        assert report.failed == 0, report.errors
        new = sorted(
            path for path in self.folder.glob("*.eml") if path.name not in self.seen
        )  # named by time, then row id
        for path in new:
            self.seen.add(path.name)
            kind = re.fullmatch(r"\d{8}T\d{6}-\d{6}-(\w+)-[0-9a-f]{8}\.eml", path.name)
            assert kind, path.name
            data = path.read_bytes()
            language = re.search(rb"^Content-Language: (\w+)", data, re.M)
            name = f"{len(self.delivered) + 1:02d}-{kind.group(1)}-{language.group(1).decode()}"
            self.delivered.append((name, data))


def normalise(data: bytes) -> bytes:
    """The mail without what differs on every delivery: Message-ID, Date, boundaries."""
    data = re.sub(rb"^Message-ID: .*$", b"Message-ID: <normalised>", data, flags=re.M)
    data = re.sub(rb"^Date: .*$", b"Date: normalised", data, flags=re.M)
    boundaries: dict[bytes, bytes] = {}
    for found in re.findall(rb'boundary="([^"]+)"', data):
        boundaries.setdefault(found, b"BOUNDARY-%d" % (len(boundaries) + 1))
    for found, replacement in boundaries.items():
        data = data.replace(found, replacement)
    return data


@pytest.fixture
def mails(app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Mails]:
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "worker")  # delivered by deliver_due
    monkeypatch.setitem(app.config, "OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setitem(app.config, "BASE_URL", "https://events.example.org")
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "eventapp@example.org")
    with app.app_context():
        yield Mails(tmp_path / "outbox")
        db.session.remove()


def _register(event: Event, name: str, language: str, item_ids: list[int]) -> Registration:
    items = [db.session.get(ProgrammeItem, item_id) for item_id in item_ids]
    applicant = Applicant(
        first_name=name,
        last_name="Peeters",
        email=f"{name.lower()}@example.org",
        organisation="CPAS de Namur",
        job_title="Assistant·e social·e",
        language=language,
    )
    registration = register(event, applicant, items).registration
    registration = db.session.get(Registration, registration.id)
    _fix_token(registration, name.lower())
    return registration


def _fix_token(registration: Registration, name: str) -> None:
    registration.token = token(name)
    registration.token_lookup = registration.token[:TOKEN_LOOKUP_LENGTH]
    db.session.commit()


def _day_of_mails(mails: Mails) -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        event = _event()
        ana = _register(event, "Ana", "fr", [BASE + 2, BASE + 4])
        mails.deliver()  # confirmed
        _register(event, "Bram", "nl", [BASE + 2, BASE + 5])
        mails.deliver()  # waitlisted: Salle A has one seat
        _register(event, "Chloe", "en", [BASE + 2, BASE + 4])
        mails.deliver()  # waitlisted, second in line
        again = register(event, Applicant("Ana", "Peeters", "ANA@example.org"), [])
        assert not again.created
        ana = db.session.get(Registration, ana.id)
        assert ana.token != token("ana")  # a fresh link, the old one void
        _fix_token(ana, "ana")  # the same fresh link on every run
        mails.deliver()  # already_registered
        ana = db.session.get(Registration, ana.id)
        change_choices(ana, [db.session.get(ProgrammeItem, i) for i in (BASE + 3, BASE + 4)])
        mails.deliver()  # changed, withdrawn (Atelier A, tour 1), Bram promoted
        cancel(db.session.get(Registration, ana.id))
        mails.deliver()  # cancelled; Chloe still waits for Salle A

        opening = db.session.get(ProgrammeItem, BASE + 1)
        opening.starts_at += timedelta(minutes=15)
        db.session.commit()
        db.session.get(ProgrammeItem, BASE + 5).cancelled_at = NOW
        db.session.commit()
        mails.deliver()  # nothing yet: updates wait for the next edit
        traveller.shift(timedelta(minutes=6))
        mails.deliver()  # update, update_cancel for Bram

        event = db.session.get(Event, BASE)
        sent = send_message(
            event,
            "confirmed",
            "Infos pratiques",
            "Bonjour,\n\n- le parking est **gratuit**\n- <script>alert(1)</script>",
            key="k" * 32,
        )
        assert sent == 1
        mails.deliver()  # message
        assert publish_proceedings(db.session.get(Event, BASE)) == 1
        mails.deliver()  # proceedings

        event = db.session.get(Event, BASE)
        event.confirm_address, event.confirm_hours = True, 24
        db.session.commit()
        dora = _register(event, "Dora", "fr", [BASE + 3, BASE + 4])
        dora.confirm_token = "golden-confirm".ljust(43, "0")
        db.session.commit()
        mails.deliver()  # confirm_address
        event.confirm_address = False  # the next registrant needs no confirmation
        event.allocation_mode = "preferences"
        db.session.commit()
        dana = register(
            event,
            Applicant("Dana", "Peeters", "dana@example.org", language="fr"),
            [],
            preferences=["2", "1"],
        )
        dana.registration.token = token("dana")
        dana.registration.token_lookup = dana.registration.token[:TOKEN_LOOKUP_LENGTH]
        db.session.commit()
        mails.deliver()  # pending: wishes received


def test_every_mail_kind_is_the_same_byte_for_byte(mails: Mails) -> None:
    _day_of_mails(mails)
    names = [name for name, _data in mails.delivered]
    assert names == KIND_NAMES
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for stale in GOLDEN.glob("*.eml"):
            stale.unlink()
        for name, data in mails.delivered:
            (GOLDEN / f"{name}.eml").write_bytes(normalise(data))
    differing = [
        name
        for name, data in mails.delivered
        if not (GOLDEN / f"{name}.eml").is_file()
        or normalise(data) != (GOLDEN / f"{name}.eml").read_bytes()
    ]
    assert not differing, (
        f"mails differ from tests/golden/mail/: {differing}; if on purpose, regenerate "
        "with EVENTAPP_UPDATE_GOLDEN=1 (see this module's docstring) and review the diff"
    )
    assert sorted(path.stem for path in GOLDEN.glob("*.eml")) == names


def test_normalise_leaves_the_rest_alone() -> None:
    """Only the three varying parts are replaced: a changed word still shows."""
    one = (
        b'Date: Mon\nMessage-ID: <1@x>\nContent-Type: multipart/mixed; boundary="===1=="\n'
        b"\n--===1==\nbonjour\n"
    )
    other = one.replace(b"<1@x>", b"<2@y>").replace(b"===1==", b"===2==")
    assert normalise(one) == normalise(other)
    assert normalise(one) != normalise(one.replace(b"bonjour", b"bonsoir"))


def test_a_fresh_app_composes_every_kind() -> None:
    """The composers are registered by the modules where each mail's subject lives: an app
    made in a new process (as `eventapp mail send --watch` is) has every one of them."""
    script = (
        "from eventapp import create_app\n"
        "from eventapp.mail.outbox import composed_kinds\n"
        "create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'SECRET_KEY': 'x'})\n"
        "print(' '.join(sorted(composed_kinds())))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    kinds = {re.fullmatch(r"\d\d-(\w+)-\w\w", name).group(1) for name in KIND_NAMES}
    assert set(done.stdout.split()) == kinds
