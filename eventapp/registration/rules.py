"""The rules that need no lock: the registration window, workshop choices, seats."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, null, select, union_all

from eventapp.extensions import db
from eventapp.models import Event, ProgrammeItem, Registration, RegistrationChoice
from eventapp.models.registration import RegistrationStatus
from eventapp.models.types import utcnow
from eventapp.programme import Block, choice_blocks

Message = str | LazyString


class Window(enum.StrEnum):
    OPEN = "open"
    NOT_YET = "not_yet"
    CLOSED = "closed"


#: Refused in people's names wherever they come from (form, API, CSV import): markup and
#: control characters (line breaks would also break mail headers).
NO_MARKUP = re.compile(r"[<>\x00-\x1f\x7f]")


def valid_email(address: str) -> bool:
    """Whether a person's address is one the application takes, wherever it comes from
    (the form, the API, the CSV import): a syntax email_validator accepts, without looking
    the domain up, which refuses control characters, quoted local parts, IP literals
    (``ana@[127.0.0.1]``) and dotless domains (``ana@localhost``)."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@dataclass
class Applicant:
    """What a person gives when registering (already checked for form and length)."""

    first_name: str
    last_name: str
    email: str
    organisation: str = ""
    job_title: str = ""
    language: str = "fr"


class RegistrationRefused(Exception):
    """A rule refused the request; ``errors`` maps form field names to messages (lazy
    translations, read in the language of whoever shows them)."""

    def __init__(self, errors: Mapping[str, Message]) -> None:
        super().__init__("refused: " + ", ".join(errors))
        self.errors = dict(errors)


def registration_window(event: Event, now: datetime | None = None) -> Window:
    """Whether registration is open: switched on by the organisers, from
    ``registration_opens_at`` (if any) until ``registration_closes_at``, or until the event
    starts when no closing time is set."""
    now = now or utcnow()
    if not event.registration_open:
        return Window.CLOSED
    if event.registration_opens_at and now < event.registration_opens_at:
        return Window.NOT_YET
    closes = event.registration_closes_at or event.starts_at
    if now >= closes or now >= event.starts_at:
        return Window.CLOSED
    return Window.OPEN


def choice_fields(event: Event, items: list | None = None) -> list[tuple[str, Block]]:
    """The form field name of each round, e.g. ``workshop_1``, with its block. ``items``:
    the event's items (or their plain rows), ``event.items`` if None."""
    blocks = choice_blocks(event, items)
    return [(f"workshop_{number}", block) for number, block in enumerate(blocks, 1)]


def check_choices(
    event: Event,
    picks: Mapping[str, str | None],
    fields: Sequence[tuple[str, Block]] | None = None,
) -> tuple[list[ProgrammeItem], dict[str, Message]]:
    """The workshops picked, one per round, or a message per faulty field.

    A value must be the id of a workshop of that very round of this event; the same
    theme may not be picked in two rounds. ``fields``: the event's choice_fields, when the
    caller checks many people (the import).
    """
    chosen: list[ProgrammeItem] = []
    errors: dict[str, Message] = {}
    themes_seen: set[int] = set()
    for name, block in choice_fields(event) if fields is None else fields:
        raw = (picks.get(name) or "").strip()
        if not raw:
            errors[name] = _l("Choisissez un atelier pour ce créneau.")
            continue
        by_id = {str(item.id): item for item in block.workshops}
        item = by_id.get(raw)
        if item is None:
            errors[name] = _l("Cet atelier n'existe pas dans ce créneau.")
            continue
        if item.theme_id is not None and item.theme_id in themes_seen:
            errors[name] = _l("Vous avez déjà choisi ce thème dans un autre créneau.")
            continue
        if item.theme_id is not None:
            themes_seen.add(item.theme_id)
        chosen.append(item)
    return chosen, errors


def item_capacity(item: ProgrammeItem) -> int | None:
    """Seats of a workshop: its own capacity, else its room's, else unlimited (None)."""
    if item.capacity is not None:
        return item.capacity
    if item.room is not None and item.room.capacity is not None:
        return item.room.capacity
    return None


@dataclass
class Taken:
    """Seats held by confirmed registrations: for the event and per workshop."""

    event: int = 0
    items: dict[int, int] = field(default_factory=dict)

    def copy(self) -> Taken:
        return Taken(self.event, dict(self.items))

    def release(self, item_ids: Iterable[int]) -> None:
        self.event -= 1
        for item_id in item_ids:
            self.items[item_id] = self.items.get(item_id, 0) - 1

    def take(self, item_ids: Iterable[int]) -> None:
        self.event += 1
        for item_id in item_ids:
            self.items[item_id] = self.items.get(item_id, 0) + 1


@cache
def _seats_taken_statement():
    """Built once: a statement costs more to build than the query takes to run (every form
    request and every registration counts seats)."""
    confirmed = (Registration.event_id == bindparam("event_id")) & (
        Registration.status == RegistrationStatus.CONFIRMED
    )
    # One query: the event's row has no item (NULL), then one row per workshop.
    people = select(null().label("item_id"), func.count(Registration.id)).where(confirmed)
    per_workshop = (
        select(RegistrationChoice.item_id, func.count(RegistrationChoice.id))
        .join(Registration, Registration.id == RegistrationChoice.registration_id)
        .where(confirmed)
        .group_by(RegistrationChoice.item_id)
    )
    return union_all(people, per_workshop)


def seats_taken(event_id: int) -> Taken:
    taken = Taken()
    for item_id, count in db.session.execute(_seats_taken_statement(), {"event_id": event_id}):
        if item_id is None:
            taken.event = count
        else:
            taken.items[item_id] = count
    return taken


def full_items(event: Event, items: Iterable[ProgrammeItem], taken: Taken) -> list[ProgrammeItem]:
    """The picked workshops that have no seat left for one more person."""
    full = []
    for item in items:
        capacity = item_capacity(item)
        if capacity is not None and taken.items.get(item.id, 0) >= capacity:
            full.append(item)
    return full


def event_is_full(event: Event, taken: Taken) -> bool:
    return event.capacity is not None and taken.event >= event.capacity


def fits(event: Event, items: Iterable[ProgrammeItem], taken: Taken) -> bool:
    return not event_is_full(event, taken) and not full_items(event, items, taken)


@dataclass
class SeatsLeft:
    event: int | None
    items: dict[int, int | None]


def capacities(event: Event) -> tuple[int | None, dict[int, int | None]]:
    """The event's capacity and each workshop's that a participant picks (None: unlimited):
    what seats left are counted against. Depends only on the programme, so a page may keep
    it per version of the programme (eventapp.public.registration)."""
    items = {
        item.id: item_capacity(item)
        for _name, block in choice_fields(event)
        for item in block.workshops
    }
    return event.capacity, items


def seats_left(
    event: Event, known: tuple[int | None, dict[int, int | None]] | None = None
) -> SeatsLeft:
    """Free seats for the event and for each workshop (None: unlimited), as of now.

    A workshop never shows more seats than the event has left. ``known``: the event's
    :func:`capacities`, when the caller kept them.
    """
    event_capacity, item_capacities = known or capacities(event)
    taken = seats_taken(event.id)
    event_left = None if event_capacity is None else max(event_capacity - taken.event, 0)
    items: dict[int, int | None] = {}
    for item_id, capacity in item_capacities.items():
        left = None if capacity is None else max(capacity - taken.items.get(item_id, 0), 0)
        if event_left is not None:
            left = event_left if left is None else min(left, event_left)
        items[item_id] = left
    return SeatsLeft(event=event_left, items=items)
