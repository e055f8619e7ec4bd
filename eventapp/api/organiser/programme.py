"""Organisers' API: the programme of an event: rooms, themes, speakers and items."""

from __future__ import annotations

from typing import Any

from flask_smorest import abort
from sqlalchemy import select

from eventapp import audit
from eventapp.admin.accounts import speakers_beyond, speakers_of_other_events
from eventapp.admin.builder import save_item
from eventapp.admin.conflicts import conflicts_by_item, programme_conflicts
from eventapp.admin.events import time_change_warning
from eventapp.admin.registrations import capacity_changed
from eventapp.admin.views_programme import _room_name_taken, _theme_number_taken
from eventapp.api.common import current_organiser, managed_event
from eventapp.api.organiser.blueprint import (
    MAX_ID,
    aware,
    blp,
    get_row,
    invalid,
    problem,
    secured,
)
from eventapp.api.organiser.translations import check_translations, write_translations
from eventapp.api.organiser_schemas import (
    ItemInSchema,
    ItemPatchSchema,
    OrganiserItemSchema,
    RoomInSchema,
    RoomPatchSchema,
    SpeakerInSchema,
    SpeakerPatchSchema,
    ThemeInSchema,
    ThemePatchSchema,
)
from eventapp.api.public import item_fields
from eventapp.api.schemas import RoomSchema, SpeakerSchema, ThemeSchema
from eventapp.extensions import db
from eventapp.models import (
    Event,
    ItemKind,
    ProgrammeItem,
    Room,
    Speaker,
    Theme,
)

# --- rooms, themes, speakers -----------------------------------------------------------


def _child(model, event: Event, child_id: int):
    found = get_row(model, child_id)
    if found is None or found.event_id != event.id:
        abort(404, message=f"This event has no {model.__tablename__} {child_id}.")
    return found


@blp.route("/organiser/events/<slug>/rooms", methods=["POST"])
@secured
@blp.arguments(RoomInSchema)
@blp.response(201, RoomSchema)
@blp.alt_response(422, **problem(422, "Fields not valid"))
def create_room(data: dict, slug: str):
    """Add a room to the event."""
    event = managed_event(slug)
    name = data["name"].strip()
    if not name or _room_name_taken(event, name):
        invalid({"name": ["This event has a room of that name already." if name else "Required."]})
    check_translations(data, event.language_list)
    room = Room(
        event=event,
        name=name,
        capacity=data.get("capacity"),
        position=data.get("position") or len(event.rooms),
    )
    write_translations(room, data)
    db.session.add(room)
    db.session.commit()
    audit.record(event, "room.created", room)
    return room


@blp.route("/organiser/events/<slug>/rooms/<int:room_id>", methods=["PATCH"])
@secured
@blp.arguments(RoomPatchSchema)
@blp.response(200, RoomSchema)
@blp.alt_response(422, **problem(422, "Fields not valid"))
def edit_room(data: dict, slug: str, room_id: int):
    """Rename a room, change its capacity or its place among the columns."""
    event = managed_event(slug)
    room = _child(Room, event, room_id)
    check_translations(data, event.language_list)
    if "name" in data:
        name = data["name"].strip()
        if not name or _room_name_taken(event, name, room.id):
            invalid(
                {"name": ["This event has a room of that name already." if name else "Required."]}
            )
        room.name = name
    capacity_before = room.capacity
    for key in ("capacity", "position"):
        if key in data:
            setattr(room, key, data[key] or (0 if key == "position" else None))
    write_translations(room, data)
    db.session.commit()
    audit.record(event, "room.changed", room, detail={"capacity": [capacity_before, room.capacity]})
    if "capacity" in data:
        capacity_changed(event)
    return room


@blp.route("/organiser/events/<slug>/themes", methods=["POST"])
@secured
@blp.arguments(ThemeInSchema)
@blp.response(201, ThemeSchema)
@blp.alt_response(422, **problem(422, "Fields not valid"))
def create_theme(data: dict, slug: str):
    """Add a numbered theme."""
    event = managed_event(slug)
    if _theme_number_taken(event, data["number"]):
        invalid({"number": ["This event has a theme of that number already."]})
    check_translations(data, event.language_list)
    theme = Theme(
        event=event,
        number=data["number"],
        title=data["title"].strip(),
        description_md=data.get("description_md", ""),
    )
    write_translations(theme, data)
    db.session.add(theme)
    db.session.commit()
    audit.record(event, "theme.created", theme)
    return theme


@blp.route("/organiser/events/<slug>/themes/<int:theme_id>", methods=["PATCH"])
@secured
@blp.arguments(ThemePatchSchema)
@blp.response(200, ThemeSchema)
@blp.alt_response(422, **problem(422, "Fields not valid"))
def edit_theme(data: dict, slug: str, theme_id: int):
    """Change a theme's number, title or description."""
    event = managed_event(slug)
    theme = _child(Theme, event, theme_id)
    if "number" in data and _theme_number_taken(event, data["number"], theme.id):
        invalid({"number": ["This event has a theme of that number already."]})
    check_translations(data, event.language_list)
    for key in ("number", "title", "description_md"):
        if key in data:
            setattr(theme, key, data[key].strip() if isinstance(data[key], str) else data[key])
    write_translations(theme, data)
    db.session.commit()
    audit.record(event, "theme.changed", theme)
    return theme


