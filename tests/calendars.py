"""Helpers for calendar tests: reading .ics with parsers we did not write, making events."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import vobject

from eventapp.extensions import db
from eventapp.models import (
    Event,
    EventStatus,
    ItemKind,
    ItemSpeaker,
    ProgrammeItem,
    Room,
    Speaker,
    Theme,
)

JS_DIR = Path(__file__).resolve().parent / "js"
BASE_URL = "http://127.0.0.1:5000"


def icaljs(data: bytes) -> dict:
    """The calendar as Mozilla's ical.js reads it (see tests/js/parse-ics.mjs)."""
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "ical.js").is_dir():
        pytest.fail("node and ical.js are needed: `make test` installs them (scripts/test-deps.sh)")
    done = subprocess.run(
        [node, str(JS_DIR / "parse-ics.mjs")], input=data, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def read_vobject(data: bytes):
    """The calendar as vobject reads it."""
    return vobject.readOne(data.decode("utf-8"))


def utc_iso(local: datetime) -> str:
    """ical.js's form of an instant: UTC, milliseconds, Z."""
    return local.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class ItemSpec:
    title: str
    day: date
    start: time
    end: time
    kind: ItemKind = ItemKind.PLENARY
    room: str | None = None
    theme: str | None = None
    speakers: list[tuple[str, str, str]] = field(default_factory=list)
    end_day: date | None = None


def make_event(
    slug: str,
    timezone: str,
    items: list[ItemSpec],
    *,
    title: str = "Journée d'essai",
    venue_name: str = "Maison des associations",
    venue_address: str = "Rue Haute 1, 1000 Bruxelles",
    contact_email: str = "contact@example.org",
) -> Event:
    """A published event whose items are given as wall-clock times in its own timezone."""
    tz = ZoneInfo(timezone)

    def at(day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tz)

    starts = [at(spec.day, spec.start) for spec in items]
    ends = [at(spec.end_day or spec.day, spec.end) for spec in items]
    event = Event(
        slug=slug,
        title=title,
        starts_at=min(starts),
        ends_at=max(ends),
        timezone=timezone,
        venue_name=venue_name,
        venue_address=venue_address,
        contact_email=contact_email,
        status=EventStatus.PUBLISHED,
    )
    rooms: dict[str, Room] = {}
    themes: dict[str, Theme] = {}
    for spec, start, end in zip(items, starts, ends, strict=True):
        room = None
        if spec.room:
            room = rooms.setdefault(spec.room, Room(name=spec.room, position=len(rooms)))
        theme = None
        if spec.theme:
            theme = themes.setdefault(spec.theme, Theme(number=len(themes) + 1, title=spec.theme))
        item = ProgrammeItem(
            kind=spec.kind, title=spec.title, starts_at=start, ends_at=end, room=room, theme=theme
        )
        item.speaker_links = [
            ItemSpeaker(
                speaker=Speaker(name=name, role=role, organisation=organisation), position=position
            )
            for position, (name, role, organisation) in enumerate(spec.speakers)
        ]
        event.items.append(item)
    event.rooms = list(rooms.values())
    event.themes = list(themes.values())
    db.session.add(event)
    db.session.commit()
    return event
