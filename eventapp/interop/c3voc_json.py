"""The c3voc schedule.json format (the JSON twin of schedule.xml, published by pretalx)."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from eventapp.interop.schedule import (
    FIRST_YEAR,
    LAST_YEAR,
    Schedule,
    ScheduleError,
    ScheduleItem,
    duration_text,
    parse_duration,
    quoted,
    shown,
)
from eventapp.request_input import parse_id

GENERATOR = {"name": "eventapp", "version": "0.1"}


def to_json(schedule: Schedule) -> dict[str, Any]:
    days = []
    for index, day in enumerate(schedule.days(), start=1):
        items = [item for item in schedule.items if item.start.date() == day]
        rooms: dict[str, list[dict[str, Any]]] = {}
        for room in schedule.rooms:
            in_room = [_item(item) for item in items if item.room == room]
            if in_room:
                rooms[room] = in_room
        days.append(
            {
                "index": index,
                "date": day.isoformat(),
                "day_start": min(i.start for i in items).isoformat() if items else None,
                "day_end": max(i.end for i in items).isoformat() if items else None,
                "rooms": rooms,
            }
        )
    return {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": GENERATOR,
        "schedule": {
            "version": "1.0",
            "base_url": schedule.base_url,
            "conference": {
                "acronym": schedule.acronym,
                "title": schedule.title,
                "start": schedule.start.isoformat(),
                "end": schedule.end.isoformat(),
                "daysCount": len(schedule.days()),
                "timeslot_duration": "00:15",
                "time_zone_name": schedule.timezone,
                "rooms": [{"name": room} for room in schedule.rooms],
                "tracks": [
                    {"name": track}
                    for track in dict.fromkeys(i.track for i in schedule.items if i.track)
                ],
                "days": days,
            },
        },
    }


def _item(item: ScheduleItem) -> dict[str, Any]:
    return {
        "guid": item.guid,
        "id": item.id,
        "date": item.start.isoformat(),
        "start": item.start.strftime("%H:%M"),
        "duration": duration_text(item.end - item.start),
        "room": item.room,
        "slug": item.slug,
        "url": item.url,
        "title": item.title,
        "subtitle": item.subtitle,
        "track": item.track or None,
        "type": item.kind,
        "language": item.language,
        "abstract": item.abstract,
        "description": item.description,
        "persons": [{"name": name, "public_name": name} for name in item.persons],
        "links": [],
        "attachments": [],
    }


def from_json(data: bytes, default_timezone: str) -> tuple[Schedule, list[str]]:
    """Reads a schedule.json; returns it and the reasons for the events it had to refuse."""
    try:
        document = json.loads(data)
        conference = document["schedule"]["conference"]
    except RecursionError as error:
        raise ScheduleError("refused: the JSON is nested too deeply") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise ScheduleError(f"not valid JSON: {error}") from error
    except (KeyError, TypeError) as error:
        raise ScheduleError("not a schedule.json: no schedule.conference") from error
    if not isinstance(conference, dict) or not conference.get("acronym"):
        raise ScheduleError("the conference has no acronym")
    tz_name = conference.get("time_zone_name") or default_timezone
    try:
        tz = ZoneInfo(str(tz_name))
    except (KeyError, ValueError) as error:
        raise ScheduleError(f"unknown time zone {tz_name!r}") from error

    items: list[ScheduleItem] = []
    refused: list[str] = []
    rooms: list[str] = []
    for day in conference.get("days") or []:
        if not isinstance(day, dict):
            continue
        for room_name, events in (day.get("rooms") or {}).items():
            for raw in events if isinstance(events, list) else []:
                try:
                    item = _parse_item(raw, day, str(room_name), tz)
                except OverflowError as error:
                    where = quoted(str(raw.get("guid") or raw.get("id") or ""))
                    raise ScheduleError(
                        f"event {where}: its date or end falls outside the years "
                        f"{FIRST_YEAR} to {LAST_YEAR}"
                    ) from error
                except (ValueError, TypeError, AttributeError) as error:
                    label = raw.get("title") if isinstance(raw, dict) else None
                    refused.append(shown(f"{label or '?'}: {error}"))
                    continue
                if item.room not in rooms:
                    rooms.append(item.room)
                items.append(item)
    starts = [item.start.date() for item in items]
    try:
        start = date.fromisoformat(str(conference.get("start", ""))[:10])
    except ValueError:
        start = min(starts) if starts else None
    try:
        end = date.fromisoformat(str(conference.get("end", ""))[:10])
    except ValueError:
        end = max(starts) if starts else start
    if start is None:
        raise ScheduleError("the schedule has neither dates nor events")
    return Schedule(
        acronym=str(conference["acronym"]),
        title=str(conference.get("title") or conference["acronym"]),
        timezone=str(tz_name),
        start=start,
        end=end or start,
        items=items,
        rooms=rooms,
    ), refused


def _parse_item(raw: dict, day: dict, room: str, tz: ZoneInfo) -> ScheduleItem:
    title = str(raw.get("title") or "").strip()
    if not title:
        raise ValueError("no title")
    guid = str(raw.get("guid") or "").strip() or (f"id-{raw['id']}" if raw.get("id") else "")
    if not guid:
        raise ValueError("neither guid nor id")
    if raw.get("date"):
        start = datetime.fromisoformat(str(raw["date"]))
        start = start.replace(tzinfo=tz) if start.tzinfo is None else start.astimezone(tz)
    elif raw.get("start") and day.get("date"):
        start = datetime.combine(
            date.fromisoformat(str(day["date"])), time.fromisoformat(str(raw["start"])), tz
        )
    else:
        raise ValueError("no date and start time")
    duration = parse_duration(str(raw.get("duration") or ""))
    if duration.total_seconds() <= 0:
        raise ValueError("duration must be positive")
    persons = [
        str(person.get("public_name") or person.get("name") or "").strip()
        for person in raw.get("persons") or []
        if isinstance(person, dict)
    ]
    return ScheduleItem(
        guid=guid,
        id=parse_id(str(raw.get("id", ""))) or 0,
        title=title,
        kind=str(raw.get("type") or ""),
        start=start,
        end=start + duration,
        room=str(raw.get("room") or room),
        track=str(raw.get("track") or ""),
        persons=[name for name in persons if name],
        abstract=str(raw.get("abstract") or ""),
        description=str(raw.get("description") or ""),
        language=str(raw.get("language") or ""),
        slug=str(raw.get("slug") or ""),
        subtitle=str(raw.get("subtitle") or ""),
    )
