"""The demo event: the network day of 1 December 2015 of the SPP Intégration sociale.

Everything comes from the compte-rendu shipped beside this module (a copy of the seed
document); times and rooms are illustrative, as the document gives none.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib.resources import files
from zoneinfo import ZoneInfo

from sqlalchemy import select

from eventapp.demo.data import EVENT, ITEMS, ROOMS, SPEAKERS, THEMES
from eventapp.extensions import db
from eventapp.models import (
    Event,
    EventStatus,
    ItemKind,
    ItemSpeaker,
    ProgrammeItem,
    Room,
    Speaker,
    Theme,
)

DEMO_SLUG = EVENT["slug"]


def summary(name: str) -> str:
    """A section of the compte-rendu, as the Markdown the organisers wrote."""
    return files("eventapp.demo").joinpath("summaries", f"{name}.md").read_text("utf-8").strip()


def _at(clock: str) -> datetime:
    tz = ZoneInfo(EVENT["timezone"])
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime.combine(EVENT["date"], datetime.min.time(), tz) + timedelta(
        hours=hour, minutes=minute
    )


def _speaker(name: str) -> Speaker:
    """The speaker of that name, created once and found again on later loads."""
    found = db.session.scalars(select(Speaker).where(Speaker.name == name)).first()
    if found is None:
        role, organisation = SPEAKERS[name]
        found = Speaker(name=name, role=role, organisation=organisation)
        db.session.add(found)
    return found


def load_demo() -> tuple[Event, bool]:
    """Loads the demo event unless it is there already; returns it and whether it was created."""
    existing = db.session.scalars(select(Event).where(Event.slug == DEMO_SLUG)).first()
    if existing is not None:
        return existing, False

    event = Event(
        slug=DEMO_SLUG,
        title=EVENT["title"],
        subtitle=EVENT["subtitle"],
        organising_body=EVENT["organising_body"],
        project=EVENT["project"],
        starts_at=_at(EVENT["starts"]),
        ends_at=_at(EVENT["ends"]),
        timezone=EVENT["timezone"],
        venue_name=EVENT["venue_name"],
        venue_address=EVENT["venue_address"],
        introduction_md=summary("introduction"),
        contact_email=EVENT["contact_email"],
        capacity=EVENT["capacity"],
        registration_opens_at=_at("00:00") - timedelta(days=60),
        registration_closes_at=_at("00:00") - timedelta(days=2),
        status=EventStatus.PUBLISHED,
        proceedings_published=True,
        proceedings_cover_line=EVENT["proceedings_cover_line"],
        proceedings_chapter=EVENT["proceedings_chapter"],
        language="fr",
    )
    rooms = {
        name: Room(name=name, capacity=capacity, position=position)
        for position, (name, capacity) in enumerate(ROOMS)
    }
    event.rooms = list(rooms.values())
    themes = {
        number: Theme(number=number, title=title, description_md=description)
        for number, title, description in THEMES
    }
    event.themes = list(themes.values())
    for spec in ITEMS:
        item = ProgrammeItem(
            kind=ItemKind(spec["kind"]),
            title=spec["title"],
            starts_at=_at(spec["start"]),
            ends_at=_at(spec["end"]),
            room=rooms.get(spec.get("room", "")),
            theme=themes.get(spec.get("theme", 0)),
            capacity=spec.get("capacity"),
            description_md=spec.get("description", ""),
            summary_md=summary(spec["summary"]) if spec.get("summary") else "",
        )
        item.speaker_links = [
            ItemSpeaker(speaker=_speaker(name), position=position, credit=credit)
            for position, (name, credit) in enumerate(spec.get("speakers", []))
        ]
        event.items.append(item)
    db.session.add(event)
    db.session.commit()
    return event, True
