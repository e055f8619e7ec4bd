"""A programme as the schedule formats see it, independent of XML or JSON."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from eventapp.models import Event, ItemKind


class ScheduleError(ValueError):
    """A schedule file that cannot be read at all; the message says why, in one line, in
    French through Flask-Babel (translated when raised, in the current language)."""


#: Years a programme may span, as the API allows them (earlier or later times overflow the
#: calendars and the day grids).
FIRST_YEAR, LAST_YEAR = 1970, 2200
#: The columns' sizes: a longer value refuses the file rather than being cut.
LIMITS = {
    "conference title": 200,
    "guid": 64,
    "title": 300,
    "room": 120,
    "track": 300,
    "person": 200,
}
#: The elements as a message names them (lazy: translated when the message is made).
ELEMENT_NAMES = {
    "conference title": _l("le titre de la conférence"),
    "guid": _l("le guid"),
    "title": _l("le titre"),
    "room": _l("la salle"),
    "track": _l("le thème"),
    "person": _l("l'intervenant"),
    "language": _l("la langue"),
}
#: Control characters (Unicode category Cc): none in one-line values; in the abstract, only
#: tab, carriage return and line feed.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass
class ScheduleItem:
    guid: str
    id: int
    title: str
    kind: str
    start: datetime  # aware
    end: datetime  # aware
    room: str = ""
    track: str = ""
    persons: list[str] = field(default_factory=list)
    abstract: str = ""
    description: str = ""
    language: str = ""
    slug: str = ""
    subtitle: str = ""
    url: str = ""


@dataclass
class Schedule:
    acronym: str
    title: str
    timezone: str
    start: date
    end: date
    items: list[ScheduleItem] = field(default_factory=list)
    rooms: list[str] = field(default_factory=list)
    base_url: str = ""

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]


def kind_from_type(type_name: str) -> ItemKind:
    """Maps a submission type of another tool ("Talk", "Workshop", "Pause"…) to our kinds."""
    lowered = type_name.casefold()
    if any(word in lowered for word in ("workshop", "atelier", "werkwinkel", "breakout")):
        return ItemKind.WORKSHOP
    if any(word in lowered for word in ("break", "pause", "lunch", "déjeuner", "café", "coffee")):
        return ItemKind.BREAK
    return ItemKind.PLENARY


def schedule_of(event: Event, base_url: str, lang: str | None = None) -> Schedule:
    """The event's live programme (cancelled items left out) as a Schedule, its texts in
    ``lang`` when the event declares it (else its first language; each item says which)."""
    tz = event.tz
    if lang not in event.language_list:
        lang = event.language_list[0]
    items = sorted(
        (item for item in event.items if not item.cancelled_at),
        key=lambda i: (i.starts_at, i.room.position if i.room else -1, i.id),
    )
    event_url = f"{base_url}/events/{event.slug}/"
    rows = [
        ScheduleItem(
            guid=item.guid,
            id=item.id,
            title=item.text("title", lang),
            kind=item.kind.value,
            start=item.starts_at.astimezone(tz),
            end=item.ends_at.astimezone(tz),
            room=item.room.text("name", lang) if item.room else "",
            track=item.theme.text("title", lang) if item.theme else "",
            persons=[speaker.name for speaker in item.speakers],
            abstract=item.text("description_md", lang),
            language=item.text("title", lang).lang,
            slug=f"{event.slug}-{item.id}-{slugify(item.title)}",
            url=f"{event_url}#item-{item.id}",
        )
        for item in items
    ]
    used_rooms = {row.room for row in rows}
    return Schedule(
        acronym=event.slug,
        title=event.text("title", lang),
        timezone=event.timezone,
        start=event.starts_at.astimezone(tz).date(),
        end=event.ends_at.astimezone(tz).date(),
        items=rows,
        rooms=[
            room.text("name", lang) for room in event.rooms if room.text("name", lang) in used_rooms
        ]
        + ([""] if "" in used_rooms else []),
        base_url=event_url,
    )


def quoted(text: str, width: int = 40) -> str:
    """A value of the file quoted for a message: control characters escaped, long ones cut."""
    return repr(text if len(text) <= width else text[:width] + "…")


def item_where(guid: str) -> str:
    """The place of a message about one event of the file, named by its guid."""
    return _("l'élément %(guid)s", guid=quoted(guid))


def out_of_years(where: str, moment: str) -> str:
    return _(
        "%(where)s : %(moment)s tombe hors des années %(first)s à %(last)s",
        where=where,
        moment=moment,
        first=FIRST_YEAR,
        last=LAST_YEAR,
    )


def refused_line(label: str, reason: str) -> str:
    """A line of the report for one event of the file that was refused."""
    return shown(_("%(title)s : %(reason)s", title=label, reason=reason))


def shown(text: str, width: int = 200) -> str:
    """A line for a report: control characters escaped (\\x00), long ones cut."""
    text = CONTROL.sub(lambda found: repr(found.group())[1:-1], text)
    return text if len(text) <= width else text[:width] + "…"


def in_range(start: datetime, end: datetime, where: str) -> None:
    """Refuses (ScheduleError) a time outside FIRST_YEAR..LAST_YEAR, in UTC or local time."""
    for moment in (start, end):
        years = {moment.year}
        try:
            years.add(moment.astimezone(UTC).year)
        except OverflowError:
            years.add(0)
        if not all(FIRST_YEAR <= year <= LAST_YEAR for year in years):
            raise ScheduleError(out_of_years(where, moment.isoformat()))


def check_schedule(schedule: Schedule) -> None:
    """Refuses (ScheduleError, naming the element) a file whose text would not be stored as
    it is: longer than its column, or with control characters; and times out of range."""
    _check_text("conference title", schedule.title, _("la conférence"))
    for day in (schedule.start, schedule.end):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ScheduleError(out_of_years(_("la conférence"), day.isoformat()))
    for item in schedule.items:
        where = item_where(item.guid)
        _check_text("guid", item.guid, where)
        _check_text("title", item.title, where)
        _check_text("room", item.room, where)
        _check_text("track", item.track, where)
        _check_text("language", item.language, where)
        for name in item.persons:
            _check_text("person", name, where)
        found = CONTROL_BUT_LINES.search(item.abstract)
        if found:
            raise ScheduleError(
                _(
                    "%(where)s : le résumé contient le caractère de contrôle %(character)s ; "
                    "seuls la tabulation et les sauts de ligne sont permis",
                    where=where,
                    character=f"U+{ord(found.group()):04X}",
                )
            )
        in_range(item.start, item.end, where)


def _check_text(element: str, value: str, where: str) -> None:
    limit = LIMITS.get(element)
    if limit is not None and len(value) > limit:
        raise ScheduleError(
            ngettext(
                "%(where)s : %(element)s %(value)s compte %(num)d caractère ; la limite est "
                "de %(limit)s",
                "%(where)s : %(element)s %(value)s compte %(num)d caractères ; la limite est "
                "de %(limit)s",
                len(value),
                where=where,
                element=ELEMENT_NAMES[element],
                value=quoted(value),
                limit=limit,
            )
        )
    found = CONTROL.search(value)
    if found:
        raise ScheduleError(
            _(
                "%(where)s : %(element)s %(value)s contient le caractère de contrôle "
                "%(character)s ; ce doit être une seule ligne de texte",
                where=where,
                element=ELEMENT_NAMES[element],
                value=quoted(value),
                character=f"U+{ord(found.group()):04X}",
            )
        )


def duration_text(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class ItemRefused(ValueError):
    """An event of the file left out, for the reason its message gives (in French)."""


def parse_start(stamp: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 date and time, in ``tz`` when it names no offset of its own."""
    try:
        start = datetime.fromisoformat(stamp)
    except ValueError as error:
        raise ItemRefused(
            _("la date %(value)s n'est pas au format ISO 8601", value=quoted(stamp))
        ) from error
    return start.replace(tzinfo=tz) if start.tzinfo is None else start.astimezone(tz)


def start_on(day: date, clock: str, tz: ZoneInfo) -> datetime:
    """The day's "HH:MM" in ``tz``."""
    try:
        return datetime.combine(day, time.fromisoformat(clock), tz)
    except ValueError as error:
        raise ItemRefused(
            _("l'heure de début %(value)s n'est pas au format HH:MM", value=quoted(clock))
        ) from error


def parse_duration(text: str) -> timedelta:
    """ "01:30" or "01:30:00" (frab), also "1:30"; refuses anything else."""
    match = re.fullmatch(r"\s*(\d{1,3}):(\d{2})(?::(\d{2}))?\s*", text or "")
    if not match:
        raise ValueError(
            _("la durée %(value)s n'est pas au format HH:MM", value=quoted(text or ""))
        )
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)
