"""Reading an event's programme: queries and its shape in days and parallel blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from eventapp.extensions import db
from eventapp.models import (
    Event,
    EventStatus,
    EventVersion,
    ItemKind,
    ItemSpeaker,
    ProgrammeItem,
    Room,
    Speaker,
    Theme,
)
from eventapp.models.translated import Texts


@dataclass
class Block:
    """Items that overlap in time: a plenary alone, or a round of parallel workshops."""

    items: list[ProgrammeItem] = field(default_factory=list)

    @property
    def starts_at(self) -> datetime:
        return min(item.starts_at for item in self.items)

    @property
    def ends_at(self) -> datetime:
        return max(item.ends_at for item in self.items)

    @property
    def is_parallel(self) -> bool:
        return len(self.items) > 1

    @property
    def workshops(self) -> list[ProgrammeItem]:
        return [item for item in self.items if item.kind == ItemKind.WORKSHOP]


@dataclass
class Day:
    date: date
    blocks: list[Block]


def parallel_blocks(items: list[ProgrammeItem]) -> list[Block]:
    """Groups items into blocks of overlapping times, in time order.

    Two items belong to one block when a chain of overlaps joins them; a block's items
    are ordered by room so that the rooms line up from one round to the next.
    """
    blocks: list[Block] = []
    current_end: datetime | None = None
    for item in sorted(items, key=lambda i: (i.starts_at, i.ends_at, i.id or 0)):
        if current_end is None or item.starts_at >= current_end:
            blocks.append(Block())
            current_end = item.ends_at
        else:
            current_end = max(current_end, item.ends_at)
        blocks[-1].items.append(item)
    for block in blocks:
        block.items.sort(key=lambda i: (i.room.position if i.room else 0, i.room_id or 0, i.id))
    return blocks


def programme_days(event: Event, items: list[ProgrammeItem] | None = None) -> list[Day]:
    live = [item for item in (items if items is not None else event.items) if not item.cancelled_at]
    days: dict[date, list[Block]] = {}
    for block in parallel_blocks(live):
        days.setdefault(event.local(block.starts_at).date(), []).append(block)
    return [Day(day, blocks) for day, blocks in sorted(days.items())]


def theme_key(item: ProgrammeItem) -> str:
    """The key of a workshop's theme as people rank it (eventapp.allocation): the theme's
    number as text, or ``item-<id>`` for a workshop without theme (a theme of its own)."""
    if item.theme is not None:
        return str(item.theme.number)
    return f"item-{item.id}"


def theme_owner(item: ProgrammeItem) -> Theme | ProgrammeItem:
    """What a ranked theme is named after: the workshop's theme, or the workshop itself
    when it has none (see :func:`theme_key`)."""
    return item.theme if item.theme is not None else item


def choice_blocks(event: Event, items: list[ProgrammeItem] | None = None) -> list[Block]:
    """The blocks in which a participant picks one workshop (the rounds). ``items``: the
    event's items (or :func:`programme_entries`), ``event.items`` if None."""
    live = [item for item in (event.items if items is None else items) if not item.cancelled_at]
    return [block for block in parallel_blocks(live) if block.workshops]


def _with_programme(statement, speakers: bool = True):
    if not speakers:  # the items with their room and theme only, in one more query
        items = selectinload(Event.items)
        return statement.options(
            items.joinedload(ProgrammeItem.room), items.joinedload(ProgrammeItem.theme)
        )
    items = selectinload(Event.items).options(
        selectinload(ProgrammeItem.speaker_links).joinedload(ItemSpeaker.speaker)
    )
    return statement.options(selectinload(Event.rooms), selectinload(Event.themes), items)


def load_speakers(items: list[ProgrammeItem]) -> list[ProgrammeItem]:
    """Loads the speakers of these items (already in the session) in one query, instead of
    one query an item when each is first read; returns the items."""
    missing = [item.id for item in items if "speaker_links" not in item.__dict__]
    if missing:
        db.session.scalars(
            select(ProgrammeItem)
            .where(ProgrammeItem.id.in_(missing))
            .options(selectinload(ProgrammeItem.speaker_links).joinedload(ItemSpeaker.speaker))
        ).all()
    return items