@blp.route("/organiser/speakers", methods=["POST"])
@secured
@blp.arguments(SpeakerInSchema)
@blp.response(201, SpeakerSchema)
@blp.alt_response(422, **problem(422, "Fields not valid"))
def create_speaker(data: dict):
    """Add a speaker (speakers are shared by every event, as in the organiser area)."""
    texts = {key: value.strip() for key, value in data.items() if key != "translations"}
    speaker = Speaker(**texts, created_by_id=current_organiser().id)
    check_translations(data, speaker.language_list)
    write_translations(speaker, data)
    db.session.add(speaker)
    db.session.commit()
    return speaker


@blp.route("/organiser/speakers/<int:speaker_id>", methods=["PATCH"])
@secured
@blp.arguments(SpeakerPatchSchema)
@blp.response(200, SpeakerSchema)
@blp.alt_response(422, **problem(422, "Fields not valid"))
@blp.alt_response(403, **problem(403, "The speaker is also in an event you do not manage"))
def edit_speaker(data: dict, speaker_id: int):
    """Change a speaker's name, role or organisation (speakers on the programme of an event
    you do not manage are changed by an administrator)."""
    speaker = get_row(Speaker, speaker_id)
    if speaker is None:
        abort(404, message=f"No speaker {speaker_id}.")
    if speakers_of_other_events(current_organiser(), [speaker.id]):
        abort(
            403,
            message=f"Speaker {speaker_id} is also on the programme of an event you do not "
            "manage; an administrator can change them.",
        )
    if speakers_beyond(current_organiser(), [speaker.id]):
        abort(
            403,
            message=f"Speaker {speaker_id} was prepared by another organiser and is on no "
            "programme yet; they or an administrator can change them.",
        )
    check_translations(data, speaker.language_list)
    for key, value in data.items():
        if key != "translations":
            setattr(speaker, key, value.strip())
    write_translations(speaker, data)
    db.session.commit()
    return speaker


# --- programme items -------------------------------------------------------------------


def _item_out(item: ProgrammeItem) -> dict[str, Any]:
    event = item.event
    found = conflicts_by_item(programme_conflicts(event)).get(item.id, [])
    return {
        **item_fields(event, item),
        "summary_md": item.summary_md,
        "translations": item.translations or {},
        "cancelled": item.cancelled_at is not None,
        "conflicts": [
            {"type": c.type, "message": c.message, "item_ids": list(c.item_ids)} for c in found
        ],
    }


def _save_item(event: Event, item: ProgrammeItem | None, data: dict) -> ProgrammeItem:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for key in ("title", "description_md", "summary_md"):
        if key in data:
            values[key] = data[key].strip() if key == "title" else data[key]
    if "kind" in data:
        values["kind"] = ItemKind(data["kind"])
    if "capacity" in data:
        values["capacity"] = data["capacity"]
    rooms = {room.id for room in event.rooms}
    themes = {theme.id for theme in event.themes}
    if data.get("room_id") is not None and data["room_id"] not in rooms:
        errors["room_id"] = ["Not a room of this event."]
    if data.get("theme_id") is not None and data["theme_id"] not in themes:
        errors["theme_id"] = ["Not a theme of this event."]
    for key in ("room_id", "theme_id"):
        if key in data:
            values[key] = data[key]
    starts = aware(data["start"], event.tz) if "start" in data else item.starts_at
    ends = aware(data["end"], event.tz) if "end" in data else item.ends_at
    if ends <= starts:
        errors["end"] = ["The end must follow the start."]
    values["starts_at"], values["ends_at"] = starts, ends
    speakers = item.speakers if item is not None else []
    if "speaker_ids" in data:
        ids = data["speaker_ids"]
        found = {
            s.id: s
            for s in db.session.scalars(
                select(Speaker).where(Speaker.id.in_([i for i in ids if 0 < i <= MAX_ID]))
            )
        }
        missing = [str(i) for i in ids if i not in found]
        if missing:
            errors["speaker_ids"] = ["No speaker " + ", ".join(missing) + "."]
        elif len(set(ids)) != len(ids):
            errors["speaker_ids"] = ["A speaker appears twice."]
        speakers = [found[i] for i in ids if i in found]
    if errors:
        invalid(errors)
    check_translations(data, event.language_list)
    if item is not None and (starts, ends) != (item.starts_at, item.ends_at):
        warning = time_change_warning(event)
        if warning and not data.get("confirm_time_change"):
            abort(409, message=warning + " (API: send confirm_time_change: true)")
    row = item or ProgrammeItem(event=event)
    write_translations(row, data)
    return save_item(row, values, speakers)


@blp.route("/organiser/events/<slug>/items", methods=["POST"])
@secured
@blp.arguments(ItemInSchema)
@blp.response(201, OrganiserItemSchema)
@blp.alt_response(422, **problem(422, "Fields not valid"))
def create_item(data: dict, slug: str):
    """Add a programme item; the answer lists the conflicts it is part of (publication
    is refused until they are fixed, as in the organiser area)."""
    event = managed_event(slug)
    return _item_out(_save_item(event, None, data))


@blp.route("/organiser/events/<slug>/items/<int:item_id>", methods=["PATCH"])
@secured
@blp.arguments(ItemPatchSchema)
@blp.response(200, OrganiserItemSchema)
@blp.alt_response(409, **problem(409, "Times of a published or past event: confirm"))
@blp.alt_response(422, **problem(422, "Fields not valid"))
def edit_item(data: dict, slug: str, item_id: int):
    """Change a programme item; participants' calendars follow (SEQUENCE)."""
    event = managed_event(slug)
    item = _save_item(event, _child(ProgrammeItem, event, item_id), data)
    if "capacity" in data or "room_id" in data:
        capacity_changed(event)  # more seats: the first in line are promoted and told
    return _item_out(item)
