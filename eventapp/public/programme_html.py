"""The items of the event page, written in Python: a large programme has hundreds of them,
and Jinja's dozen calls per item (texts, times, messages, filters) cost more than the page's
whole query.

Each item is the very HTML the template wrote before (tests/test_large_pages.py compares it
with a Jinja rendering of the same markup): the same escaping (``escape`` where the
template's ``{{ }}`` escaped), the same messages (``Markup(translated) % values``, as
eventapp.i18n's template gettext does, the values escaped first: they hold no quotation
mark that escaping changes), the same ``lang`` attributes on texts shown in their fallback.
Every value goes through one of those; nothing else reaches the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import url_for
from markupsafe import Markup, escape

from eventapp.i18n import clock_time
from eventapp.i18n import gettext as _
from eventapp.markdown import render_markdown
from eventapp.models import Event, ProgrammeItem
from eventapp.models.translated import LocalText


def _lang(text: LocalText, lang: str) -> str:
    """` lang="nl"` when the text is not in the page's language (WCAG 3.1.2), else ""."""
    return "" if text.lang == lang else f' lang="{escape(text.lang)}"'


def _in_lang(text: LocalText, lang: str) -> Markup:
    """eventapp.i18n.in_language, escaped: the text, in ``<span lang>`` when it is not in
    the page's language."""
    if text.lang == lang:
        return escape(text)
    return Markup('<span lang="%s">%s</span>') % (text.lang, text)


def _message(message: str, **values: object) -> Markup:
    """A message of the page as its template wrote it: translated, its text values escaped
    (eventapp.i18n.gettext then turns their quotation marks)."""
    escaped = {
        name: value if isinstance(value, Markup | int) else escape(value)
        for name, value in values.items()
    }
    return Markup(_(message, **escaped) if values else _(message))  # noqa: S704


class ItemWriter:
    """Writes the items of one event page in one language."""

    def __init__(self, event: Event, lang: str) -> None:
        self.lang = lang
        self.tz = event.timezone
        # /events/<slug>/items/<id>.ics: the start built once (the id is digits).
        self.ics = str(escape(url_for("calendar.item", slug=event.slug, item_id=0)[:-5]))
        self.speakers_label = _message("Intervenant(s)")
        self.add_item_text = _message("Ajouter à mon agenda (.ics)")
        self._themes: dict[tuple, Markup] = {}

    def _time(self, instant: datetime) -> str:
        return f'<time datetime="{instant.isoformat()}">{clock_time(instant, self.tz)}</time>'

    def _theme(self, item: ProgrammeItem) -> Markup:
        theme, lang = item.theme, self.lang
        title = theme.text("title", lang)
        key = (theme.number, title, title.lang, theme.title == item.title)
        label = self._themes.get(key)
        if label is None:
            if key[3]:
                label = _message("Thème %(number)s", number=theme.number)
            else:
                label = _message(
                    "Thème %(number)s : %(title)s",
                    number=theme.number,
                    title=_in_lang(title, lang),
                )
            self._themes[key] = label
        return label

    def item(self, item: ProgrammeItem) -> str:
        lang = self.lang
        room = ""
        if item.room:
            name = item.room.text("name", lang)
            room = f'<span class="item-room"{_lang(name, lang)}>· {escape(name)}</span>'
        title = item.text("title", lang)
        theme = ""
        if item.theme:
            theme = f'\n  \n  <p class="item-theme">{self._theme(item)}</p>\n  '
        description = item.text("description_md", lang)
        if description:
            described = render_markdown(description)
            description = (
                f'<div class="item-description"{_lang(description, lang)}>{described}</div>'
            )
        speakers = ""
        if item.speakers:
            bylines = (speaker.byline_in(lang) for speaker in item.speakers)
            lines = "".join(f"<li{_lang(b, lang)}>{escape(b)}</li>" for b in bylines)
            speakers = (
                f'\n  <ul class="item-speakers" aria-label="{self.speakers_label}">\n'
                f"    {lines}\n  </ul>\n  "
            )
        add_label = _message("Ajouter « %(title)s » à mon agenda", title=title)
        return (
            f'<article class="item item-{escape(item.kind.value)}" id="item-{item.id}"'
            f' data-item-id="{item.id}">\n'
            f'  <p class="item-time">\n'
            f"    {self._time(item.starts_at)}–{self._time(item.ends_at)}\n"
            f"    {room}\n"
            f"  </p>\n"
            f"  \n"
            f'  <h4 class="item-title"{_lang(title, lang)}>{escape(title)}</h4>\n'
            f"  {theme}\n"
            f"  \n"
            f"  {description}\n"
            f"  {speakers}\n"
            f'  <p class="item-calendar"><a href="{self.ics}{item.id}.ics" download'
            f' aria-label="{add_label}">{self.add_item_text}</a></p>\n'
            f"</article>"
        )

    def items(self, items: Iterable[ProgrammeItem]) -> Markup:
        return Markup("".join(self.item(item) for item in items))  # noqa: S704