def published_event(slug: str, speakers: bool = True) -> Event | None:
    """The published event with this slug, its programme loaded in a fixed number of queries
    (its speakers too, unless the page has no use for them, as the registration form)."""
    statement = select(Event).where(Event.slug == slug, Event.status == EventStatus.PUBLISHED)
    return db.session.scalars(_with_programme(statement, speakers)).first()


def event_by_slug(slug: str) -> Event | None:
    statement = select(Event).where(Event.slug == slug)
    return db.session.scalars(_with_programme(statement)).first()


def published_events() -> list[Event]:
    statement = select(Event).where(Event.status == EventStatus.PUBLISHED).order_by(Event.starts_at)
    return list(db.session.scalars(statement))


def event_speakers(
    event: Event, items: list[ProgrammeItem] | None = None
) -> list[tuple[Speaker, list[ProgrammeItem]]]:
    """Each speaker of the event with the items they speak in, sorted by name.
    ``items``: the event's items (or :func:`programme_entries`), ``event.items`` if None."""
    by_speaker: dict[int, tuple[Speaker, list[ProgrammeItem]]] = {}
    for item in event.items if items is None else items:
        if item.cancelled_at:
            continue
        for speaker in item.speakers:
            by_speaker.setdefault(speaker.id, (speaker, []))[1].append(item)
    return sorted(by_speaker.values(), key=lambda pair: pair[0].name.casefold())


@dataclass(frozen=True)
class Versions:
    """What a cached page of an event is keyed on: the event's row (its own columns decide
    the registration window and the page's header) and the token of eventapp.models.version.
    ``event`` is the Event itself, or, for the pages that need no more, its few columns that
    the key and the registration window read (a row, cheaper to read than the Event)."""

    event: Event
    programme: int

    @property
    def key(self) -> tuple:
        event = self.event
        return (event.id, event.created_at, event.updated_at, self.programme)


LIGHT_COLUMNS = (
    Event.id,
    Event.slug,
    Event.languages,
    Event.created_at,
    Event.updated_at,
    Event.starts_at,
    Event.registration_open,
    Event.registration_opens_at,
    Event.registration_closes_at,
)


#: Statements of published_versions, built once per set of columns: building one costs more
#: than running it on the two indexed rows.
_VERSIONS_STATEMENTS: dict[tuple[str, ...], Select] = {}


def _versions_statement(columns: tuple) -> Select:
    key = tuple(str(column) for column in columns)
    statement = _VERSIONS_STATEMENTS.get(key)
    if statement is None:
        statement = (
            select(*columns, EventVersion.programme)
            .outerjoin(EventVersion, EventVersion.event_id == Event.id)
            .where(Event.slug == bindparam("slug"), Event.status == EventStatus.PUBLISHED)
        )
        _VERSIONS_STATEMENTS[key] = statement
    return statement


def published_versions(
    slug: str, whole: bool = False, columns: tuple = LIGHT_COLUMNS
) -> Versions | None:
    """The published event with this slug and its version: one query on two indexed rows,
    made by every request of a cached page. ``whole``: the Event itself (its row only, no
    programme), else only ``columns`` of the event (by default those of the key and of the
    registration window), read as a row."""
    if whole:
        row = db.session.execute(_versions_statement((Event,)), {"slug": slug}).first()
    else:
        # Columns only, and nothing pending to flush on the GETs that ask: Core's execution
        # is enough, and lighter than the ORM's.
        statement = _versions_statement(columns)
        row = db.session.connection().execute(statement, {"slug": slug}).first()
    if row is None:
        return None
    return Versions(row[0] if whole else row, row[-1] or 0)


def load_items(event: Event) -> Event:
    """Loads the items of an event already in the session, with their room and theme, in one
    query (what the registration form needs); returns the event."""
    statement = (
        select(ProgrammeItem)
        .where(ProgrammeItem.event_id == event.id)
        .options(joinedload(ProgrammeItem.room), joinedload(ProgrammeItem.theme))
        .order_by(ProgrammeItem.starts_at, ProgrammeItem.room_id, ProgrammeItem.id)
    )
    set_committed_value(event, "items", list(db.session.scalars(statement)))
    return event


# --- The programme as the public pages and the programme calendar read it ----------------
#
# Plain rows, read column by column in four queries (rooms, themes, items, speakers): no ORM
# object, no identity map, no lazy load of an item's event for its languages. They carry
# the attribute names of the models for what they hold (``text()``, ``room``, ``theme``,
# ``speakers``, ``byline_in()``…), so the blocks above, the templates and
# eventapp.calendar.ics read them as they read the models. Read only: nothing is written
# through them.


