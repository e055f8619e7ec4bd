"""The languages an event's texts are written in: declaring them, and how complete each is."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from eventapp.models import Event, Speaker
from eventapp.models.translated import Translated, language_codes


def _event_rows(event: Event) -> Iterator[Translated]:
    """Every row of the event whose texts its pages, mails and compte-rendu show."""
    yield event
    yield from event.rooms
    yield from event.themes
    for item in event.items:
        if item.cancelled_at is None:
            yield item
            yield from item.speaker_links


def _speakers(event: Event) -> list[Speaker]:
    seen: dict[int, Speaker] = {}
    for item in event.items:
        if item.cancelled_at is None:
            for link in item.speaker_links:
                seen.setdefault(link.speaker.id, link.speaker)
    return list(seen.values())


class FirstLanguageIncomplete(ValueError):
    """The first language is every text's fallback: it must have them all."""

    def __init__(self, language: str) -> None:
        super().__init__(language)
        self.language = language


def declare_languages(event: Event, codes: list[str] | tuple[str, ...]) -> None:
    """Sets the event's languages in order. When the first one changes, every text of the
    event moves with it: what was written in the old first language stays its text, now as
    a translation, and the new first language's translations become the ordinary columns."""
    old_first = event.language_list[0]
    new_first = language_codes(",".join(codes))[0]
    if new_first != old_first and not completeness(event, (new_first,))[0].complete:
        raise FirstLanguageIncomplete(new_first)
    rows = list(_event_rows(event))
    before = {
        id(row): {name: row.translation(name, old_first) for name in row.TRANSLATED} for row in rows
    }
    others = {
        id(row): {code: dict(texts) for code, texts in (row.translations or {}).items()}
        for row in rows
    }
    event.declare_languages(codes)
    new_first = event.language_list[0]
    if new_first == old_first:
        return
    for row in rows:
        texts = others[id(row)]
        promoted = texts.pop(new_first, {})
        texts[old_first] = {name: value for name, value in before[id(row)].items() if value}
        row.translations = {code: values for code, values in texts.items() if values}
        for name in row.TRANSLATED:
            setattr(row, name, promoted.get(name, ""))


@dataclass
class Missing:
    """A text written in the event's first language and not yet in another."""

    row: Translated
    field: str


@dataclass
class Completeness:
    language: str
    written: int = 0
    total: int = 0
    missing: list[Missing] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.written == self.total


def completeness(event: Event, languages: tuple[str, ...] | None = None) -> list[Completeness]:
    """For each language after the first (or each of ``languages``): how many of the texts
    it needs are written, and which are missing (texts left empty in the first language
    need no translation)."""
    rows: list[Translated] = [*_event_rows(event), *_speakers(event)]
    codes = event.language_list[1:] if languages is None else languages
    report = [Completeness(code) for code in codes]
    for row in rows:
        for name in row.TRANSLATED:
            if not (getattr(row, name) or "").strip():
                continue
            for entry in report:
                entry.total += 1
                if row.translation(name, entry.language).strip():
                    entry.written += 1
                else:
                    entry.missing.append(Missing(row, name))
    return report
