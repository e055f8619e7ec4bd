"""Organisers' API, with a personal bearer token: events, rooms, themes, speakers, programme
items, registrations (list, export, cancel, confirm, move) and check-in.

Every rule comes from the organiser area's and the registration service's own functions;
an event the token's owner does not manage answers 404, as in the organiser area.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, request
from flask_smorest import Blueprint, abort
from sqlalchemy import func, or_, select

from eventapp import mail
from eventapp.admin.accounts import manageable_events, speakers_beyond, speakers_of_other_events
from eventapp.admin.builder import save_item
from eventapp.admin.conflicts import conflicts_by_item, programme_conflicts
from eventapp.admin.events import create_event, slug_taken, time_change_warning
from eventapp.admin.registrations import CheckInRefused, capacity_changed, set_checked_in
from eventapp.admin.views_programme import _room_name_taken, _theme_number_taken
from eventapp.api import BEARER, PROBLEM_JSON
from eventapp.api.common import check_body, current_organiser, managed_event
from eventapp.api.organiser_schemas import (
    EventInSchema,
    EventPatchSchema,
    ExportQuerySchema,
    ItemInSchema,
    ItemPatchSchema,
    MoveSchema,
    OrganiserEventSchema,
    OrganiserEventSummarySchema,
    OrganiserItemSchema,
    RegistrationAdminSchema,
    RegistrationQuerySchema,
    RoomInSchema,
    RoomPatchSchema,
    SpeakerInSchema,
    SpeakerPatchSchema,
    ThemeInSchema,
    ThemePatchSchema,
)
from eventapp.api.public import _details, item_fields
from eventapp.api.schemas import ProblemSchema, RoomSchema, SpeakerSchema, ThemeSchema
from eventapp.extensions import db
from eventapp.interop.registrations import (
    EXPORT_COLUMNS,
    export_rows,
    rows_to_csv,
    rows_to_xlsx,
    workshop_picks,
)
from eventapp.models import (
    Event,
    ItemKind,
    ProgrammeItem,
    Registration,
    RegistrationStatus,
    Room,
    Speaker,
    Theme,
)
from eventapp.registration import (
    RegistrationRefused,
    cancel,
    change_choices,
    check_choices,
    reactivate,
    seats_changed,
    waitlist_position,
)

blp = Blueprint(
    "api_organiser",
    __name__,
    description="Organisers: their events, programmes and registrations (bearer token)",
)
blp.before_request(check_body)

SECURED = {"security": [{BEARER: []}]}


def _problem(status: int, description: str) -> dict[str, Any]:
    return {"schema": ProblemSchema, "content_type": PROBLEM_JSON, "description": description}


def secured(view):
    """Documents the token, the errors every organiser call can answer, and checks the
    token before anything else (so a missing token is 401 even with a faulty body)."""
    view = blp.doc(**SECURED)(view)
    for status, description in (
        (401, "Missing, unknown or revoked token"),
        (404, "No such event among those the token's owner manages"),
        (413, "Body over the size limit"),
        (415, "Body not JSON"),
    ):
        view = blp.alt_response(status, **_problem(status, description))(view)
    return view


@blp.before_request
def _authenticate() -> None:
    current_organiser()


def _aware(value: datetime, tz: ZoneInfo) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=tz)


def _invalid(errors: dict[str, Any], message: str = "Some fields are not valid.") -> None:
    abort(422, message=message, errors=errors)


def _event_out(event: Event) -> dict[str, Any]:
    db.session.refresh(event)
    return {
        **_details(event),
        "id": event.id,
        "status": event.status.value,
        "registration_open": event.registration_open,
        "proceedings_published": event.proceedings_published,
        "closing_md": event.closing_md,
    }


# --- events ----------------------------------------------------------------------------

EVENT_TEXT = (
    "title", "subtitle", "organising_body", "project", "venue_name", "venue_address",
    "contact_email", "introduction_md", "closing_md",
)  # fmt: skip


def _event_values(data: dict, event: Event | None) -> dict[str, Any]:
    values: dict[str, Any] = {name: data[name].strip() for name in EVENT_TEXT if name in data}
    if "capacity" in data:
        values["capacity"] = data["capacity"]
    timezone = data.get("timezone") or (event.timezone if event else "Europe/Brussels")
    values["timezone"] = timezone
    tz = ZoneInfo(timezone)
    starts = _aware(data["start"], tz) if "start" in data else (event.starts_at if event else None)
    ends = _aware(data["end"], tz) if "end" in data else (event.ends_at if event else None)
    if starts and ends and ends <= starts:
        _invalid({"end": ["The end must follow the start."]})
    values["starts_at"], values["ends_at"] = starts, ends
    if "title" in values and not values["title"]:
        _invalid({"title": ["Required."]})
    return values


@blp.route("/organiser/events")
@secured
@blp.etag
@blp.response(200, OrganiserEventSummarySchema(many=True))
@blp.paginate()
def list_my_events(pagination_parameters):
    """The events the token's owner manages (administrators: all), latest first."""
    events = manageable_events(current_organiser())
    pagination_parameters.item_count = len(events)
    first = pagination_parameters.first_item
    return [
        {
            "id": event.id,
            "slug": event.slug,
            "title": event.title,
            "status": event.status.value,
            "start": event.local(event.starts_at),
            "end": event.local(event.ends_at),
        }
        for event in events[first : first + pagination_parameters.page_size]
    ]


