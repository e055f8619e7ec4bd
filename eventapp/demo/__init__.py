"""The demo event: the network day of 1 December 2015 of the SPP Intégration sociale.

Everything comes from the compte-rendu shipped beside this module (a copy of the seed
document); times and rooms are illustrative, as the document gives none.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from importlib.resources import files
from zoneinfo import ZoneInfo

from sqlalchemy import select

from eventapp.demo import nl
from eventapp.demo.data import EVENT, ITEMS, ROOMS, SPEAKERS, THEMES
from eventapp.demo.nl import data as nl_texts
from eventapp.extensions import db
from eventapp.limits import shift_local
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
from eventapp.models.translated import Translated
from eventapp.models.types import utcnow

DEMO_SLUG = EVENT["slug"]
UPCOMING_SLUG = "journee-reseau-a-venir"
# The upcoming copy is dated on a Tuesday at least this many days after it is loaded.
UPCOMING_LEAD = timedelta(days=30)
TUESDAY = 1  # date.weekday()


class DemoLoad(enum.StrEnum):
    """What `eventapp demo` did to one demo event."""

    CREATED = "created"
    MOVED = "moved"
    UNCHANGED = "unchanged"


def summary(name: str) -> str:
    """A section of the compte-rendu, as the Markdown the organisers wrote."""
    return files("eventapp.demo").joinpath("summaries", f"{name}.md").read_text("utf-8").strip()


def _at(clock: str, day: date | None = None) -> datetime:
    tz = ZoneInfo(EVENT["timezone"])
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime.combine(day or EVENT["date"], datetime.min.time(), tz) + timedelta(
        hours=hour, minutes=minute
    )


def _speaker(name: str) -> Speaker:
    """The speaker of that name, created once (in French and Dutch) and found again on
    later loads."""
    found = db.session.scalars(select(Speaker).where(Speaker.name == name)).first()
    if found is None:
        role, organisation = SPEAKERS[name]
        found = Speaker(name=name, role=role, organisation=organisation, language="fr")
        _dutch(found, dict(zip(("role", "organisation"), nl_texts.SPEAKERS[name], strict=True)))
        db.session.add(found)
    return found


def _dutch(row: Translated, texts: dict[str, str]) -> None:
    """The row's Dutch texts (the French ones are its ordinary columns)."""
    for field, text in texts.items():
        row.set_translation(field, "nl", text)


def _existing(slug: str) -> Event | None:
    return db.session.scalars(select(Event).where(Event.slug == slug)).first()


def _programme(event: Event, day: date, *, summaries: bool) -> None:
    """The day's rooms, themes and items (with their speakers), dated on ``day``."""
    rooms = {
        name: Room(event=event, name=name, capacity=capacity, position=position)
        for position, (name, capacity) in enumerate(ROOMS)
    }
    for name, room in rooms.items():
        _dutch(room, {"name": nl_texts.ROOMS[name]})
    themes = {
        number: Theme(event=event, number=number, title=title, description_md=description)
        for number, title, description in THEMES
    }
    for number, theme in themes.items():
        _dutch(theme, dict(zip(("title", "description_md"), nl_texts.THEMES[number], strict=True)))
    for spec in ITEMS:
        item = ProgrammeItem(
            event=event,
            kind=ItemKind(spec["kind"]),
            title=spec["title"],
            starts_at=_at(spec["start"], day),
            ends_at=_at(spec["end"], day),
            room=rooms.get(spec.get("room", "")),
            theme=themes.get(spec.get("theme", 0)),
            capacity=spec.get("capacity"),
            description_md=spec.get("description", ""),
            summary_md=summary(spec["summary"]) if summaries and spec.get("summary") else "",
        )
        if item.kind == ItemKind.WORKSHOP:
            dutch = {"title": nl_texts.THEMES[spec["theme"]][0]}
        else:
            dutch = dict(
                zip(("title", "description_md"), nl_texts.ITEMS[spec["title"]], strict=True)
            )
        if item.summary_md:
            dutch["summary_md"] = nl.summary(spec["summary"])
        _dutch(item, dutch)
        item.speaker_links = [
            ItemSpeaker(speaker=_speaker(name), position=position, credit=credit)
            for position, (name, credit) in enumerate(spec.get("speakers", []))
        ]
        for link, (name, credit) in zip(item.speaker_links, spec.get("speakers", []), strict=True):
            if credit:
                _dutch(link, {"credit": nl_texts.CREDITS[name]})


