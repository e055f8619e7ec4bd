"""The programme feed, built once per version of the programme and kept under EXPORTS_DIR.

Subscribed calendars ask for the feed every hour; building a large programme takes longer
than reading what it is built from. The key is a digest of every stored value of the rows the
feed is made of (the event, its rooms, themes, items, their speakers) and of the code that
writes it, so any change anywhere gives a new file, and an unchanged programme is a file read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from functools import cache
from importlib.metadata import version
from operator import attrgetter
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect

from eventapp.calendar import ics
from eventapp.export_cache import cached_file
from eventapp.models import Event


@cache
def _code_digest() -> bytes:
    """The writer's own version: icalendar's and the source of eventapp.calendar.ics."""
    digest = hashlib.sha256(version("icalendar").encode())
    digest.update(Path(ics.__file__).read_bytes())
    return digest.digest()


def _rows(event: Event) -> Iterable[object]:
    yield event
    yield from event.rooms
    yield from event.themes
    for item in event.items:
        yield item
        for link in item.speaker_links:
            yield link
            yield link.speaker


@cache
def _stored_values(model: type) -> Callable[[object], tuple]:
    """Reads every column attribute of a row of this model, in the mapper's order."""
    return attrgetter(*(column.key for column in inspect(model).column_attrs))


def programme_key(event: Event, base_url: str, lang: str = "") -> str:
    digest = hashlib.sha256(_code_digest())
    digest.update(base_url.encode() + b"\0" + lang.encode())
    for row in _rows(event):
        model = type(row)
        digest.update(model.__name__.encode())
        digest.update(repr(_stored_values(model)(row)).encode())
    return digest.hexdigest()


def cached_programme(
    event: Event, base_url: str, build: Callable[[], bytes], lang: str = ""
) -> bytes:
    """The feed of this event in ``lang``, built once per version of what it shows."""
    folder = Path(current_app.config["EXPORTS_DIR"]) / "calendars"
    key = programme_key(event, base_url, lang)
    stem = f"programme-{event.slug}-{lang}" if lang else f"programme-{event.slug}"
    return cached_file(folder, stem, key, build, suffix=".ics").read_bytes()
