"""Organisers' API: the texts of a row in the event's other languages (``translations``)."""

from __future__ import annotations

from eventapp.api.organiser.blueprint import invalid
from eventapp.models.translated import Translated


def check_translations(data: dict, languages: tuple[str, ...]) -> None:
    """Refuses (a problem document naming each language, nothing written) translations in a
    language that is not among ``languages`` after the first: the first one's texts are the
    ordinary fields."""
    others = languages[1:]
    refused = {
        code: [
            f"Not one of the other languages of this event ({', '.join(others) or 'none'}); "
            f"the texts in {languages[0]!r} are the ordinary fields."
        ]
        for code in data.get("translations") or {}
        if code not in others
    }
    if refused:
        invalid({"translations": refused})


def write_translations(row: Translated, data: dict) -> None:
    """Writes ``data["translations"]`` (checked) into the row; an empty text removes one."""
    for code, texts in (data.get("translations") or {}).items():
        for field, value in texts.items():
            row.set_translation(field, code, value.strip())
