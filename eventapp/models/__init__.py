"""Every model, imported here so that Alembic and the app see the whole schema."""

from eventapp.models.event import (
    Event,
    EventStatus,
    ItemKind,
    ItemSpeaker,
    ProgrammeItem,
    Room,
    Speaker,
    Theme,
)

__all__ = [
    "Event",
    "EventStatus",
    "ItemKind",
    "ItemSpeaker",
    "ProgrammeItem",
    "Room",
    "Speaker",
    "Theme",
]
