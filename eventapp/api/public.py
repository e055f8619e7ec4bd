"""Public, read-only: published events, their programme and speakers."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint, abort

from eventapp.api.schemas import EventSchema, EventSummarySchema, SpeakerSchema
from eventapp.models import Event, ProgrammeItem
from eventapp.programme import event_speakers, parallel_blocks, published_event, published_events
from eventapp.registration.rules import seats_left

blp = Blueprint("api_public", __name__, description="Published events and their programmes")


def _summary(event: Event) -> dict[str, Any]:
    return {
        "slug": event.slug,
        "title": event.title,
        "subtitle": event.subtitle,
        "organising_body": event.organising_body,
        "project": event.project,
        "start": event.local(event.starts_at),
        "end": event.local(event.ends_at),
        "timezone": event.timezone,
        "language": event.language,
        "languages": list(event.language_list),
        "venue_name": event.venue_name,
        "venue_address": event.venue_address,
        "url": f"{current_app.config['BASE_URL']}/events/{event.slug}/",
    }


def item_fields(event: Event, item: ProgrammeItem) -> dict[str, Any]:
    """What every API answer says of a programme item (public and organiser endpoints)."""
    return {
        "id": item.id,
        "guid": item.guid,
        "kind": item.kind.value,
        "title": item.title,
        "start": event.local(item.starts_at),
        "end": event.local(item.ends_at),
        "room_id": item.room_id,
        "room": item.room.name if item.room else None,
        "theme_id": item.theme_id,
        "capacity": item.capacity,
        "description_md": item.description_md,
        "speakers": item.speakers,
        "translations": item.translations or {},
    }


def _details(event: Event) -> dict[str, Any]:
    live = [item for item in event.items if not item.cancelled_at]
    block_of = {
        item.id: index for index, block in enumerate(parallel_blocks(live)) for item in block.items
    }
    free = seats_left(event)
    return {
        **_summary(event),
        "introduction_md": event.introduction_md,
        "contact_email": event.contact_email,
        "capacity": event.capacity,
        "seats_left": free.event,
        "translations": event.translations or {},
        "rooms": event.rooms,
        "themes": event.themes,
        "items": [
            {
                **item_fields(event, item),
                "block": block_of[item.id],
                "seats_left": free.items.get(item.id),
            }
            for item in sorted(live, key=lambda i: (i.starts_at, i.id))
        ],
    }


def _event_or_404(slug: str) -> Event:
    event = published_event(slug)
    if event is None:
        abort(404, message=f"No published event has the slug {slug!r}.")
    return event


@blp.route("/events")
@blp.etag
@blp.response(200, EventSummarySchema(many=True))
@blp.paginate()
def list_events(pagination_parameters):
    """Published events, soonest first."""
    events = published_events()
    pagination_parameters.item_count = len(events)
    first = pagination_parameters.first_item
    return [_summary(event) for event in events[first : first + pagination_parameters.page_size]]


@blp.route("/events/<slug>")
@blp.etag
@blp.response(200, EventSchema)
@blp.alt_response(404, description="No published event has this slug")
def get_event(slug: str):
    """One published event with its rooms, themes and programme items."""
    return _details(_event_or_404(slug))


@blp.route("/events/<slug>/speakers")
@blp.etag
@blp.response(200, SpeakerSchema(many=True))
@blp.alt_response(404, description="No published event has this slug")
def list_speakers(slug: str):
    """The speakers of a published event, by name."""
    return [speaker for speaker, _ in event_speakers(_event_or_404(slug))]