@dataclass(eq=False)
class RoomRow(Texts):
    id: int
    name: str
    position: int
    capacity: int | None
    translations: dict
    language_list: tuple[str, ...]


@dataclass(eq=False)
class ThemeRow(Texts):
    id: int
    number: int
    title: str
    description_md: str
    translations: dict
    language_list: tuple[str, ...]


@dataclass(eq=False)
class SpeakerRow(Texts):
    id: int
    name: str
    role: str
    organisation: str
    language: str
    translations: dict

    language_list = Speaker.language_list
    byline = Speaker.byline
    byline_in = Speaker.byline_in


@dataclass(eq=False)
class ItemRow(Texts):
    id: int
    kind: ItemKind
    title: str
    description_md: str
    starts_at: datetime
    ends_at: datetime
    room_id: int | None
    theme_id: int | None
    capacity: int | None
    sequence: int
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    translations: dict
    language_list: tuple[str, ...]
    room: RoomRow | None = None
    theme: ThemeRow | None = None
    speakers: list[SpeakerRow] = field(default_factory=list)


def programme_entries(event: Event, speakers: bool = True) -> list[ItemRow]:
    """The event's items (cancelled ones too), in the order of ``Event.items``, with their
    room, theme and speakers (in their order), as plain rows: four queries, however many
    items (three and no speakers with ``speakers=False``)."""
    languages = event.language_list
    rooms = {
        row.id: RoomRow(
            row.id, row.name, row.position, row.capacity, row.translations or {}, languages
        )
        for row in db.session.execute(
            select(Room.id, Room.name, Room.position, Room.capacity, Room.translations).where(
                Room.event_id == event.id
            )
        )
    }
    themes = {
        row.id: ThemeRow(
            row.id, row.number, row.title, row.description_md, row.translations or {}, languages
        )
        for row in db.session.execute(
            select(
                Theme.id, Theme.number, Theme.title, Theme.description_md, Theme.translations
            ).where(Theme.event_id == event.id)
        )
    }
    columns = (
        ProgrammeItem.id,
        ProgrammeItem.kind,
        ProgrammeItem.title,
        ProgrammeItem.description_md,
        ProgrammeItem.starts_at,
        ProgrammeItem.ends_at,
        ProgrammeItem.room_id,
        ProgrammeItem.theme_id,
        ProgrammeItem.capacity,
        ProgrammeItem.sequence,
        ProgrammeItem.cancelled_at,
        ProgrammeItem.created_at,
        ProgrammeItem.updated_at,
    )
    items = []
    by_id: dict[int, ItemRow] = {}
    for *values, translations in db.session.execute(
        select(*columns, ProgrammeItem.translations)
        .where(ProgrammeItem.event_id == event.id)
        .order_by(ProgrammeItem.starts_at, ProgrammeItem.room_id, ProgrammeItem.id)
    ):
        item = ItemRow(*values, translations or {}, languages)
        item.room = rooms.get(item.room_id)
        item.theme = themes.get(item.theme_id)
        items.append(item)
        by_id[item.id] = item
    if not speakers:
        return items
    people: dict[int, SpeakerRow] = {}
    for item_id, speaker_id, *values, translations in db.session.execute(
        select(
            ItemSpeaker.item_id,
            Speaker.id,
            Speaker.name,
            Speaker.role,
            Speaker.organisation,
            Speaker.language,
            Speaker.translations,
        )
        .join(Speaker, Speaker.id == ItemSpeaker.speaker_id)
        .join(ProgrammeItem, ProgrammeItem.id == ItemSpeaker.item_id)
        .where(ProgrammeItem.event_id == event.id)
        .order_by(ItemSpeaker.item_id, ItemSpeaker.position, ItemSpeaker.id)
    ):
        speaker = people.get(speaker_id)
        if speaker is None:
            speaker = people[speaker_id] = SpeakerRow(speaker_id, *values, translations or {})
        by_id[item_id].speakers.append(speaker)
    return items


def published_event_row(slug: str) -> Event | None:
    """The published event with this slug, its own row only (one query): with
    :func:`programme_entries`, what the public pages and the programme calendar read."""
    statement = select(Event).where(Event.slug == slug, Event.status == EventStatus.PUBLISHED)
    return db.session.scalars(statement).first()
