"""The c3voc schedule.json format (the JSON twin of schedule.xml, published by pretalx)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from eventapp.interop.schedule import (
    ItemRefused,
    Schedule,
    ScheduleError,
    ScheduleItem,
    duration_text,
    item_where,
    out_of_years,
    parse_duration,
    parse_start,
    quoted,
    refused_line,
    start_on,
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
        raise ScheduleError(_("le JSON est imbriqué trop profondément")) from error
    except UnicodeDecodeError as error:
        raise ScheduleError(_("JSON invalide : le texte n'est pas en UTF-8")) from error
    except json.JSONDecodeError as error:
        raise ScheduleError(
            _(
                "JSON invalide, ligne %(line)s, colonne %(column)s",
                line=error.lineno,
                column=error.colno,
            )
        ) from error
    except ValueError as error:
        raise ScheduleError(_("JSON invalide")) from error
    except (KeyError, TypeError) as error:
        raise ScheduleError(
            _("ce n'est pas un schedule.json : pas de schedule.conference")
        ) from error
    if not isinstance(conference, dict) or not conference.get("acronym"):
        raise ScheduleError(_("la conférence n'a pas d'acronyme"))
    tz_name = conference.get("time_zone_name") or default_timezone
    try:
        tz = ZoneInfo(str(tz_name))
    except (KeyError, ValueError) as error:
        raise ScheduleError(
            _("fuseau horaire inconnu : %(zone)s", zone=quoted(str(tz_name)))
        ) from error

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
                    where = item_where(str(raw.get("guid") or raw.get("id") or ""))
                    raise ScheduleError(out_of_years(where, _("sa date ou sa fin"))) from error
                except ItemRefused as error:
                    refused.append(refused_line(str(raw.get("title") or "?"), str(error)))
                    continue
                except (ValueError, TypeError, AttributeError):
                    label = raw.get("title") if isinstance(raw, dict) else None
                    refused.append(refused_line(str(label or "?"), _("élément mal formé")))
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
        raise ScheduleError(_("le programme n'a ni dates ni éléments"))
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
        raise ItemRefused(_("pas de titre"))
    guid = str(raw.get("guid") or "").strip() or (f"id-{raw['id']}" if raw.get("id") else "")
    if not guid:
        raise ItemRefused(_("ni guid ni id"))
    if raw.get("date"):
        start = parse_start(str(raw["date"]), tz)
    elif raw.get("start") and day.get("date"):
        day_start = parse_start(str(day["date"])[:10], tz)
        start = start_on(day_start.date(), str(raw["start"]), tz)
    else:
        raise ItemRefused(_("ni date ni heure de début"))
    try:
        duration = parse_duration(str(raw.get("duration") or ""))
    except ValueError as error:
        raise ItemRefused(str(error)) from error
    if duration.total_seconds() <= 0:
        raise ItemRefused(_("la durée doit être positive"))
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
