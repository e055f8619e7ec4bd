"""Turning a schedule from another tool into an eventapp event, or updating it again."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.interop.schedule import (
    Schedule,
    ScheduleError,
    ScheduleItem,
    check_schedule,
    kind_from_type,
    quoted,
    refused_line,
    slugify,
)
from eventapp.models import Event, EventStatus, ItemSpeaker, ProgrammeItem, Room, Speaker, Theme
from eventapp.models.types import utcnow

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


@dataclass
class ImportReport:
    event_slug: str = ""
    event_created: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)
    not_in_file: int = 0

    def summary(self) -> str:
        """One line for the organiser, in the current language (made when shown)."""
        counts = {
            "created": ngettext("%(num)d élément créé", "%(num)d éléments créés", self.created),
            "updated": ngettext("%(num)d mis à jour", "%(num)d mis à jour", self.updated),
            "unchanged": ngettext("%(num)d inchangé", "%(num)d inchangés", self.unchanged),
            "refused": ngettext("%(num)d refusé", "%(num)d refusés", len(self.refused)),
        }
        if self.event_created:
            line = _(
                "Événement « %(slug)s » créé : %(created)s, %(updated)s, %(unchanged)s, "
                "%(refused)s",
                slug=self.event_slug,
                **counts,
            )
        else:
            line = _(
                "Événement « %(slug)s » mis à jour : %(created)s, %(updated)s, "
                "%(unchanged)s, %(refused)s",
                slug=self.event_slug,
                **counts,
            )
        if self.not_in_file:
            line += ngettext(
                ", %(num)d absent du fichier (laissé tel quel)",
                ", %(num)d absents du fichier (laissés tels quels)",
                self.not_in_file,
            )
        return line + "."


def import_schedule(
    schedule: Schedule,
    refused: Iterable[str] = (),
    progress: Callable[[ScheduleItem], None] | None = None,
) -> ImportReport:
    """Creates or updates the event whose slug is the schedule's acronym; items match on guid.

    Everything happens in one transaction: a file that fails half-way stores nothing. A file
    with a value that would not be stored as it is (too long, control characters, times out
    of range) is refused as a whole (ScheduleError) before anything is touched.
    """
    check_schedule(schedule)
    slug = schedule.acronym if SLUG_PATTERN.match(schedule.acronym) else slugify(schedule.acronym)
    if not slug:
        raise ScheduleError(
            _(
                "l'acronyme %(acronym)s ne donne pas d'adresse (slug)",
                acronym=quoted(schedule.acronym),
            )
        )
    report = ImportReport(event_slug=slug, refused=list(refused))
    event = db.session.scalars(select(Event).where(Event.slug == slug)).first()
    if event is None:
        event = _new_event(schedule, slug)
        report.event_created = True
    else:
        event.title = schedule.title
    rooms = {room.name: room for room in event.rooms}
    themes = {theme.title: theme for theme in event.themes}
    items = {item.guid: item for item in event.items}
    speakers: dict[str, Speaker] = {}
    seen: set[str] = set()

    # One flush at the end: a new item is written with its speakers, not before them.
    with db.session.no_autoflush:
        for row in schedule.items:
            if progress:
                progress(row)
            if row.guid in seen:
                report.refused.append(
                    refused_line(
                        row.title,
                        _("le guid %(guid)s figure deux fois dans le fichier", guid=row.guid),
                    )
                )
                continue
            seen.add(row.guid)
            room = _room(event, rooms, row.room)
            theme = _theme(event, themes, row.track)
            names = list(row.persons)
            item = items.get(row.guid)
            if item is None:
                item = ProgrammeItem(guid=row.guid)
                event.items.append(item)
                report.created += 1
            elif _same(item, row, room, theme, names):
                report.unchanged += 1
                continue
            else:
                # SEQUENCE grows by itself when time, place, title or speakers change
                # (eventapp.calendar.changes watches every flush).
                report.updated += 1
            item.kind = kind_from_type(row.kind)
            item.title = row.title
            item.starts_at = row.start
            item.ends_at = row.end
            item.room = room
            item.theme = theme
            item.description_md = row.abstract
            if [link.speaker.name for link in item.speaker_links] != names:
                _set_speakers(item, [_speaker(speakers, name) for name in names])
    report.not_in_file = len(set(items) - seen)
    _stretch_event(event)
    db.session.commit()
    return report


def _new_event(schedule: Schedule, slug: str) -> Event:
    event = Event(
        slug=slug,
        title=schedule.title,
        timezone=schedule.timezone,
        starts_at=datetime.combine(schedule.start, time(9), _tz(schedule.timezone)),
        ends_at=datetime.combine(schedule.end, time(17), _tz(schedule.timezone)),
        status=EventStatus.DRAFT,
        language=_event_language(schedule),
    )
    db.session.add(event)
    return event


def _event_language(schedule: Schedule) -> str:
    """The first item language that the application speaks ("nl-BE" → "nl"), else its first
    language: an unknown code ("zz") would break the event's calendars and mails."""
    languages = current_app.config["LANGUAGES"]
    for item in schedule.items:
        primary = item.language.strip().lower().replace("_", "-").split("-")[0]
        if primary in languages:
            return primary
    return languages[0]


def _tz(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _stretch_event(event: Event) -> None:
    """Makes the event's span cover its programme."""
    live = [item for item in event.items if not item.cancelled_at]
    if live:
        event.starts_at = min(item.starts_at for item in live)
        event.ends_at = max(item.ends_at for item in live)
    event.updated_at = utcnow()


def _room(event: Event, rooms: dict[str, Room], name: str) -> Room | None:
    if not name:
        return None
    if name not in rooms:
        rooms[name] = Room(name=name, position=len(rooms))
        event.rooms.append(rooms[name])
    return rooms[name]


def _theme(event: Event, themes: dict[str, Theme], title: str) -> Theme | None:
    if not title:
        return None
    if title not in themes:
        number = max((theme.number for theme in themes.values()), default=0) + 1
        themes[title] = Theme(number=number, title=title)
        event.themes.append(themes[title])
    return themes[title]


def _set_speakers(item: ProgrammeItem, wanted: list[Speaker]) -> None:
    """Keeps the links of speakers who stay (one link per speaker and item), in the new order."""
    kept = {id(link.speaker): link for link in item.speaker_links}
    links = []
    for position, speaker in enumerate(dict.fromkeys(wanted)):
        link = kept.get(id(speaker)) or ItemSpeaker(speaker=speaker)
        link.position = position
        links.append(link)
    item.speaker_links = links


def _speaker(cache: dict[str, Speaker], name: str) -> Speaker:
    """Speakers are kept across events: the same name finds the same person again."""
    if name not in cache:
        found = db.session.scalars(select(Speaker).where(Speaker.name == name)).first()
        cache[name] = found or Speaker(name=name)
    return cache[name]


def _same(
    item: ProgrammeItem, row: ScheduleItem, room: Room | None, theme: Theme | None, names
) -> bool:
    return (
        item.starts_at == row.start
        and item.ends_at == row.end
        and item.room is room
        and item.title == row.title
        and [link.speaker.name for link in item.speaker_links] == names
        and item.theme is theme
        and item.kind == kind_from_type(row.kind)
        and item.description_md == row.abstract
    )
