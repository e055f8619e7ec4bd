"""Texts an organiser writes in several languages.

A translatable row keeps its texts in the event's first language in its ordinary columns
(what sorting, searching and every older reader use) and the other languages in one JSON
column, ``translations`` = ``{"nl": {"title": "…"}}``, fetched with the row: showing an
event in Dutch costs no query more than showing it in French.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column

from eventapp.config import LANGUAGES


def language_codes(value: str) -> tuple[str, ...]:
    """ "fr,nl" → ("fr", "nl"); unknown or repeated codes are left out, French if none."""
    codes: list[str] = []
    for code in (value or "").split(","):
        code = code.strip()
        if code in LANGUAGES and code not in codes:
            codes.append(code)
    return tuple(codes) or ("fr",)


class LocalText(str):
    """A text and the language it is written in (the shown language, or the fallback)."""

    lang: str

    def __new__(cls, value: str, lang: str) -> LocalText:
        text = super().__new__(cls, value)
        text.lang = lang
        return text


class Texts:
    """Reading a row's texts in a language: the models below and the light rows that the
    public pages read (eventapp.programme.programme_entries) share it. A class using it has
    the texts' columns, ``translations`` and ``language_list``."""

    translations: Any

    # Every translatable model says which languages its texts are in, the first being the
    # language of its ordinary columns (the event's, or the speaker's own).
    language_list: tuple[str, ...]

    @property
    def base_language(self) -> str:
        return self.language_list[0]

    @property
    def declared_languages(self) -> tuple[str, ...]:
        return self.language_list

    def text(self, field: str, lang: str) -> LocalText:
        base = self.base_language
        if lang != base and lang in self.declared_languages:
            value = ((self.translations or {}).get(lang) or {}).get(field)
            if value:
                return LocalText(value, lang)
        return LocalText(getattr(self, field) or "", base)

    def translation(self, field: str, lang: str) -> str:
        """What is written for this language (the column itself for the first), or ""."""
        if lang == self.base_language:
            return getattr(self, field) or ""
        return ((self.translations or {}).get(lang) or {}).get(field) or ""


class Translated(Texts):
    """Mixin: ``text(field, lang)`` gives a field in a language, falling back to the first."""

    TRANSLATED: ClassVar[tuple[str, ...]] = ()

    translations: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, server_default="{}", nullable=False
    )

    def set_translation(self, field: str, lang: str, value: str) -> None:
        """Writes one language's text; a new dict so that the ORM sees the change."""
        if field not in self.TRANSLATED:
            raise KeyError(field)
        if lang == self.base_language:
            setattr(self, field, value)
            return
        texts = {code: dict(fields) for code, fields in (self.translations or {}).items()}
        if value:
            texts.setdefault(lang, {})[field] = value
        else:
            texts.get(lang, {}).pop(field, None)
            if not texts.get(lang):
                texts.pop(lang, None)
        self.translations = texts
