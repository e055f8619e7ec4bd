"""Organiser forms in every language of the event: one input per declared language, side by
side, for each text an organiser writes.

``translated_form(EventForm, ("fr", "nl"))`` is EventForm with a ``title__nl`` input beside
``title`` (which holds the first language, as the row's ordinary column does), and so on for
each name in the form's ``TRANSLATED``. The extra inputs keep the base field's length limit
and checks, never its "required": a translation may be missing (it falls back).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask import url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Form
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, Optional

from eventapp.config import LANGUAGES
from eventapp.i18n import language_name
from eventapp.languages import Missing
from eventapp.models import Event, ItemSpeaker, ProgrammeItem, Room, Speaker, Theme
from eventapp.models.translated import Translated

SEPARATOR = "__"


def _labelled(label, code: str) -> LazyString:
    return LazyString(lambda: f"{label} ({language_name(code)})")


def _copy(unbound: UnboundField, code: str) -> UnboundField:
    """The same kind of input, labelled with its language, never required."""
    args = list(unbound.args)
    kwargs = dict(unbound.kwargs)
    label = args.pop(0) if args else kwargs.pop("label", "")
    validators = [
        check
        for check in kwargs.pop("validators", [])
        if not isinstance(check, DataRequired | InputRequired | Optional)
    ]
    render_kw = {**(kwargs.pop("render_kw", None) or {}), "lang": code}
    return unbound.field_class(
        _labelled(label, code),
        *args,
        validators=[Optional(), *validators],
        render_kw=render_kw,
        **kwargs,
    )


@cache
def translated_form(form_class: type[Form], languages: tuple[str, ...]) -> type[Form]:
    """``form_class`` with an input per other language beside each translatable field."""
    if len(languages) < 2:
        return form_class
    fields: dict[str, object] = {"languages": languages}
    for name in form_class.TRANSLATED:
        base = getattr(form_class, name)
        # The base input says its language too, and keeps its place and its checks.
        base_kwargs = dict(base.kwargs)
        base_args = list(base.args)
        label = base_args.pop(0) if base_args else base_kwargs.pop("label", "")
        render_kw = {**(base_kwargs.pop("render_kw", None) or {}), "lang": languages[0]}
        fields[name] = base.field_class(
            _labelled(label, languages[0]), *base_args, render_kw=render_kw, **base_kwargs
        )
        for code in languages[1:]:
            fields[f"{name}{SEPARATOR}{code}"] = _copy(base, code)
        # In the form's order: each translation right after its base field.
        for key in (name, *(f"{name}{SEPARATOR}{code}" for code in languages[1:])):
            fields[key].creation_counter = base.creation_counter
    return type(f"{form_class.__name__}_{'_'.join(languages)}", (form_class,), fields)


FIELD_LABELS = {
    "title": _l("Titre"),
    "subtitle": _l("Sous-titre"),
    "organising_body": _l("Organisé par"),
    "project": _l("Projet"),
    "venue_name": _l("Lieu"),
    "venue_address": _l("Adresse du lieu"),
    "introduction_md": _l("Présentation (Markdown)"),
    "closing_md": _l("Conclusion (Markdown)"),
    "proceedings_cover_line": _l("Ligne de couverture du compte-rendu"),
    "proceedings_chapter": _l("Titre du chapitre du compte-rendu"),
    "name": _l("Nom de la salle"),
    "description_md": _l("Description (Markdown)"),
    "summary_md": _l("Compte-rendu (Markdown)"),
    "role": _l("Fonction"),
    "organisation": _l("Organisation"),
    "credit": _l("Mention dans le compte-rendu"),
}


@dataclass
class MissingText:
    where: str  # the row as organisers know it
    what: str  # the field's label
    url: str  # where to write it


def _row_place(row: Translated) -> tuple[str, str]:
    """How organisers name a row, and the page where its texts are written."""
    if isinstance(row, Event):
        return row.title, url_for("admin.event_edit", event_id=row.id)
    if isinstance(row, Room):
        where = _("Salle %(name)s", name=row.name)
        return where, url_for("admin.room_edit", event_id=row.event_id, room_id=row.id)
    if isinstance(row, Theme):
        where = _("Thème %(number)s", number=row.number)
        return where, url_for("admin.theme_edit", event_id=row.event_id, theme_id=row.id)
    if isinstance(row, ItemSpeaker):
        row = row.item
    if isinstance(row, ProgrammeItem):
        return row.title, url_for("admin.item_edit", event_id=row.event_id, item_id=row.id)
    return row.name, url_for("admin.speaker_edit", speaker_id=row.id)


def missing_texts(missing: list[Missing]) -> list[MissingText]:
    texts = []
    for entry in missing:
        where, url = _row_place(entry.row)
        texts.append(MissingText(where, str(FIELD_LABELS.get(entry.field, entry.field)), url))
    return texts


def speaker_languages(speaker: Speaker | None) -> tuple[str, ...]:
    """A speaker's texts: their own language first, then the interface's others."""
    return speaker.language_list if speaker is not None else LANGUAGES


def translation_fields(form: Form, name: str) -> list:
    """The other languages' inputs of a field, in the event's order (none if one language)."""
    return [
        form[f"{name}{SEPARATOR}{code}"]
        for code in getattr(form, "languages", ())[1:]
        if f"{name}{SEPARATOR}{code}" in form
    ]


def is_translation(name: str) -> bool:
    return SEPARATOR in name


def fill_translations(form: Form, row: Translated) -> None:
    """Shows what is written in each other language (on a page's first display)."""
    for name in getattr(form, "TRANSLATED", ()):
        for input_ in translation_fields(form, name):
            code = input_.name.rsplit(SEPARATOR, 1)[1]
            input_.data = row.translation(name, code)


def save_translations(form: Form, row: Translated) -> None:
    """Writes each other language's input into the row (an emptied input removes it)."""
    for name in getattr(form, "TRANSLATED", ()):
        for input_ in translation_fields(form, name):
            code = input_.name.rsplit(SEPARATOR, 1)[1]
            row.set_translation(name, code, (input_.data or "").strip())
