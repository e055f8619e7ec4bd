"""Writing the compte-rendu: the parts an organiser fills in, and saving one of them.

The parts, in the order the PDF shows them: the event's introduction, then every programme
item the compte-rendu can report (plenaries and workshops that were not cancelled; breaks
have no summary), then the optional closing. Each part is one Markdown text.

Saving guards against lost updates: the form carries a fingerprint of the text it was
opened with, and a save is refused (``StaleText``) when the stored text has changed since,
so two organisers writing the same part never silently overwrite each other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask_babel import gettext as _

from eventapp.extensions import db
from eventapp.models import Event, ItemKind, ProgrammeItem
from eventapp.programme import parallel_blocks

#: Longest text accepted for one part (a long summary of the seed is about 6 000).
MAX_TEXT_LENGTH = 50_000
EVENT_PARTS = {"introduction": "introduction_md", "closing": "closing_md"}


@dataclass
class Part:
    """One text of the compte-rendu: ``key`` is "introduction", "closing" or "item-<id>"."""

    key: str
    title: str
    text: str
    item: ProgrammeItem | None = None


class StaleText(Exception):
    """The stored text changed after the form was opened; ``current`` is what is stored."""

    def __init__(self, current: str) -> None:
        super().__init__("the text changed since the form was opened")
        self.current = current


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def reported_items(event: Event) -> list[ProgrammeItem]:
    """The items the compte-rendu can report, in programme order (rounds, then rooms)."""
    return [
        item
        for block in parallel_blocks([i for i in event.items if not i.cancelled_at])
        for item in block.items
        if item.kind != ItemKind.BREAK
    ]


def parts(event: Event) -> list[Part]:
    items = [
        Part(f"item-{item.id}", item.title, item.summary_md, item) for item in reported_items(event)
    ]
    return [
        Part("introduction", _("Introduction"), event.introduction_md),
        *items,
        Part("closing", _("Conclusion (facultative)"), event.closing_md),
    ]


def find_part(event: Event, key: str) -> Part | None:
    return next((part for part in parts(event) if part.key == key), None)


def save_text(event: Event, part: Part, text: str, opened_with: str) -> bool:
    """Stores the part's new text (committed); False when it was already that text.

    Raises StaleText when the stored text is no longer the one the form was opened with
    (and differs from the new one).
    """
    text = text.replace("\r\n", "\n").strip()
    current = part.text
    if text == current:
        return False
    if fingerprint(current) != opened_with:
        raise StaleText(current)
    if part.item is not None:
        part.item.summary_md = text
    else:
        setattr(event, EVENT_PARTS[part.key], text)
    db.session.commit()
    return True
