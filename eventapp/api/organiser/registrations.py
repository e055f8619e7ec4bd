"""Organisers' API: an event's registrations (list, export, cancel, confirm, move) and
check-in."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_smorest import abort
from sqlalchemy import func, or_, select

from eventapp import audit, mail
from eventapp.admin.registrations import CheckInRefused, set_checked_in
from eventapp.api.common import managed_event
from eventapp.api.organiser.blueprint import blp, get_row, invalid, problem, secured
from eventapp.api.organiser_schemas import (
    ExportQuerySchema,
    MoveSchema,
    RegistrationAdminSchema,
    RegistrationQuerySchema,
)
from eventapp.extensions import db
from eventapp.interop.registration_csv import workshop_picks
from eventapp.interop.spreadsheets import export_columns, export_rows, rows_to_csv, rows_to_xlsx
from eventapp.models import (
    Event,
    Registration,
    RegistrationStatus,
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
    """Every registration of the event as CSV or XLSX (spreadsheet formulas neutralised); on
    a preferences event, each person's ranking in columns ``rank_1``, ``rank_2``… (theme
    titles), which the organisers' import reads back."""
    event = managed_event(slug)
    rows = export_rows(event)
    columns = export_columns(rows)
    audit.record(event, "registrations.exported", event, detail={"format": query["format"]})
    if query["format"] == "xlsx":
        body = rows_to_xlsx(rows, columns)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = rows_to_csv(rows, columns)
        mimetype = "text/csv"
    response = Response(body, mimetype=mimetype)
    if mimetype == "text/csv":
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    filename = f"inscriptions-{event.slug}.{query['format']}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _registration(event: Event, registration_id: int) -> Registration:
    registration = get_row(Registration, registration_id)
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
    audit.record(registration.event, "registration.cancelled", registration)
    mail.deliver_new()
    return _registration_out(registration)


@blp.route("/organiser/events/<slug>/registrations/<int:registration_id>/confirm", methods=["POST"])
@secured
@blp.response(200, RegistrationAdminSchema)
@blp.alt_response(409, **problem(409, "No seat for this registration"))
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
    if registration.status == RegistrationStatus.CONFIRMED:
        audit.record(event, "registration.confirmed", registration)
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
@blp.alt_response(409, **problem(409, "A chosen workshop is full"))
@blp.alt_response(422, **problem(422, "Workshops not valid"))
def move_registration(data: dict, slug: str, registration_id: int):
    """Change the workshops of a registration (one per round), by the participant's rules."""
    event = managed_event(slug)
    registration = _registration(event, registration_id)
    picks, problems = workshop_picks(event, data["workshops"])
    if problems:
        invalid({"workshops": problems})
    items, errors = check_choices(event, picks)
    if errors:
        invalid({"workshops": [f"{name}: {message}" for name, message in errors.items()]})
    try:
        change_choices(registration, items)
    except RegistrationRefused as refused:
        abort(
            409,
            message="The workshops cannot change.",
            errors={"workshops": [f"{k}: {v}" for k, v in refused.errors.items()]},
        )
    audit.record(event, "registration.moved", registration, detail={"items": [i.id for i in items]})
    mail.deliver_new()
    return _registration_out(registration)


@blp.route(
    "/organiser/events/<slug>/registrations/<int:registration_id>/check-in",
    methods=["POST", "DELETE"],
)
@secured
@blp.response(200, RegistrationAdminSchema)
@blp.alt_response(409, **problem(409, "Only a confirmed registration checks in"))
def check_in(slug: str, registration_id: int):
    """POST marks the person present now (again: keeps the first time); DELETE undoes it."""
    registration = _registration(managed_event(slug), registration_id)
    try:
        set_checked_in(registration, present=request.method == "POST")
    except CheckInRefused:
        abort(409, message=f"This registration is {registration.status.value}, not confirmed.")
    return _registration_out(registration)