@blp.route("/organiser/events", methods=["POST"])
@secured
@blp.arguments(EventInSchema)
@blp.response(201, OrganiserEventSchema)
@blp.alt_response(422, **_problem(422, "Fields not valid"))
def create_my_event(data: dict):
    """Create a draft event managed by the token's owner (registration closed)."""
    if data.get("slug") and slug_taken(data["slug"]):
        _invalid({"slug": ["This slug is taken by another event."]})
    values = _event_values(data, None)
    values["slug"] = data.get("slug", "")
    event = create_event(values, by=current_organiser())
    return _event_out(event)


@blp.route("/organiser/events/<slug>")
@secured
@blp.etag
@blp.response(200, OrganiserEventSchema)
def get_my_event(slug: str):
    """One of the token owner's events, drafts included, with its whole programme."""
    return _event_out(managed_event(slug))


@blp.route("/organiser/events/<slug>", methods=["PATCH"])
@secured
@blp.arguments(EventPatchSchema)
@blp.response(200, OrganiserEventSchema)
@blp.alt_response(409, **_problem(409, "Times of a published or past event: confirm"))
@blp.alt_response(422, **_problem(422, "Fields not valid"))
def edit_my_event(data: dict, slug: str):
    """Change some fields of an event; the others stay as they are."""
    event = managed_event(slug)
    if data.get("slug") and slug_taken(data["slug"], except_id=event.id):
        _invalid({"slug": ["This slug is taken by another event."]})
    values = _event_values(data, event)
    warning = time_change_warning(event)
    moved = (values["starts_at"], values["ends_at"]) != (event.starts_at, event.ends_at)
    if moved and warning and not data.get("confirm_time_change"):
        abort(409, message=warning + " (API: send confirm_time_change: true)")
    if data.get("slug"):
        values["slug"] = data["slug"]
    for name, value in values.items():
        setattr(event, name, value)
    db.session.commit()
    if "capacity" in data:
        capacity_changed(event)
    return _event_out(event)


# --- rooms, themes, speakers -----------------------------------------------------------


MAX_ID = 2**31 - 1  # an integer column's range on every database


def _get(model, row_id: int):
    return db.session.get(model, row_id) if 0 < row_id <= MAX_ID else None


def _child(model, event: Event, child_id: int):
    found = _get(model, child_id)
    if found is None or found.event_id != event.id:
        abort(404, message=f"This event has no {model.__tablename__} {child_id}.")
    return found


@blp.route("/organiser/events/<slug>/rooms", methods=["POST"])
@secured
@blp.arguments(RoomInSchema)
@blp.response(201, RoomSchema)
@blp.alt_response(422, **_problem(422, "Fields not valid"))
def create_room(data: dict, slug: str):
    """Add a room to the event."""
    event = managed_event(slug)
    name = data["name"].strip()
    if not name or _room_name_taken(event, name):
        _invalid({"name": ["This event has a room of that name already." if name else "Required."]})
    room = Room(
        event=event,
        name=name,
        capacity=data.get("capacity"),
        position=data.get("position") or len(event.rooms),
    )
    db.session.add(room)
    db.session.commit()
    return room


