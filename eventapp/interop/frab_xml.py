"""The frab/pentabarf schedule.xml format (as validated by the c3voc XSD)."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405  (only to build; parsing goes through defusedxml)
from datetime import date
from zoneinfo import ZoneInfo

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from flask_babel import gettext as _

from eventapp.interop.schedule import (
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
    shown,
    start_on,
)
from eventapp.request_input import parse_id


def _sub(parent: ET.Element, tag: str, text: str = "", **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = text
    return element


def to_xml(schedule: Schedule) -> bytes:
    root = ET.Element("schedule")
    _sub(root, "version", "1.0")
    conference = _sub(root, "conference")
    _sub(conference, "acronym", schedule.acronym)
    _sub(conference, "title", schedule.title)
    _sub(conference, "start", schedule.start.isoformat())
    _sub(conference, "end", schedule.end.isoformat())
    _sub(conference, "days", str(len(schedule.days())))
    _sub(conference, "timeslot_duration", "00:15")
    for index, day in enumerate(schedule.days(), start=1):
        items = [item for item in schedule.items if item.start.date() == day]
        attributes = {"index": str(index), "date": day.isoformat()}
        if items:
            attributes["start"] = min(i.start for i in items).isoformat()
            attributes["end"] = max(i.end for i in items).isoformat()
        day_element = _sub(root, "day", **attributes)
        for room in schedule.rooms:
            in_room = [item for item in items if item.room == room]
            if not in_room:
                continue
            room_element = _sub(day_element, "room", **({"name": room} if room else {}))
            for item in in_room:
                _item(room_element, item)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _item(parent: ET.Element, item: ScheduleItem) -> None:
    element = _sub(parent, "event", id=str(item.id), guid=item.guid)
    _sub(element, "date", item.start.isoformat())
    _sub(element, "start", item.start.strftime("%H:%M"))
    _sub(element, "duration", duration_text(item.end - item.start))
    _sub(element, "room", item.room)
    _sub(element, "slug", item.slug)
    _sub(element, "title", item.title)
    _sub(element, "subtitle", item.subtitle)
    _sub(element, "track", item.track)
    _sub(element, "type", item.kind)
    _sub(element, "language", item.language)
    _sub(element, "abstract", item.abstract)
    _sub(element, "description", item.description)
    persons = _sub(element, "persons")
    for name in item.persons:
        _sub(persons, "person", name)
    links = _sub(element, "links")
    if item.url:
        _sub(links, "link", item.title, href=item.url)


def _text(element: ET.Element | None, tag: str, default: str = "") -> str:
    found = element.find(tag) if element is not None else None
    return (found.text or "").strip() if found is not None and found.text else default


def from_xml(data: bytes, default_timezone: str) -> tuple[Schedule, list[str]]:
    """Reads a schedule.xml; returns it and the reasons for the events it had to refuse."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise ScheduleError(
            _(
                "le fichier déclare une DTD ou des entités (%(kind)s)",
                kind=type(error).__name__,
            )
        ) from error
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise ScheduleError(
            _("XML mal formé, ligne %(line)s, colonne %(column)s", line=line, column=column + 1)
        ) from error
    if root.tag != "schedule":
        raise ScheduleError(
            _(
                "ce n'est pas un schedule.xml : l'élément racine est <%(tag)s>",
                tag=shown(str(root.tag), 40),
            )
        )
    conference = root.find("conference")
    acronym = _text(conference, "acronym")
    if not acronym:
        raise ScheduleError(_("l'élément <conference> n'a pas d'<acronym>"))
    tz_name = _text(conference, "time_zone_name", default_timezone)
    try:
        tz = ZoneInfo(tz_name)
    except (KeyError, ValueError) as error:
        raise ScheduleError(_("fuseau horaire inconnu : %(zone)s", zone=quoted(tz_name))) from error

    items: list[ScheduleItem] = []
    refused: list[str] = []
    rooms: list[str] = []
    for day in root.iter("day"):
        for room in day.iter("room"):
            room_name = (room.get("name") or "").strip()
            for element in room.iter("event"):
                try:
                    item = _parse_item(element, day, room_name, tz)
                except OverflowError as error:
                    where = item_where(element.get("guid") or element.get("id") or "")
                    raise ScheduleError(out_of_years(where, _("sa date ou sa fin"))) from error
                except ValueError as error:
                    label = _text(element, "title") or element.get("guid") or element.get("id")
                    refused.append(refused_line(label or "?", str(error)))
                    continue
                if item.room not in rooms:
                    rooms.append(item.room)
                items.append(item)
    starts = [item.start.date() for item in items]
    start = _date(_text(conference, "start")) or (min(starts) if starts else None)
    end = _date(_text(conference, "end")) or (max(starts) if starts else start)
    if start is None:
        raise ScheduleError(_("le programme n'a ni dates ni éléments"))
    return Schedule(
        acronym=acronym,
        title=_text(conference, "title", acronym),
        timezone=tz_name,
        start=start,
        end=end or start,
        items=items,
        rooms=rooms,
    ), refused


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _parse_item(element: ET.Element, day: ET.Element, room: str, tz: ZoneInfo) -> ScheduleItem:
    title = _text(element, "title")
    if not title:
        raise ValueError(_("pas de titre"))
    guid = (element.get("guid") or "").strip() or f"id-{element.get('id', '')}"
    if guid == "id-":
        raise ValueError(_("ni guid ni id"))
    stamp = _text(element, "date")
    if stamp:
        start = parse_start(stamp, tz)
    else:
        day_date = _date(day.get("date", ""))
        clock = _text(element, "start")
        if day_date is None or not clock:
            raise ValueError(_("ni date ni heure de début"))
        start = start_on(day_date, clock, tz)
    duration = parse_duration(_text(element, "duration"))
    if duration.total_seconds() <= 0:
        raise ValueError(_("la durée doit être positive"))
    persons = [
        (person.text or "").strip()
        for person in element.iter("person")
        if person.text and person.text.strip()
    ]
    return ScheduleItem(
        guid=guid,
        id=parse_id(element.get("id")) or 0,
        title=title,
        kind=_text(element, "type"),
        start=start,
        end=start + duration,
        room=_text(element, "room", room),
        track=_text(element, "track"),
        persons=persons,
        abstract=_text(element, "abstract"),
        description=_text(element, "description"),
        language=_text(element, "language"),
        slug=_text(element, "slug"),
        subtitle=_text(element, "subtitle"),
    )
