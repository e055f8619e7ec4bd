"""Item changes that calendars must see: each one bumps the item's SEQUENCE, once per flush.

RFC 5545 asks SEQUENCE to grow with every significant revision (time, place, title,
speakers, cancellation), so that a calendar client takes an update over the copy it has.
The rule is applied at flush time, whatever code made the change (organiser forms, the CLI,
a script), by comparing what is about to be written with what was loaded. Edits that no
client needs to act on (the summary for the proceedings, a capacity) leave it alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from eventapp.extensions import db
from eventapp.models import Event, ItemSpeaker, ProgrammeItem, Room, Speaker

# Columns of an item whose change a participant's calendar must reflect.
ITEM_ATTRIBUTES = ("title", "starts_at", "ends_at", "room_id", "room", "cancelled_at")
# Attributes of other rows shown in the items' VEVENTs (speakers' bylines, LOCATION).
SPEAKER_ATTRIBUTES = ("name", "role", "organisation")
ROOM_ATTRIBUTES = ("name",)
EVENT_ATTRIBUTES = ("timezone", "venue_name", "venue_address")
# session.info key: ids of the items bumped in the flush under way (for notify.py, which
# mails the updates once the flush is written).
BUMPED_KEY = "eventapp.calendar.bumped"


def _changed(obj: Any, attribute: str) -> bool:
    """Whether the attribute holds a value different from the one loaded from the database."""
    history = inspect(obj).attrs[attribute].history
    if not history.added and not history.deleted:
        return False
    if history.deleted and history.added:
        return history.deleted[0] != history.added[0]
    # Set without the old value ever loaded: a change unless it sets nothing.
    return bool(history.deleted) or history.added != [None]


def _committed(obj: Any, attribute: str) -> Any:
    """The attribute's value as loaded from the database."""
    history = inspect(obj).attrs[attribute].history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return getattr(obj, attribute)


def _speakers_changed(session: Session, item: ProgrammeItem) -> bool:
    """Whether the item's speakers, in order, differ from those stored."""
    state = inspect(item)
    if "speaker_links" in state.dict:
        history = state.attrs.speaker_links.history
        stored = [*history.unchanged, *history.deleted]
        current = [link for link in item.speaker_links if link not in session.deleted]
    else:
        stored = list(item.speaker_links)  # not loaded before: loads what is stored
        current = [link for link in stored if link not in session.deleted]
    current += [
        link
        for link in session.new
        if isinstance(link, ItemSpeaker)
        and link not in current
        and (link.item is item or (link.item is None and link.item_id == item.id))
    ]
    stored = [link for link in stored if not inspect(link).pending]
    before = [
        _committed(link, "speaker")
        for link in sorted(stored, key=lambda link: _committed(link, "position") or 0)
    ]
    after = [link.speaker for link in sorted(current, key=lambda link: link.position or 0)]
    return len(before) != len(after) or any(a is not b for a, b in zip(before, after, strict=True))


def is_significant_change(session: Session, item: ProgrammeItem) -> bool:
    """Whether the pending edits of this item change what its calendar entry says it is."""
    return any(_changed(item, name) for name in ITEM_ATTRIBUTES) or _speakers_changed(session, item)


def _items_touched(session: Session) -> tuple[set[ProgrammeItem], set[ProgrammeItem]]:
    """Items to examine, and items changed through a speaker, a room or the event."""
    examine: set[ProgrammeItem] = set()
    changed: set[ProgrammeItem] = set()
    dirty = set(session.dirty)  # a property that walks the whole identity map: read once
    for obj in (*dirty, *session.new, *session.deleted):
        if isinstance(obj, ProgrammeItem):
            examine.add(obj)
        elif isinstance(obj, ItemSpeaker):
            item = obj.item
            if item is None and obj.item_id is not None:
                item = session.get(ProgrammeItem, obj.item_id)
            if item is not None:
                examine.add(item)
        elif obj in dirty:
            if isinstance(obj, Speaker) and any(_changed(obj, a) for a in SPEAKER_ATTRIBUTES):
                statement = (
                    select(ProgrammeItem)
                    .join(ItemSpeaker, ItemSpeaker.item_id == ProgrammeItem.id)
                    .where(ItemSpeaker.speaker_id == obj.id)
                )
                changed.update(session.scalars(statement))
            elif isinstance(obj, Room) and any(_changed(obj, a) for a in ROOM_ATTRIBUTES):
                statement = select(ProgrammeItem).where(ProgrammeItem.room_id == obj.id)
                changed.update(session.scalars(statement))
            elif isinstance(obj, Event) and any(_changed(obj, a) for a in EVENT_ATTRIBUTES):
                changed.update(obj.items)
    return examine, changed


def bump_sequences(session: Session) -> list[ProgrammeItem]:
    """Bumps the SEQUENCE of every stored item whose pending edits a calendar must see."""
    bumped: list[ProgrammeItem] = []
    with session.no_autoflush:
        examine, changed = _items_touched(session)
        for item in examine | changed:
            state = inspect(item)
            if state.pending or state.deleted or item in session.deleted:
                continue
            if item in changed or is_significant_change(session, item):
                item.sequence = (_committed(item, "sequence") or 0) + 1
                bumped.append(item)
    return bumped


@sa_event.listens_for(db.session, "before_flush")
def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    bumped = bump_sequences(session)
    if bumped:
        session.info.setdefault(BUMPED_KEY, set()).update(item.id for item in bumped)