@blp.route("/organiser/events/<slug>/rooms/<int:room_id>", methods=["PATCH"])
@secured
@blp.arguments(RoomPatchSchema)
@blp.response(200, RoomSchema)
@blp.alt_response(422, **_problem(422, "Fields not valid"))
def edit_room(data: dict, slug: str, room_id: int):
    """Rename a room, change its capacity or its place among the columns."""
    event = managed_event(slug)
    room = _child(Room, event, room_id)
    if "name" in data:
        name = data["name"].strip()
        if not name or _room_name_taken(event, name, room.id):
            _invalid(
                {"name": ["This event has a room of that name already." if name else "Required."]}
            )
        room.name = name
    for key in ("capacity", "position"):
        if key in data:
            setattr(room, key, data[key] or (0 if key == "position" else None))
    db.session.commit()
    if "capacity" in data:
        capacity_changed(event)
    return room


@blp.route("/organiser/events/<slug>/themes", methods=["POST"])
@secured
@blp.arguments(ThemeInSchema)
@blp.response(201, ThemeSchema)
@blp.alt_response(422, **_problem(422, "Fields not valid"))
def create_theme(data: dict, slug: str):
    """Add a numbered theme."""
    event = managed_event(slug)
    if _theme_number_taken(event, data["number"]):
        _invalid({"number": ["This event has a theme of that number already."]})
    theme = Theme(
        event=event,
        number=data["number"],
        title=data["title"].strip(),
        description_md=data.get("description_md", ""),
    )
    db.session.add(theme)
    db.session.commit()
    return theme


@blp.route("/organiser/events/<slug>/themes/<int:theme_id>", methods=["PATCH"])
@secured
@blp.arguments(ThemePatchSchema)
@blp.response(200, ThemeSchema)
@blp.alt_response(422, **_problem(422, "Fields not valid"))
def edit_theme(data: dict, slug: str, theme_id: int):
    """Change a theme's number, title or description."""
    event = managed_event(slug)
    theme = _child(Theme, event, theme_id)
    if "number" in data and _theme_number_taken(event, data["number"], theme.id):
        _invalid({"number": ["This event has a theme of that number already."]})
    for key in ("number", "title", "description_md"):
        if key in data:
            setattr(theme, key, data[key].strip() if isinstance(data[key], str) else data[key])
    db.session.commit()
    return theme


@blp.route("/organiser/speakers", methods=["POST"])
@secured
@blp.arguments(SpeakerInSchema)
@blp.response(201, SpeakerSchema)
@blp.alt_response(422, **_problem(422, "Fields not valid"))
def create_speaker(data: dict):
    """Add a speaker (speakers are shared by every event, as in the organiser area)."""
    speaker = Speaker(
        **{key: value.strip() for key, value in data.items()}, created_by_id=current_organiser().id
    )
    db.session.add(speaker)
    db.session.commit()
    return speaker


@blp.route("/organiser/speakers/<int:speaker_id>", methods=["PATCH"])
@secured
@blp.arguments(SpeakerPatchSchema)
@blp.response(200, SpeakerSchema)
@blp.alt_response(422, **_problem(422, "Fields not valid"))
@blp.alt_response(403, **_problem(403, "The speaker is also in an event you do not manage"))
def edit_speaker(data: dict, speaker_id: int):
    """Change a speaker's name, role or organisation (speakers on the programme of an event
    you do not manage are changed by an administrator)."""
    speaker = _get(Speaker, speaker_id)
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
    for key, value in data.items():
        setattr(speaker, key, value.strip())
    db.session.commit()
    return speaker


# --- programme items -------------------------------------------------------------------


