"""Language choice and locale-aware formatting of dates and times."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, mail delivery, tests of domain functions
        return languages[0]
    for chosen in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if chosen in languages:
            return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def long_date(instant: datetime, tz: str) -> str:
    """The date written out in the current language, e.g. « mardi 1 décembre 2015 »."""
    from zoneinfo import ZoneInfo

    local = instant.astimezone(ZoneInfo(tz))
    return format_date(local.date(), format="full", locale=str(get_locale()))


@lru_cache(maxsize=4096)
def clock_time(instant: datetime, tz: str) -> str:
    """24-hour wall-clock time where the event is, "09:30": the same in fr, nl and en
    (formatted directly: a programme page shows it a thousand times, and its items share a
    few dozen instants, each formatted once: a pure function of the instant and the zone)."""
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo(tz)).strftime("%H:%M")


def language_name(code: str) -> str:
    """A language's name in the page's language: « néerlandais », "Nederlands"."""
    return Locale.parse(code).get_language_name(str(get_locale()))


def shown(row, field: str) -> str:
    """A text an organiser wrote (``row``: a translatable model), in the language of the
    page or its fallback: a LocalText, whose ``lang`` says which."""
    return row.text(field, str(get_locale()))


def lang_attribute(text: str) -> Markup:
    """` lang="fr"` on an element whose text is not in the page's language (WCAG 3.1.2)."""
    lang = getattr(text, "lang", None)
    if lang is None or lang == str(get_locale()):
        return Markup("")
    return Markup(' lang="%s"') % lang


def in_language(text: str) -> str:
    """The text, wrapped in ``<span lang>`` when it is not in the page's language: for a
    text inside a translated sentence, where no element of its own can carry the attribute."""
    attribute = lang_attribute(text)
    if not attribute:
        # Left a string: Jinja escapes it, and a translated sentence quoting it still
        # turns its quotation marks (quoted_values).
        return text
    return Markup("<span%s>%s</span>") % (attribute, text)


# A value put between quotation marks (« %(title)s », “%(title)s”, „%(title)s”): its own
# marks become the ones written inside those (French: “ ” inside « »; English and Dutch:
# ‘ ’ inside “ ” or „ ”), so a title never reads « Journée « Les enfants d'abord » ».
_QUOTED_VALUE = re.compile(r"([«“„‘])[\u00a0\u202f ]?%\((\w+)\)s")
_SPACE = "[\u00a0\u202f ]*"
_INNER = {"«": ("“", "”"), "“": ("‘", "’"), "„": ("‘", "’"), "‘": ("“", "”")}
_SAME_MARKS = {
    "«": re.compile(f"«{_SPACE}(.*?){_SPACE}»"),
    "“": re.compile("[“„](.*?)”"),
    "„": re.compile("[“„](.*?)”"),
    "‘": re.compile("‘(.*?)’"),
}


def within_quotes(text: str, outer: str) -> str:
    """The text as written between the ``outer`` quotation marks: the marks of its own
    that are the same as those become the inner ones."""
    opening, closing = _INNER[outer]
    return _SAME_MARKS[outer].sub(lambda found: f"{opening}{found.group(1)}{closing}", text)


def quoted_values(message: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The variables of a translated message, those it puts between quotation marks
    written as :func:`within_quotes` says."""
    values = dict(variables)
    for found in _QUOTED_VALUE.finditer(message):
        name = found.group(2)
        value = values.get(name)
        if isinstance(value, Markup):
            # A text marked with its language (<span lang>): only its quotation marks
            # change, never its tags (they hold none of those marks).
            values[name] = Markup(within_quotes(str(value), found.group(1)))  # noqa: S704
        elif isinstance(value, str):
            values[name] = within_quotes(value, found.group(1))
    return values


def gettext(string: str, **variables: Any) -> str:
    """flask_babel's gettext, with quoted titles written as :func:`quoted_values` says."""
    translated = get_translations().ugettext(string)
    return translated % quoted_values(translated, variables) if variables else translated


def _render_translations(context: Context):
    """The catalogue of the page being rendered, looked up once per render and language
    rather than once per message (a programme of 500 items asks for a thousand). Kept on
    the render's evaluation context, which the contexts derived inside its loops share,
    with the request's locale object (Flask-Babel's, a new one in every request and under
    force_locale): a render in another language, or a macro module Jinja keeps from an
    earlier request, finds a different locale and looks its catalogue up again."""
    babel = g.get("_flask_babel") if g else None
    locale = getattr(babel, "babel_locale", None)
    kept = getattr(context.eval_ctx, "eventapp_translations", None)
    if locale is not None and kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    locale = getattr(babel, "babel_locale", None)  # set by the lookup when it was not yet
    if locale is not None:
        context.eval_ctx.eventapp_translations = (locale, translations)
    return translations


@pass_context
def _template_gettext(context: Context, string: str, **variables: Any) -> str:
    """Jinja's new-style gettext (jinja2.ext), with :func:`quoted_values`."""
    translated = _render_translations(context).ugettext(string)
    if context.eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 — the catalogue, as jinja2.ext does
    return translated % quoted_values(translated, variables)


@pass_context
def _template_ngettext(
    context: Context, singular: str, plural: str, num: int, **variables: Any
) -> str:
    variables.setdefault("num", num)
    translated = _render_translations(context).ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 — the catalogue, as jinja2.ext does
    return translated % quoted_values(translated, variables)


def init_app(app: Flask) -> None:
    # Replaces the callables Flask-Babel installed (jinja2.ext.i18n's `_` calls these).
    app.jinja_env.globals.update(gettext=_template_gettext, ngettext=_template_ngettext)
    app.jinja_env.globals.update(
        long_date=long_date,
        clock_time=clock_time,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_locale=lambda: str(get_locale()),
        shown=shown,
    )
    app.jinja_env.filters["lang_attr"] = lang_attribute
    app.jinja_env.filters["in_lang"] = in_language
    from eventapp.markdown import render_markdown

    app.jinja_env.filters["markdown"] = render_markdown
