"""The programme builder's domain: items, rooms, themes, speakers and the day grid."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from eventapp import audit
from eventapp.extensions import db
from eventapp.limits import in_year_window
from eventapp.models import Event, ItemSpeaker, ProgrammeItem, Room, Speaker, Theme
from eventapp.models.types import utcnow

GRID_MINUTES = 5
SLOT_MINUTES = 30


class InUse(ValueError):
    """A deletion refused because something still refers to the thing."""


# --- speakers -------------------------------------------------------------------------

# Searched on a stripped line: it starts at a "#" only, and each "#" looks no further than
# its digits, so a line is read in linear time (the former leading "\s*" made every
# position of a long run of spaces scan the whole run: minutes for a 500 KB box).
_ID_SUFFIX = re.compile(r"#(\d+)$")
MAX_ID = 2**31 - 1  # an integer column's range on every database
SPEAKER_NAME_MAX = 200  # Speaker.name's length
#: The speakers box of an item: a hundred lines of "Name #id" and more.
SPEAKERS_BOX_MAX = 20_000


def resolve_speakers(text: str) -> tuple[list[Speaker | str], list[str]]:
    """Reads a list of speakers, one per line, in order: "Name" or "Name #id".

    Returns the speakers (existing ones, or the names of new ones to create) and the
    problems found. A name shared by several speakers must carry its #id.
    """
    found: list[Speaker | str] = []
    problems: list[str] = []
    seen: set[object] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        match = _ID_SUFFIX.search(line)
        if match:
            number = int(match.group(1))
            speaker = db.session.get(Speaker, number) if number <= MAX_ID else None
            if speaker is None:
                problems.append(_("Aucun intervenant n°%(id)s.", id=match.group(1)))
                continue
        else:
            same = list(
                db.session.scalars(
                    select(Speaker).where(func.lower(Speaker.name) == line.lower()).limit(2)
                )
            )
            if len(same) > 1:
                problems.append(
                    _(
                        "Plusieurs intervenants s'appellent « %(name)s » : choisissez-en un "
                        "dans la recherche (« Nom #numéro »).",
                        name=line,
                    )
                )
                continue
            speaker = same[0] if same else None
            if speaker is None and len(line) > SPEAKER_NAME_MAX:
                problems.append(
                    _(
                        "Nom trop long (%(max)s caractères au plus) : « %(name)s… ».",
                        max=SPEAKER_NAME_MAX,
                        name=line[:40],
                    )
                )
                continue
        key = speaker.id if speaker is not None else line.lower()
        if key in seen:
            problems.append(_("« %(name)s » figure deux fois.", name=line))
            continue
        seen.add(key)
        found.append(speaker if speaker is not None else line)
    return found, problems


def speakers_text(item: ProgrammeItem) -> str:
    return "\n".join(f"{speaker.name} #{speaker.id}" for speaker in item.speakers)


def search_speakers(query: str, limit: int = 20) -> list[Speaker]:
    query = query.strip()
    statement = select(Speaker).order_by(func.lower(Speaker.name)).limit(limit)
    if query:
        literal = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(func.lower(Speaker.name).like(f"%{literal}%", escape="\\"))
    return list(db.session.scalars(statement))


def speaker_usage(speaker: Speaker) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ItemSpeaker).where(ItemSpeaker.speaker_id == speaker.id)
    )


def delete_speaker(speaker: Speaker) -> None:
    used = speaker_usage(speaker)
    if used:
        raise InUse(
            ngettext(
                "%(name)s intervient encore dans %(num)d élément de programme : retirez-l'en "
                "d'abord.",
                "%(name)s intervient encore dans %(num)d éléments de programme : retirez-l'en "
                "d'abord.",
                used,
                name=speaker.name,
            )
        )
    db.session.delete(speaker)
    db.session.commit()


# --- rooms and themes -----------------------------------------------------------------


def _items_using(column, value: int) -> list[ProgrammeItem]:
    return list(db.session.scalars(select(ProgrammeItem).where(column == value).limit(5)))


def delete_room(room: Room) -> None:
    items = _items_using(ProgrammeItem.room_id, room.id)
    if items:
        raise InUse(
            _(
                "La salle %(room)s accueille encore : %(items)s. Déplacez ces éléments d'abord.",
                room=room.name,
                items=", ".join(f"« {item.title} »" for item in items),
            )
        )
    audit.record(room.event_id, "room.deleted", room, commit=False)
    db.session.delete(room)
    db.session.commit()


def delete_theme(theme: Theme) -> None:
    items = _items_using(ProgrammeItem.theme_id, theme.id)
    if items:
        raise InUse(
            _(
                "Le thème %(number)s est encore celui de : %(items)s. Changez leur thème d'abord.",
                number=theme.number,
                items=", ".join(f"« {item.title} »" for item in items),
            )
        )
    audit.record(theme.event_id, "theme.deleted", theme, commit=False)
    db.session.delete(theme)
    db.session.commit()


# --- items ----------------------------------------------------------------------------


def save_item(item: ProgrammeItem, values: dict, speakers: list[Speaker | str]) -> ProgrammeItem:
    """Applies the form's values and speakers (in order) to the item and commits.

    New speaker names become speakers. SEQUENCE follows by itself when something a
    participant's calendar shows has changed (eventapp.calendar.changes, at flush).
    """
    is_new = item.id is None
    changed = sorted(name for name, value in values.items() if getattr(item, name) != value)
    for name, value in values.items():
        setattr(item, name, value)
    chosen = [entry if isinstance(entry, Speaker) else Speaker(name=entry) for entry in speakers]
    before = [link.speaker_id for link in item.speaker_links]
    if [speaker.id for speaker in chosen] != before or any(s.id is None for s in chosen):
        by_speaker = {link.speaker_id: link for link in item.speaker_links}
        links = []
        for position, speaker in enumerate(chosen):
            link = by_speaker.get(speaker.id) if speaker.id is not None else None
            if link is None:
                link = ItemSpeaker(speaker=speaker)
            link.position = position
            links.append(link)
        item.speaker_links = links
    if is_new:
        db.session.add(item)
        db.session.flush()
    action = "item.created" if is_new else "item.changed"
    audit.record(item.event, action, item, detail={"fields": changed}, commit=False)
    db.session.commit()
    return item


def move_item(item: ProgrammeItem, room: Room | None, starts_at: datetime) -> None:
    """Moves the item to a room and a start time, keeping its length."""
    length = item.ends_at - item.starts_at
    item.starts_at = starts_at
    item.ends_at = starts_at + length
    item.room = room
    detail = {"room": room.name if room else "", "start": item.event.local(starts_at).isoformat()}
    audit.record(item.event, "item.moved", item, detail=detail, commit=False)
    db.session.commit()


def delete_item(item: ProgrammeItem) -> bool:
    """Deletes a draft event's item; a published event's item is cancelled instead, so that
    registrations and calendars keep it (as cancelled). Returns whether it was deleted."""
    if item.event.is_published:
        item.cancelled_at = utcnow()
        audit.record(item.event, "item.cancelled", item, commit=False)
        db.session.commit()
        return False
    audit.record(item.event, "item.deleted", item, commit=False)
    db.session.delete(item)
    db.session.commit()
    return True


# --- the grid -------------------------------------------------------------------------


@dataclass
class Placed:
    item: ProgrammeItem
    column: int
    row: int
    span: int


@dataclass
class Slot:
    row: int
    label: str
    local: datetime


@dataclass
class DayGrid:
    """One day of the builder: rooms as columns, time as rows of GRID_MINUTES each."""

    date: date
    columns: list[Room | None]
    rows: int
    slots: list[Slot]
    placed: list[Placed] = field(default_factory=list)


def _floor(moment: datetime, minutes: int) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % minutes, second=0, microsecond=0)


def _in_window(item: ProgrammeItem) -> bool:
    return in_year_window(item.starts_at) and in_year_window(item.ends_at)


def day_grids(event: Event) -> list[DayGrid]:
    """The programme laid out per local day, rooms × time, for the builder page.

    Only what falls within FIRST_YEAR..LAST_YEAR is laid out (an older import may have
    stored year 9999, where a day more overflows); such items stay in the page's list,
    where they can be moved or deleted."""
    items = [item for item in event.items if not item.cancelled_at and _in_window(item)]
    days: dict[date, list[ProgrammeItem]] = {}
    for item in items:
        days.setdefault(event.local(item.starts_at).date(), []).append(item)
    first, last = date.max, date.min  # no event days when the event's own dates are odd
    if in_year_window(event.starts_at) and in_year_window(event.ends_at):
        first = event.local(event.starts_at).date()
        last = event.local(event.ends_at).date()
    day = first
    while day <= last and len(days) < 31:
        days.setdefault(day, [])
        day += timedelta(days=1)
    needs_no_room = any(item.room_id is None for item in items)
    columns: list[Room | None] = list(event.rooms) + ([None] if needs_no_room else [])
    index = {room.id if room else None: position for position, room in enumerate(columns)}
    grids = []
    for day, day_items in sorted(days.items()):
        starts = [event.local(item.starts_at) for item in day_items]
        ends = [event.local(max(item.ends_at, item.starts_at)) for item in day_items]
        if first <= day <= last:
            starts.append(datetime.combine(day, event.local(event.starts_at).time(), event.tz))
            ends.append(datetime.combine(day, event.local(event.ends_at).time(), event.tz))
        top = _floor(min(starts), SLOT_MINUTES)
        midnight = datetime.combine(day + timedelta(days=1), time(), event.tz)
        bottom = max(min(max(ends), midnight), top + timedelta(minutes=SLOT_MINUTES))
        rows = max(1, -(-int((bottom - top).total_seconds() // 60) // GRID_MINUTES))
        slots = []
        moment = top
        while moment < bottom:
            offset = int((moment - top).total_seconds() // 60) // GRID_MINUTES
            slots.append(Slot(row=offset + 2, label=moment.strftime("%H:%M"), local=moment))
            moment += timedelta(minutes=SLOT_MINUTES)
        grid = DayGrid(date=day, columns=columns, rows=rows, slots=slots)
        for item in sorted(day_items, key=lambda i: (i.starts_at, i.id)):
            start = event.local(item.starts_at)
            offset = int((start - top).total_seconds() // 60) // GRID_MINUTES
            length = int((item.ends_at - item.starts_at).total_seconds() // 60) // GRID_MINUTES
            span = max(1, min(length, rows - offset))
            grid.placed.append(Placed(item, index[item.room_id] + 2, offset + 2, span))
        grids.append(grid)
    return grids
