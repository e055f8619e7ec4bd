"""The programme feed, built once per version of the programme and kept under EXPORTS_DIR.

Subscribed calendars ask for the feed every hour; building a large programme takes longer
than reading what it is built from, and so does reading the programme itself. The key is the
event's programme version (eventapp.models.version, one indexed row kept by flush hooks) and
the code that writes the feed, so any change anywhere gives a new file, and an unchanged
programme is a file read, shared by every worker and host that shares the folder (each
worker then keeps what it read: eventapp.public.calendars).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from eventapp.calendar import ics
from eventapp.export_cache import cached_file
from eventapp.extensions import db
from eventapp.models import Event, EventVersion


@cache
def _code_digest() -> bytes:
    """The writer's own version: icalendar's and the source of eventapp.calendar.ics."""
    digest = hashlib.sha256(version("icalendar").encode())
    digest.update(Path(ics.__file__).read_bytes())
    return digest.digest()


def programme_key(event: Event, base_url: str, programme: int | None = None, lang: str = "") -> str:
    """The feed's key: the event's row, its programme version (eventapp.models.version: a
    new token with every stored change of a row the feed is made of, the event, its rooms,
    themes, items and their speakers), the address it links to, the language and the code
    that writes it. Reading it costs the one version row, not the programme."""
    if programme is None:
        programme = db.session.scalar(
            select(EventVersion.programme).where(EventVersion.event_id == event.id)
        )
    digest = hashlib.sha256(_code_digest())
    parts = (base_url, lang, event.id, event.created_at, event.updated_at, programme)
    digest.update(repr(parts).encode())
    return digest.hexdigest()


def cached_programme(
    event: Event,
    base_url: str,
    build: Callable[[], bytes],
    programme: int | None = None,
    lang: str = "",
) -> bytes:
    """The feed of this version in ``lang``, read from its file, or built with ``build()``
    and kept."""
    folder = Path(current_app.config["EXPORTS_DIR"]) / "calendars"
    key = programme_key(event, base_url, programme, lang)
    stem = f"programme-{event.slug}-{lang}" if lang else f"programme-{event.slug}"
    return cached_file(folder, stem, key, build, suffix=".ics").read_bytes()