def _item_out(item: ProgrammeItem) -> dict[str, Any]:
    event = item.event
    found = conflicts_by_item(programme_conflicts(event)).get(item.id, [])
    return {
        **item_fields(event, item),
        "summary_md": item.summary_md,
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
    starts = _aware(data["start"], event.tz) if "start" in data else item.starts_at
    ends = _aware(data["end"], event.tz) if "end" in data else item.ends_at
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
        _invalid(errors)
    if item is not None and (starts, ends) != (item.starts_at, item.ends_at):
        warning = time_change_warning(event)
        if warning and not data.get("confirm_time_change"):
            abort(409, message=warning + " (API: send confirm_time_change: true)")
    return save_item(item or ProgrammeItem(event=event), values, speakers)


@blp.route("/organiser/events/<slug>/items", methods=["POST"])
@secured
@blp.arguments(ItemInSchema)
@blp.response(201, OrganiserItemSchema)
@blp.alt_response(422, **_problem(422, "Fields not valid"))
def create_item(data: dict, slug: str):
    """Add a programme item; the answer lists the conflicts it is part of (publication
    is refused until they are fixed, as in the organiser area)."""
    event = managed_event(slug)
    return _item_out(_save_item(event, None, data))


@blp.route("/organiser/events/<slug>/items/<int:item_id>", methods=["PATCH"])
@secured
@blp.arguments(ItemPatchSchema)
@blp.response(200, OrganiserItemSchema)
@blp.alt_response(409, **_problem(409, "Times of a published or past event: confirm"))
@blp.alt_response(422, **_problem(422, "Fields not valid"))
def edit_item(data: dict, slug: str, item_id: int):
    """Change a programme item; participants' calendars follow (SEQUENCE)."""
    event = managed_event(slug)
    item = _save_item(event, _child(ProgrammeItem, event, item_id), data)
    if "capacity" in data or "room_id" in data:
        capacity_changed(event)  # more seats: the first in line are promoted and told
    return _item_out(item)


# --- registrations ---------------------------------------------------------------------


def _registration_out(registration: Registration) -> dict[str, Any]:
    event = registration.event
    return {
        "id": registration.id,
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "email": registration.email,
        "organisation": registration.organisation,
        "job_title": registration.job_title,
        "status": registration.status.value,
        "waitlist_position": waitlist_position(registration),
        "workshops": sorted(choice.item_id for choice in registration.choices),
        "registered_at": event.local(registration.created_at),
        "checked_in_at": event.local(registration.checked_in_at)
        if registration.checked_in_at
        else None,
    }


def _registrations_query(event: Event, filters: dict):
    statement = select(Registration).where(
        Registration.event_id == event.id, Registration.erased_at.is_(None)
    )
    if "status" in filters:
        statement = statement.where(Registration.status == RegistrationStatus(filters["status"]))
    if "checked_in" in filters:
        column = Registration.checked_in_at
        statement = statement.where(
            column.is_not(None) if filters["checked_in"] else column.is_(None)
        )
    if filters.get("q"):
        literal = filters["q"].lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{literal}%"
        statement = statement.where(
            or_(
                func.lower(Registration.first_name).like(pattern, escape="\\"),
                func.lower(Registration.last_name).like(pattern, escape="\\"),
                func.lower(Registration.email).like(pattern, escape="\\"),
            )
        )
    return statement.order_by(Registration.last_name, Registration.first_name, Registration.id)


@blp.route("/organiser/events/<slug>/registrations")
@secured
@blp.etag
@blp.arguments(RegistrationQuerySchema, location="query")
@blp.response(200, RegistrationAdminSchema(many=True))
@blp.paginate()
def list_registrations(filters: dict, slug: str, pagination_parameters):
    """The event's registrations by name; filters: status, checked_in, q (name or address)."""
    event = managed_event(slug)
    statement = _registrations_query(event, filters)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    pagination_parameters.item_count = total
    page = db.session.scalars(
        statement.offset(pagination_parameters.first_item).limit(pagination_parameters.page_size)
    )
    return [_registration_out(registration) for registration in page]


@blp.route("/organiser/events/<slug>/registrations/export")
@secured
@blp.arguments(ExportQuerySchema, location="query")
@blp.doc(
    responses={
        "200": {
            "description": "CSV (UTF-8 with BOM) or XLSX",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    }
)
def export_registrations(query: dict, slug: str):
    """Every registration of the event as CSV or XLSX (spreadsheet formulas neutralised)."""
    event = managed_event(slug)
    rows = export_rows(event)
    if query["format"] == "xlsx":
        body = rows_to_xlsx(rows, EXPORT_COLUMNS)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = rows_to_csv(rows, EXPORT_COLUMNS)
        mimetype = "text/csv"
    response = Response(body, mimetype=mimetype)
    if mimetype == "text/csv":
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    filename = f"inscriptions-{event.slug}.{query['format']}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _registration(event: Event, registration_id: int) -> Registration:
    registration = _get(Registration, registration_id)
    if registration is None or registration.event_id != event.id or registration.erased_at:
        abort(404, message=f"This event has no registration {registration_id}.")
    return registration


@blp.route("/organiser/events/<slug>/registrations/<int:registration_id>")
@secured
@blp.etag
@blp.response(200, RegistrationAdminSchema)
def get_registration(slug: str, registration_id: int):
    """One registration."""
    return _registration_out(_registration(managed_event(slug), registration_id))


@blp.route("/organiser/events/<slug>/registrations/<int:registration_id>/cancel", methods=["POST"])
@secured
@blp.response(200, RegistrationAdminSchema)
def cancel_registration(slug: str, registration_id: int):
    """Cancel: the seats go to the first in line who fits; both are told by mail."""
    registration = _registration(managed_event(slug), registration_id)
    cancel(registration)
    mail.deliver_new()
    return _registration_out(registration)


@blp.route("/organiser/events/<slug>/registrations/<int:registration_id>/confirm", methods=["POST"])
@secured
@blp.response(200, RegistrationAdminSchema)
@blp.alt_response(409, **_problem(409, "No seat for this registration"))
def confirm_registration(slug: str, registration_id: int):
    """Confirm by the service's rules: a cancelled registration is registered again
    (confirmed if it fits, else waitlisted); the waiting list is promoted in order. A
    registration still without a seat answers 409: raise a capacity first."""
    event = managed_event(slug)
    registration = _registration(event, registration_id)
    try:
        if registration.status == RegistrationStatus.CANCELLED:
            reactivate(registration)
        seats_changed(event)
    except RegistrationRefused as refused:
        abort(409, message="; ".join(str(m) for m in refused.errors.values()))
    mail.deliver_new()
    db.session.refresh(registration)
    if registration.status != RegistrationStatus.CONFIRMED:
        abort(
            409,
            message="No seat for this registration: it stays on the waiting list at position "
            f"{waitlist_position(registration)}. Raise a capacity to confirm it.",
        )
    return _registration_out(registration)


@blp.route("/organiser/events/<slug>/registrations/<int:registration_id>/move", methods=["POST"])
@secured
@blp.arguments(MoveSchema)
@blp.response(200, RegistrationAdminSchema)
@blp.alt_response(409, **_problem(409, "A chosen workshop is full"))
@blp.alt_response(422, **_problem(422, "Workshops not valid"))
def move_registration(data: dict, slug: str, registration_id: int):
    """Change the workshops of a registration (one per round), by the participant's rules."""
    event = managed_event(slug)
    registration = _registration(event, registration_id)
    picks, problems = workshop_picks(event, data["workshops"])
    if problems:
        _invalid({"workshops": problems})
    items, errors = check_choices(event, picks)
    if errors:
        _invalid({"workshops": [f"{name}: {message}" for name, message in errors.items()]})
    try:
        change_choices(registration, items)
    except RegistrationRefused as refused:
        abort(
            409,
            message="The workshops cannot change.",
            errors={"workshops": [f"{k}: {v}" for k, v in refused.errors.items()]},
        )
    mail.deliver_new()
    return _registration_out(registration)


@blp.route(
    "/organiser/events/<slug>/registrations/<int:registration_id>/check-in",
    methods=["POST", "DELETE"],
)
@secured
@blp.response(200, RegistrationAdminSchema)
@blp.alt_response(409, **_problem(409, "Only a confirmed registration checks in"))
def check_in(slug: str, registration_id: int):
    """POST marks the person present now (again: keeps the first time); DELETE undoes it."""
    registration = _registration(managed_event(slug), registration_id)
    try:
        set_checked_in(registration, present=request.method == "POST")
    except CheckInRefused:
        abort(409, message=f"This registration is {registration.status.value}, not confirmed.")
    return _registration_out(registration)
