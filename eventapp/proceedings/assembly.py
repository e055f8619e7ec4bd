"""Assembling the compte-rendu: from an event's programme and summaries to one HTML document.

Pure functions of the models: no request, no file, no PDF here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from eventapp.markdown import render_markdown
from eventapp.models import Event, ItemKind, ItemSpeaker, ProgrammeItem, Theme
from eventapp.models.translated import LocalText, language_codes
from eventapp.programme import parallel_blocks


@dataclass
class Summary:
    html: Markup
    lang: str  # the language it is written in (the shown one, or the fallback)


@dataclass
class Section:
    """One numbered section: a plenary item, or a theme whose workshops ran in rounds."""

    number: str
    title: LocalText
    speaker_lines: list[LocalText]
    summaries: list[Summary] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "section-" + self.number.replace(".", "-")


_HEADING_TAG = re.compile(r"<(/?)h([1-6])>")


def document_markdown(text: str, top_level: int) -> Markup:
    """Sanitised Markdown whose headings start at ``top_level``, below the document's own:
    the outline and the tagged structure keep one tree."""
    html = str(render_markdown(text))
    # nh3 has written every heading as a bare <hN> (no attribute is allowed on headings).
    shifted = _HEADING_TAG.sub(lambda m: f"<{m[1]}h{min(6, int(m[2]) - 2 + top_level)}>", html)
    return Markup(shifted)  # noqa: S704  (sanitised by render_markdown; only tags renamed)


def speaker_lines(links: list[ItemSpeaker], lang: str) -> list[LocalText]:
    """The "Intervenant(s)" lines: each credit once (speakers sharing it on one line),
    else each speaker's byline; in the order the speakers are listed, without repeats."""
    lines: list[LocalText] = []
    seen_speakers: set[int] = set()
    for link in links:
        if link.speaker_id in seen_speakers:
            continue
        seen_speakers.add(link.speaker_id)
        credit = link.text("credit", lang)
        line = LocalText(credit.strip(), credit.lang) if credit.strip() else None
        line = line or link.speaker.byline_in(lang)
        if line not in lines:
            lines.append(line)
    return lines


def _theme_order(item: ProgrammeItem) -> int:
    # Inside a round, themes come by number (the sort is stable: rooms order the rest).
    return item.theme.number if item.theme is not None else 0


def build_sections(event: Event, lang: str) -> list[Section]:
    """Numbered sections in programme order, in ``lang`` (texts not written in it in the
    event's first language); items without a summary get none.

    Workshops of one theme (one per round) make a single section, placed where the theme
    first appears, carrying the summaries of all its items in programme order.
    """
    ordered: list[ProgrammeItem] = [
        item
        for block in parallel_blocks([i for i in event.items if not i.cancelled_at])
        for item in sorted(block.items, key=_theme_order)
        if item.kind != ItemKind.BREAK
    ]
    groups: list[tuple[Theme | None, list[ProgrammeItem]]] = []
    by_theme: dict[int, list[ProgrammeItem]] = {}
    for item in ordered:
        if item.kind == ItemKind.WORKSHOP and item.theme is not None:
            if item.theme.id not in by_theme:
                by_theme[item.theme.id] = []
                groups.append((item.theme, by_theme[item.theme.id]))
            by_theme[item.theme.id].append(item)
        else:
            groups.append((None, [item]))

    sections: list[Section] = []
    for theme, items in groups:
        summaries = [
            Summary(document_markdown(text, top_level=4), text.lang)
            for text in (item.text("summary_md", lang) for item in items)
            if text.strip()
        ]
        if not summaries:
            continue
        number = f"1.{len(sections) + 1}"
        if theme is not None:
            theme_title = theme.text("title", lang)
            title = LocalText(
                _("Thème %(number)s : %(title)s", number=theme.number, title=theme_title),
                theme_title.lang,
            )
        else:
            title = items[0].text("title", lang)
        links = [link for item in items for link in item.speaker_links]
        sections.append(Section(number, title, speaker_lines(links, lang), summaries))
    return sections


def written_date(day: date, language: str) -> Markup:
    """The date written out, « 1er décembre 2015 » in French, "1 december 2015" in Dutch."""
    text = format_date(day, format="long", locale=language)
    if language == "fr" and day.day == 1 and text.startswith("1 "):
        return Markup("1<sup>er</sup> ") + escape(text[2:])
    return escape(text)


def event_dates(event: Event, lang: str) -> Markup:
    first = event.local(event.starts_at).date()
    last = event.local(event.ends_at).date()
    if first == last:
        return written_date(first, lang)
    return written_date(first, lang) + Markup(" – ") + written_date(last, lang)


def last_change(event: Event) -> datetime:
    """When anything the compte-rendu shows last changed (the PDF's creation date)."""
    return max([event.updated_at, *(item.updated_at for item in event.items)])


def proceedings_language(event: Event, lang: str | None) -> str:
    """The language a compte-rendu is written in: ``lang`` when the event declares it,
    else the event's first language. ``event``: the Event, or a row of its columns with
    ``languages``."""
    languages = language_codes(event.languages)
    return lang if lang in languages else languages[0]


def proceedings_html(event: Event, lang: str | None = None) -> str:
    """The whole compte-rendu as one HTML document in ``lang`` (labels and texts; a text
    not written in it is in the event's first language, marked with its ``lang``)."""
    lang = proceedings_language(event, lang)
    with force_locale(lang):
        sections = build_sections(event, lang)
        introduction = event.text("introduction_md", lang)
        closing = event.text("closing_md", lang)
        title = event.text("title", lang)
        cover_line = event.text("proceedings_cover_line", lang)
        chapter = event.text("proceedings_chapter", lang)
        # Straight from the Jinja environment: no context processor (they read the
        # request, and the CLI has none); the output depends on the event alone.
        template = current_app.jinja_env.get_template("proceedings/document.html")
        return template.render(
            event=event,
            lang=lang,
            title=title,
            sections=sections,
            introduction=document_markdown(introduction, top_level=3),
            introduction_lang=introduction.lang,
            closing=document_markdown(closing, top_level=4),
            closing_lang=closing.lang,
            dates=event_dates(event, lang),
            cover_line=cover_line.strip() or _("Compte-rendu"),
            chapter=LocalText(chapter.strip(), chapter.lang) if chapter.strip() else title,
            changed=last_change(event).strftime("%Y-%m-%dT%H:%M:%SZ"),
            doc_title=_("Compte-rendu : %(title)s", title=title),
        )
