"""Programme conflicts: one function finds them all, for the builder and for publication.

The shape follows pretalx's schedule warnings: plain records (type, message, link) computed
from the items, accepting precomputed overlaps so that a caller checking many items at once
pays for the pairwise comparison only once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from eventapp.i18n import gettext as _
from eventapp.models import Event, ItemKind, ProgrammeItem

SPEAKER_OVERLAP = "speaker_overlap"
ROOM_OVERLAP = "room_overlap"
OUTSIDE_EVENT = "outside_event"
CAPACITY_ABOVE_ROOM = "capacity_above_room"
END_BEFORE_START = "end_before_start"


@dataclass(frozen=True)
class Conflict:
    """One thing that must be fixed before the programme can be published."""

    type: str
    message: str
    link: str
    item_ids: tuple[int, ...]


def overlapping_pairs(items: Sequence[ProgrammeItem]) -> list[tuple[ProgrammeItem, ProgrammeItem]]:
    """Every pair of items whose times overlap (a sweep over start times, not all pairs)."""
    ordered = sorted(items, key=lambda item: (item.starts_at, item.ends_at))
    pairs: list[tuple[ProgrammeItem, ProgrammeItem]] = []
    for index, first in enumerate(ordered):
        for second in ordered[index + 1 :]:
            if second.starts_at >= first.ends_at:
                break
            if first.overlaps(second):
                pairs.append((first, second))
    return pairs


def _anchor(item: ProgrammeItem) -> str:
    return f"#item-{item.id}"


def programme_conflicts(
    event: Event,
    items: Iterable[ProgrammeItem] | None = None,
    *,
    overlaps: Sequence[tuple[ProgrammeItem, ProgrammeItem]] | None = None,
    link: Callable[[ProgrammeItem], str] = _anchor,
) -> list[Conflict]:
    """The conflicts of an event's programme (cancelled items left out), in a stable order.

    ``items`` defaults to the event's items; ``overlaps`` to :func:`overlapping_pairs` of them;
    ``link`` turns an item into the address where it is fixed (default: its anchor).
    """
    live = [item for item in (event.items if items is None else items) if not item.cancelled_at]
    if overlaps is None:
        overlaps = overlapping_pairs([item for item in live if item.ends_at > item.starts_at])
    conflicts: list[Conflict] = []
    first_day = event.local(event.starts_at).date()
    last_day = event.local(event.ends_at).date()

    for item in live:
        if item.ends_at <= item.starts_at:
            conflicts.append(
                Conflict(
                    END_BEFORE_START,
                    _("« %(title)s » finit avant de commencer.", title=item.title),
                    link(item),
                    (item.id,),
                )
            )
        start_day = event.local(item.starts_at).date()
        end_day = event.local(item.ends_at).date()
        if start_day < first_day or end_day > last_day:
            conflicts.append(
                Conflict(
                    OUTSIDE_EVENT,
                    _(
                        "« %(title)s » a lieu en dehors des jours de l'événement.",
                        title=item.title,
                    ),
                    link(item),
                    (item.id,),
                )
            )
        room = item.room
        if (
            item.kind == ItemKind.WORKSHOP
            and room is not None
            and room.capacity is not None
            and item.capacity is not None
            and item.capacity > room.capacity
        ):
            conflicts.append(
                Conflict(
                    CAPACITY_ABOVE_ROOM,
                    _(
                        "« %(title)s » accepte %(capacity)s personnes mais la salle "
                        "%(room)s n'en contient que %(room_capacity)s.",
                        title=item.title,
                        capacity=item.capacity,
                        room=room.name,
                        room_capacity=room.capacity,
                    ),
                    link(item),
                    (item.id,),
                )
            )

    speakers: dict[int, list] = {}

    def speakers_of(item: ProgrammeItem) -> list:
        if id(item) not in speakers:
            speakers[id(item)] = item.speakers
        return speakers[id(item)]

    for first, second in overlaps:
        if first.cancelled_at or second.cancelled_at:
            continue
        if first.room is not None and first.room is second.room:
            conflicts.append(
                Conflict(
                    ROOM_OVERLAP,
                    _(
                        "« %(first)s » et « %(second)s » ont lieu en même temps "
                        "dans la salle %(room)s.",
                        first=first.title,
                        second=second.title,
                        room=first.room.name,
                    ),
                    link(second),
                    (first.id, second.id),
                )
            )
        first_speakers = speakers_of(first)
        shared = {s.id for s in first_speakers} & {s.id for s in speakers_of(second)}
        for speaker in first_speakers:
            if speaker.id in shared:
                conflicts.append(
                    Conflict(
                        SPEAKER_OVERLAP,
                        _(
                            "%(speaker)s intervient en même temps dans « %(first)s » "
                            "et « %(second)s ».",
                            speaker=speaker.name,
                            first=first.title,
                            second=second.title,
                        ),
                        link(second),
                        (first.id, second.id),
                    )
                )
    return conflicts


def conflicts_by_item(conflicts: Iterable[Conflict]) -> dict[int, list[Conflict]]:
    """The conflicts each item is part of, to show them beside the items."""
    result: dict[int, list[Conflict]] = {}
    for conflict in conflicts:
        for item_id in conflict.item_ids:
            result.setdefault(item_id, []).append(conflict)
    return result


__all__ = [
    "CAPACITY_ABOVE_ROOM",
    "END_BEFORE_START",
    "OUTSIDE_EVENT",
    "ROOM_OVERLAP",
    "SPEAKER_OVERLAP",
    "Conflict",
    "conflicts_by_item",
    "overlapping_pairs",
    "programme_conflicts",
]
