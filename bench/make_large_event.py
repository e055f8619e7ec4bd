"""A generated large event for benchmarks and scale tests: by default 3 days, 10 rooms,
500 programme items, 600 speakers and 5,000 registrations (each with a workshop in the
first rounds).

    python -m bench.make_large_event [--slug SLUG] [--items N] [--speakers N] [--registrations N]
"""

from __future__ import annotations

import argparse
import random
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from eventapp.extensions import db
from eventapp.models import (
    Event,
    EventStatus,
    ItemKind,
    ItemSpeaker,
    ProgrammeItem,
    Registration,
    RegistrationChoice,
    RegistrationStatus,
    Room,
    Speaker,
    Theme,
)
from eventapp.models.types import utcnow
from eventapp.models.version import touch

SLOT_MINUTES = 45


def make_large_event(
    slug: str = "large-event",
    days: int = 3,
    rooms: int = 10,
    items: int = 500,
    speakers: int = 600,
    registrations: int = 5000,
    seed: int = 2015,
) -> Event:
    """Creates the event with bulk inserts (seconds, not minutes) and returns it."""
    rng = random.Random(seed)
    tz = ZoneInfo("Europe/Brussels")
    first_day = datetime(2027, 3, 24, 8, 0, tzinfo=tz)
    now = utcnow()
    event = Event(
        slug=slug,
        title=f"Grand congrès {slug}",
        organising_body="SPP Intégration sociale",
        starts_at=first_day,
        ends_at=first_day + timedelta(days=days - 1, hours=11),
        venue_name="Centre de congrès",
        venue_address="Rue de la Loi 1, 1000 Bruxelles",
        contact_email="congres@example.org",
        capacity=items * 40,
        registration_opens_at=now - timedelta(days=1),
        registration_closes_at=first_day - timedelta(days=1),
        status=EventStatus.PUBLISHED,
    )
    event.rooms = [Room(name=f"Salle {n + 1}", capacity=60, position=n) for n in range(rooms)]
    event.themes = [Theme(number=n + 1, title=f"Thème {n + 1}") for n in range(12)]
    db.session.add(event)
    db.session.flush()

    speaker_ids = list(
        db.session.scalars(
            insert(Speaker).returning(Speaker.id),
            [
                {"name": f"Intervenant·e {n:04d}", "role": "chargé·e de mission",
                 "organisation": f"CPAS n° {n % 97}"}
                for n in range(speakers)
            ],
        )
    )  # fmt: skip
    slots_per_day = 11 * 60 // SLOT_MINUTES
    rows = []
    for index in range(items):
        room_index = index % rooms
        slot = index // rooms
        day, slot_of_day = divmod(slot, slots_per_day)
        start = first_day + timedelta(days=day % days, minutes=slot_of_day * SLOT_MINUTES)
        rows.append(
            {
                "event_id": event.id,
                "guid": f"{slug}-{index}",
                "kind": ItemKind.WORKSHOP if rooms > 1 else ItemKind.PLENARY,
                "title": f"Atelier {index + 1} : coopérer à l'échelle locale",
                "starts_at": start,
                "ends_at": start + timedelta(minutes=SLOT_MINUTES - 5),
                "room_id": event.rooms[room_index].id,
                "theme_id": event.themes[index % len(event.themes)].id,
                "capacity": 40,
                "description_md": "Un atelier *généré* pour mesurer.",
                "summary_md": "",
                "sequence": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
    item_ids = list(db.session.scalars(insert(ProgrammeItem).returning(ProgrammeItem.id), rows))
    links = []
    for position, item_id in enumerate(item_ids):
        for order, speaker_id in enumerate(
            rng.sample(speaker_ids, 2) if position % 3 else [speaker_ids[position % speakers]]
        ):
            links.append({"item_id": item_id, "speaker_id": speaker_id, "position": order})
    db.session.execute(insert(ItemSpeaker), links)
    # Bulk inserts pass no flush hook: the programme's version is given by hand.
    touch(db.session.connection(), [event.id])
    _registrations(event.id, item_ids[:rooms], registrations, now)
    db.session.commit()
    return db.session.scalars(select(Event).where(Event.slug == slug)).one()


def _registrations(event_id: int, first_round: list[int], count: int, now) -> None:
    """``count`` people, one in ten on the waiting list, each in a workshop of the first round."""
    if count == 0:
        return
    rows = []
    for n in range(count):
        token = secrets.token_urlsafe(24)
        waiting = n % 10 == 9
        rows.append(
            {
                "event_id": event_id,
                "token": token,
                "token_lookup": token[:12],
                "first_name": f"Prénom{n}",
                "last_name": f"Nom{n:05d}",
                "email": f"personne{n}@example.org",
                "email_key": f"personne{n}@example.org",
                "organisation": f"CPAS n° {n % 97}",
                "job_title": "assistant·e social·e",
                "language": ("fr", "nl", "en")[n % 3],
                "status": RegistrationStatus.WAITLISTED
                if waiting
                else RegistrationStatus.CONFIRMED,
                "waitlist_rank": n if waiting else None,
                "consent_at": now,
                "created_at": now - timedelta(minutes=count - n),
                "updated_at": now,
                "confirmed_at": None if waiting else now,
            }
        )
    ids = list(db.session.scalars(insert(Registration).returning(Registration.id), rows))
    db.session.execute(
        insert(RegistrationChoice),
        [{"registration_id": rid, "item_id": first_round[i % len(first_round)]}
         for i, rid in enumerate(ids)],
    )  # fmt: skip


def main() -> None:
    from eventapp import create_app

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slug", default="large-event")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--speakers", type=int, default=600)
    parser.add_argument("--registrations", type=int, default=5000)
    arguments = parser.parse_args()
    with create_app().app_context():
        event = make_large_event(
            arguments.slug,
            arguments.days,
            arguments.rooms,
            arguments.items,
            arguments.speakers,
            arguments.registrations,
        )
        print(f"created {event.slug}: {len(event.items)} items")


if __name__ == "__main__":
    main()