def _event(slug: str, day: date, **fields: object) -> Event:
    """The demo day as an event on ``day``, in French and Dutch (not added to the session)."""
    event = Event(
        slug=slug,
        title=EVENT["title"],
        subtitle=EVENT["subtitle"],
        organising_body=EVENT["organising_body"],
        project=EVENT["project"],
        starts_at=_at(EVENT["starts"], day),
        ends_at=_at(EVENT["ends"], day),
        timezone=EVENT["timezone"],
        venue_name=EVENT["venue_name"],
        venue_address=EVENT["venue_address"],
        introduction_md=summary("introduction"),
        contact_email=EVENT["contact_email"],
        capacity=EVENT["capacity"],
        status=EventStatus.PUBLISHED,
        proceedings_cover_line=EVENT["proceedings_cover_line"],
        proceedings_chapter=EVENT["proceedings_chapter"],
        languages="fr,nl",
        language="fr",
        **fields,
    )
    _dutch(event, {**nl_texts.EVENT, "introduction_md": nl.summary("introduction")})
    return event


def load_demo() -> tuple[Event, bool]:
    """Loads the demo event unless it is there already; returns it and whether it was created."""
    existing = _existing(DEMO_SLUG)
    if existing is not None:
        return existing, False

    day = EVENT["date"]
    event = _event(
        DEMO_SLUG,
        day,
        registration_opens_at=_at("00:00", day) - timedelta(days=60),
        registration_closes_at=_at("00:00", day) - timedelta(days=2),
        proceedings_published=True,
    )
    _programme(event, day, summaries=True)
    db.session.add(event)
    db.session.commit()
    return event, True


def upcoming_day(today: date) -> date:
    """The first Tuesday at least UPCOMING_LEAD after ``today``."""
    earliest = today + UPCOMING_LEAD
    return earliest + timedelta(days=(TUESDAY - earliest.weekday()) % 7)


def load_upcoming_demo(now: datetime | None = None) -> tuple[Event, DemoLoad]:
    """The upcoming copy of the demo day, open for registration (first come, first served).

    Created on the first Tuesday at least 30 days away; left alone while that day is to
    come; once it has passed, moved forward again (same local times), keeping its
    registrations: the items' changed times raise their SEQUENCE and mail the registrants
    a calendar update, as any change of time does (eventapp.calendar.changes, .notify).
    """
    now = now or utcnow()
    existing = _existing(UPCOMING_SLUG)
    if existing is not None and existing.ends_at >= now:
        return existing, DemoLoad.UNCHANGED

    day = upcoming_day(now.astimezone(ZoneInfo(EVENT["timezone"])).date())
    if existing is not None:
        days = (day - existing.local(existing.starts_at).date()).days
        for item in existing.items:
            item.starts_at = shift_local(item.starts_at, existing.tz, days)
            item.ends_at = shift_local(item.ends_at, existing.tz, days)
        existing.starts_at = shift_local(existing.starts_at, existing.tz, days)
        existing.ends_at = shift_local(existing.ends_at, existing.tz, days)
        db.session.commit()
        return existing, DemoLoad.MOVED

    event = _event(UPCOMING_SLUG, day, registration_open=True, proceedings_published=False)
    _programme(event, day, summaries=False)
    db.session.add(event)
    db.session.commit()
    return event, DemoLoad.CREATED
