"""Test data: events whose registration is open now (the demo's closed in 2015)."""

from __future__ import annotations

from datetime import datetime, timedelta

from eventapp.extensions import db
from eventapp.models import Event, EventStatus, ItemKind, ProgrammeItem, Room, Theme
from eventapp.models.types import utcnow


def make_event(
    slug: str = "journee-ouverte",
    rounds: int = 2,
    themes: int = 3,
    workshop_capacity: int | None = 30,
    event_capacity: int | None = None,
    starts_in: timedelta = timedelta(days=30),
    opens: timedelta | None = timedelta(days=-10),
    closes: timedelta | None = timedelta(days=20),
    title: str = "Journée ouverte",
) -> Event:
    """A published event, registration open, with a plenary and ``rounds`` rounds in which
    ``themes`` workshops (one per theme) run in parallel. Commits; returns the event."""
    now = utcnow().replace(microsecond=0)
    day = (now + starts_in).replace(hour=8, minute=0, second=0)
    event = Event(
        slug=slug,
        title=title,
        starts_at=day,
        ends_at=day + timedelta(hours=8),
        timezone="Europe/Brussels",
        venue_name="Salle polyvalente",
        venue_address="Rue de la Loi 1, 1000 Bruxelles",
        contact_email="contact@example.org",
        capacity=event_capacity,
        registration_opens_at=now + opens if opens is not None else None,
        registration_closes_at=now + closes if closes is not None else None,
        status=EventStatus.PUBLISHED,
    )
    event.rooms = [Room(name="Auditorium", capacity=200, position=0)] + [
        Room(name=f"Salle {chr(65 + n)}", capacity=workshop_capacity, position=n + 1)
        for n in range(themes)
    ]
    event.themes = [Theme(number=n + 1, title=f"Thème numéro {n + 1}") for n in range(themes)]
    event.items.append(
        ProgrammeItem(
            kind=ItemKind.PLENARY,
            title="Ouverture",
            starts_at=day + timedelta(hours=1),
            ends_at=day + timedelta(hours=2),
            room=event.rooms[0],
        )
    )
    for round_index in range(rounds):
        start = day + timedelta(hours=3 + round_index * 2)
        for n in range(themes):
            event.items.append(
                ProgrammeItem(
                    kind=ItemKind.WORKSHOP,
                    title=f"Atelier {n + 1}, tour {round_index + 1}",
                    starts_at=start,
                    ends_at=start + timedelta(hours=1, minutes=30),
                    room=event.rooms[n + 1],
                    theme=event.themes[n],
                    capacity=workshop_capacity,
                )
            )
    db.session.add(event)
    db.session.commit()
    return event


def workshops(event: Event) -> list[list[int]]:
    """The workshop ids of each round, in room order: ``workshops(e)[round][n]``."""
    from eventapp.programme import choice_blocks

    return [[item.id for item in block.workshops] for block in choice_blocks(event)]


def at(base: datetime, **delta) -> datetime:
    return base + timedelta(**delta)
