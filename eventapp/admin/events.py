"""Event operations: creation, publication switches, duplication into a new date."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from eventapp import audit
from eventapp.admin.conflicts import Conflict, programme_conflicts
from eventapp.extensions import db
from eventapp.limits import shift_local
from eventapp.models import (
    Event,
    EventStatus,
    ItemSpeaker,
    ProgrammeItem,
    Room,
    Theme,
    User,
)
from eventapp.models.types import utcnow


class PublicationRefused(Exception):
    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__(f"{len(conflicts)} conflict(s)")
        self.conflicts = conflicts


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:70] or "evenement"


def slug_taken(slug: str, *, except_id: int | None = None) -> bool:
    statement = select(Event.id).where(Event.slug == slug)
    if except_id is not None:
        statement = statement.where(Event.id != except_id)
    return db.session.scalars(statement).first() is not None


def unique_slug(base: str) -> str:
    slug, number = base, 2
    while slug_taken(slug):
        slug = f"{base}-{number}"
        number += 1
    return slug


def create_event(data: dict, *, by: User) -> Event:
    """A new draft event managed by its creator (committed)."""
    event = Event(**data)
    if not event.slug:
        event.slug = unique_slug(slugify(event.title))
    event.status = EventStatus.DRAFT
    # Opened deliberately by the organisers once the programme is ready.
    event.registration_open = False
    event.managers = [by]
    db.session.add(event)
    db.session.flush()
    audit.record(event, "event.created", event, commit=False)
    db.session.commit()
    return event


def is_past(event: Event) -> bool:
    return event.ends_at < utcnow()


def publish(event: Event) -> None:
    """Publishes the event, or raises PublicationRefused with the conflicts to fix first."""
    conflicts = programme_conflicts(event)
    if conflicts:
        raise PublicationRefused(conflicts)
    event.status = EventStatus.PUBLISHED
    audit.record(event, "event.published", event, commit=False)
    db.session.commit()


def unpublish(event: Event) -> None:
    event.status = EventStatus.DRAFT
    audit.record(event, "event.unpublished", event, commit=False)
    db.session.commit()


def set_registration_open(event: Event, is_open: bool) -> None:
    event.registration_open = is_open
    action = "event.registration_opened" if is_open else "event.registration_closed"
    audit.record(event, action, event, commit=False)
    db.session.commit()


def set_proceedings_published(event: Event, published: bool) -> None:
    if published:  # registrants are mailed the link (eventapp.proceedings.notify)
        from eventapp.proceedings.notify import publish_proceedings

        publish_proceedings(event)
        return
    event.proceedings_published = published
    db.session.commit()


def duplicate_event(event: Event, new_start: date, *, slug: str, by: User) -> Event:
    """A draft copy of the event on a new date: rooms, themes and programme shifted by whole
    days at the same local times; no registrations, no summaries, no publication.

    Raises OutsideYears, storing nothing, when the event or one of its items would fall
    outside the years events may take place in."""
    days = (new_start - event.local(event.starts_at).date()).days
    for instant in [event.starts_at, event.ends_at] + [
        moment for item in event.items if not item.cancelled_at
        for moment in (item.starts_at, item.ends_at)
    ]:  # fmt: skip
        shift_local(instant, event.tz, days)
    copy = Event(
        slug=slug,
        title=event.title,
        subtitle=event.subtitle,
        organising_body=event.organising_body,
        project=event.project,
        starts_at=shift_local(event.starts_at, event.tz, days),
        ends_at=shift_local(event.ends_at, event.tz, days),
        timezone=event.timezone,
        venue_name=event.venue_name,
        venue_address=event.venue_address,
        introduction_md=event.introduction_md,
        closing_md="",
        contact_email=event.contact_email,
        capacity=event.capacity,
        confirm_address=event.confirm_address,
        confirm_hours=event.confirm_hours,
        status=EventStatus.DRAFT,
        proceedings_published=False,
        # The same series of days: its compte-rendu is worded the same way.
        proceedings_cover_line=event.proceedings_cover_line,
        proceedings_chapter=event.proceedings_chapter,
        registration_open=False,
        language=event.language,
    )
    rooms = {
        room.id: Room(name=room.name, capacity=room.capacity, position=room.position)
        for room in event.rooms
    }
    themes = {
        theme.id: Theme(number=theme.number, title=theme.title, description_md=theme.description_md)
        for theme in event.themes
    }
    copy.rooms = list(rooms.values())
    copy.themes = list(themes.values())
    for item in event.items:
        if item.cancelled_at:
            continue
        new_item = ProgrammeItem(
            kind=item.kind,
            title=item.title,
            starts_at=shift_local(item.starts_at, event.tz, days),
            ends_at=shift_local(item.ends_at, event.tz, days),
            room=rooms.get(item.room_id) if item.room_id else None,
            theme=themes.get(item.theme_id) if item.theme_id else None,
            capacity=item.capacity,
            description_md=item.description_md,
            summary_md="",
        )
        new_item.speaker_links = [
            ItemSpeaker(speaker=link.speaker, position=link.position, credit=link.credit)
            for link in item.speaker_links
        ]
        copy.items.append(new_item)
    managers = list(event.managers)
    if by not in managers:
        managers.append(by)
    copy.managers = managers
    db.session.add(copy)
    db.session.flush()
    audit.record(copy, "event.created", copy, detail={"copy_of": event.slug}, commit=False)
    db.session.commit()
    return copy


def time_change_warning(event: Event) -> str | None:
    """Why changing this event's times needs a confirmation, or None when it does not."""
    if is_past(event):
        return _(
            "Cet événement est passé : les personnes inscrites seront prévenues du "
            "changement d'horaire. Cochez la case pour confirmer."
        )
    if event.is_published:
        return _(
            "Cet événement est publié : les personnes inscrites seront prévenues du "
            "changement d'horaire. Cochez la case pour confirmer."
        )
    return None
