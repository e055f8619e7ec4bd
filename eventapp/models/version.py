"""What an event's public pages show, as a version token in one row per event.

``programme`` changes with every stored change of what the event's pages, calendars and
exports are made of: the event itself, its rooms, themes, items, their speakers (a speaker is
shared by events: every event they speak at), in any language. Seats left are not part of it:
the registration form reads them with its own small query on every request (measured in
``make bench``), so a registration writes nothing more than before.

The tokens are set by the flush hooks below, in the same transaction as the change, whatever
code made it (organiser forms, the API, an import, the CLI, a script using the ORM), so every
worker and every host that reads the row sees a change as soon as it is committed. A page
cache keyed by them (eventapp.export_cache) needs no invalidation and no shared process
state. The tokens are random rather than counted, so a token never comes back: not after an
event is deleted and its id reused, nor after a database is restored from an older copy.
Changes made with bulk SQL statements (``update()`` / ``delete()`` without the ORM's rows)
do not pass through a flush: such code calls :func:`touch` itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from eventapp.extensions import db
from eventapp.models.event import Event, ItemSpeaker, ProgrammeItem, Room, Speaker, Theme


class EventVersion(db.Model):
    __tablename__ = "event_version"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    programme: Mapped[int] = mapped_column(BigInteger, default=0)


def _token() -> int:
    return secrets.randbits(62) or 1


def touch(connection: Any, event_ids: Iterable[int]) -> None:
    """Gives each event a new ``programme`` token (one statement an event)."""
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    for event_id in sorted(set(event_ids)):
        token = _token()
        statement = insert(EventVersion).values(event_id=event_id, programme=token)
        statement = statement.on_conflict_do_update(
            index_elements=[EventVersion.event_id], set_={"programme": token}
        )
        connection.execute(statement)


def _event_id(obj: Any) -> int | None:
    if isinstance(obj, Event):
        return obj.id
    if isinstance(obj, Room | Theme | ProgrammeItem):
        return obj.event_id
    if isinstance(obj, ItemSpeaker):
        item = obj.__dict__.get("item")
        return item.event_id if item is not None else None
    return None


def _touched(session: Session) -> set[int]:
    """Events whose programme the flush under way changes (read before it)."""
    events: set[int] = set()
    speakers: set[int] = set()
    items: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        if isinstance(obj, Speaker):
            if obj.id is not None:
                speakers.add(obj.id)
        elif isinstance(obj, ItemSpeaker) and _event_id(obj) is None:
            if obj.item_id is not None:
                items.add(obj.item_id)
        elif (event_id := _event_id(obj)) is not None:
            events.add(event_id)
    if not (speakers or items):
        return events
    connection = session.connection()
    if speakers:
        events.update(
            connection.scalars(
                select(ProgrammeItem.event_id)
                .join(ItemSpeaker, ItemSpeaker.item_id == ProgrammeItem.id)
                .where(ItemSpeaker.speaker_id.in_(speakers))
                .distinct()
            )
        )
    if items:
        events.update(
            connection.scalars(select(ProgrammeItem.event_id).where(ProgrammeItem.id.in_(items)))
        )
    return events


# Read before the flush (deleted rows can still be joined to their event then), written
# after it (a new event, room or item has its event's id only then).
_PENDING = "eventapp.models.version.pending"


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    with session.no_autoflush:
        events = _touched(session)
    pending = session.info.setdefault(_PENDING, {"events": set(), "new": [], "gone": set()})
    pending["events"] |= events
    pending["new"] += list(session.new)
    pending["gone"] |= {obj.id for obj in session.deleted if isinstance(obj, Event)}


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: Any) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    events = pending["events"]
    events.update(_event_id(obj) for obj in pending["new"])
    events -= {None, *pending["gone"]}
    if events:
        touch(session.connection(), events)
