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
    """One text of the compte-rendu: ``key`` is "introduction", "closing" or "item-<id>";
    ``text`` is what is written in ``lang`` (the event's first language by default)."""

    key: str
    title: str
    text: str
    item: ProgrammeItem | None = None
    lang: str = ""


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


def writing_language(event: Event, lang: str | None) -> str:
    """The language the parts are written in: ``lang`` when the event declares it, else
    its first language (the texts' ordinary columns)."""
    return lang if lang in event.language_list else event.language_list[0]


def parts(event: Event, lang: str | None = None) -> list[Part]:
    lang = writing_language(event, lang)
    items = [
        Part(f"item-{item.id}", item.title, item.translation("summary_md", lang), item, lang)
        for item in reported_items(event)
    ]
    return [
        Part(
            "introduction",
            _("Introduction"),
            event.translation("introduction_md", lang),
            None,
            lang,
        ),
        *items,
        Part(
            "closing",
            _("Conclusion (facultative)"),
            event.translation("closing_md", lang),
            None,
            lang,
        ),
    ]


def find_part(event: Event, key: str, lang: str | None = None) -> Part | None:
    return next((part for part in parts(event, lang) if part.key == key), None)


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
    lang = part.lang or event.language_list[0]
    if part.item is not None:
        part.item.set_translation("summary_md", lang, text)
    else:
        event.set_translation(EVENT_PARTS[part.key], lang, text)
    db.session.commit()
    return True
