"""Organisers' API: their events (list, create, read, edit)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask_smorest import abort

from eventapp import audit
from eventapp.admin.accounts import manageable_events
from eventapp.admin.events import create_event, slug_taken, time_change_warning
from eventapp.admin.registrations import capacity_changed
from eventapp.allocation.preferences import offered_themes
from eventapp.allocation.seating import registered_count, registered_under_other_mode
from eventapp.api.common import current_organiser, managed_event
from eventapp.api.organiser.blueprint import aware, blp, invalid, problem, secured
from eventapp.api.organiser.translations import check_translations, write_translations
from eventapp.api.organiser_schemas import (
    EventInSchema,
    EventPatchSchema,
    OrganiserEventSchema,
    OrganiserEventSummarySchema,
)
from eventapp.api.public import _details
from eventapp.extensions import db
from eventapp.languages import FirstLanguageIncomplete, declare_languages
from eventapp.models import (
    Event,
)
from eventapp.models.translated import language_codes
from eventapp.registration.locking import lock_event


def _event_out(event: Event) -> dict[str, Any]:
    db.session.refresh(event)
    return {
        **_details(event),
        "id": event.id,
        "status": event.status.value,
        "registration_open": event.registration_open,
        "proceedings_published": event.proceedings_published,
        "closing_md": event.closing_md,
        "confirm_address": event.confirm_address,
        "confirm_hours": event.confirm_hours,
        "allocation_mode": event.allocation_mode,
        "ranks_asked": event.ranks_asked,
        "after_allocation": event.after_allocation,
    }


ALLOCATION_SETTINGS = ("allocation_mode", "ranks_asked", "after_allocation")


def _allocation_values(data: dict, event: Event | None) -> dict[str, Any]:
    """The allocation settings sent, checked against the event as it is (under its lock,
    taken here when the event exists): the mode changes only while nobody is registered
    under the other one, k only while nobody has ranked, and k is at most the number of
    themes offered. A refusal is a problem document naming the field; nothing changes."""
    values = {name: data[name] for name in ALLOCATION_SETTINGS if name in data}
    if not values or event is None:
        return values
    lock_event(event.id)
    db.session.refresh(event)
    errors: dict[str, list[str]] = {}
    mode = values.get("allocation_mode", event.allocation_mode)
    if mode != event.allocation_mode:
        others = registered_under_other_mode(event, mode)
        if others:
            errors["allocation_mode"] = [
                f"{others} people are registered under the other mode: it cannot change."
            ]
    if "ranks_asked" in values and values["ranks_asked"] != event.ranks_asked:
        themes = len(offered_themes(event))
        if values["ranks_asked"] is not None and themes and values["ranks_asked"] > themes:
            errors["ranks_asked"] = [f"The event offers {themes} themes: at most {themes}."]
        elif registered_count(event, with_preferences=True):
            errors["ranks_asked"] = ["People have already ranked the themes: k cannot change."]
    if errors:
        db.session.rollback()
        invalid(errors)
    return values


# --- events ----------------------------------------------------------------------------

EVENT_TEXT = (
    "title", "subtitle", "organising_body", "project", "venue_name", "venue_address",
    "contact_email", "introduction_md", "closing_md",
)  # fmt: skip


def _event_values(data: dict, event: Event | None) -> dict[str, Any]:
    values: dict[str, Any] = {name: data[name].strip() for name in EVENT_TEXT if name in data}
    for name in ("capacity", "confirm_address", "confirm_hours"):
        if name in data:
            values[name] = data[name]
    timezone = data.get("timezone") or (event.timezone if event else "Europe/Brussels")
    values["timezone"] = timezone
    tz = ZoneInfo(timezone)
    starts = aware(data["start"], tz) if "start" in data else (event.starts_at if event else None)
    ends = aware(data["end"], tz) if "end" in data else (event.ends_at if event else None)
    if starts and ends and ends <= starts:
        invalid({"end": ["The end must follow the start."]})
    values["starts_at"], values["ends_at"] = starts, ends
    if "title" in values and not values["title"]:
        invalid({"title": ["Required."]})
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
@blp.alt_response(422, **problem(422, "Fields not valid"))
def create_my_event(data: dict):
    """Create a draft event managed by the token's owner (registration closed)."""
    if data.get("slug") and slug_taken(data["slug"]):
        invalid({"slug": ["This slug is taken by another event."]})
    values = _event_values(data, None)
    values.update(_allocation_values(data, None))
    values["slug"] = data.get("slug", "")
    languages = language_codes(",".join(data.get("languages") or ["fr"]))
    check_translations(data, languages)
    event = create_event(values, by=current_organiser())
    declare_languages(event, languages)
    write_translations(event, data)
    db.session.commit()
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
@blp.alt_response(409, **problem(409, "Times of a published or past event: confirm"))
@blp.alt_response(422, **problem(422, "Fields not valid"))
def edit_my_event(data: dict, slug: str):
    """Change some fields of an event; the others stay as they are."""
    event = managed_event(slug)
    if data.get("slug") and slug_taken(data["slug"], except_id=event.id):
        invalid({"slug": ["This slug is taken by another event."]})
    values = _event_values(data, event)
    warning = time_change_warning(event)
    moved = (values["starts_at"], values["ends_at"]) != (event.starts_at, event.ends_at)
    if moved and warning and not data.get("confirm_time_change"):
        abort(409, message=warning + " (API: send confirm_time_change: true)")
    if data.get("slug"):
        values["slug"] = data["slug"]
    languages = language_codes(",".join(data.get("languages") or event.language_list))
    check_translations(data, languages)
    values.update(_allocation_values(data, event))
    capacity_before = event.capacity
    for name, value in values.items():
        setattr(event, name, value)
    # A new first language must already hold every text; the translations sent are in the
    # languages as declared by this request.
    try:
        declare_languages(event, languages)
    except FirstLanguageIncomplete as refused:
        invalid(
            {
                "languages": [
                    f"{refused.language!r} cannot come first: some texts are not written in it yet."
                ]
            }
        )
    write_translations(event, data)
    db.session.commit()
    audit.record(
        event, "event.edited", event, detail={"capacity": [capacity_before, event.capacity]}
    )
    if "capacity" in data:
        capacity_changed(event)
    return _event_out(event)
