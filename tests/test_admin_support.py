"""Shared helpers and fixtures for the organiser-area tests (imported by test_admin_*)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from helpers import csrf_token

from eventapp.admin.accounts import create_organiser
from eventapp.extensions import db, limiter
from eventapp.models import (
    Event,
    EventStatus,
    ItemKind,
    ItemSpeaker,
    ProgrammeItem,
    Room,
    Speaker,
    User,
)

PASSWORD = "un mot de passe solide"
BRUSSELS = ZoneInfo("Europe/Brussels")


def at(day: str, clock: str) -> datetime:
    """A wall-clock time in Brussels: at("2030-05-10", "09:00")."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=BRUSSELS)


def login(client, email: str, password: str = PASSWORD):
    limiter.reset()
    page = client.get("/admin/login")
    return client.post(
        "/admin/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
    )


def post(client, url: str, data: dict | None = None, *, token_from: str | None = None):
    """POSTs a form with a CSRF token read from a page of the organiser area."""
    page = client.get(token_from or "/admin/")
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(page.text)})


@pytest.fixture(name="accounts")
def accounts_fixture(app) -> dict[str, int]:
    """An administrator and two organisers, Alice and Bob; their ids by name."""
    with app.app_context():
        ids = {
            "admin": create_organiser("admin@example.org", PASSWORD, is_admin=True).id,
            "alice": create_organiser("alice@example.org", PASSWORD).id,
            "bob": create_organiser("bob@example.org", PASSWORD).id,
        }
        db.session.remove()
    return ids


def build_event(manager_id: int, *, slug: str = "journee-2030", day: str = "2030-05-10") -> int:
    """A draft one-day event with two rooms, two parallel workshops and a plenary."""
    manager = db.session.get(User, manager_id)
    event = Event(
        slug=slug,
        title="Journée 2030",
        starts_at=at(day, "09:00"),
        ends_at=at(day, "17:00"),
        status=EventStatus.DRAFT,
        managers=[manager],
    )
    big = Room(name="Auditorium", capacity=100, position=0)
    small = Room(name="Salle A", capacity=20, position=1)
    event.rooms = [big, small]
    speaker = Speaker(name="Ada Lovelace", role="analyste", organisation="Machine")
    other = Speaker(name="Alan Turing")
    plenary = ProgrammeItem(
        kind=ItemKind.PLENARY,
        title="Ouverture",
        starts_at=at(day, "09:00"),
        ends_at=at(day, "10:00"),
        room=big,
        summary_md="Ce qui s'est dit.",
    )
    plenary.speaker_links = [ItemSpeaker(speaker=speaker, position=0)]
    first = ProgrammeItem(
        kind=ItemKind.WORKSHOP,
        title="Atelier un",
        starts_at=at(day, "14:00"),
        ends_at=at(day, "15:30"),
        room=big,
        capacity=30,
    )
    first.speaker_links = [ItemSpeaker(speaker=speaker, position=0)]
    second = ProgrammeItem(
        kind=ItemKind.WORKSHOP,
        title="Atelier deux",
        starts_at=at(day, "14:00"),
        ends_at=at(day, "15:30"),
        room=small,
        capacity=20,
    )
    second.speaker_links = [ItemSpeaker(speaker=other, position=0)]
    event.items = [plenary, first, second]
    db.session.add(event)
    db.session.commit()
    return event.id
