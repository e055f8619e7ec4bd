"""Reading a registration: by its link's token, its place in the waiting line, why it
waits, its workshops, and everything stored about the person (the GDPR export)."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from eventapp.extensions import db
from eventapp.models import ProgrammeItem, Registration, RegistrationStatus
from eventapp.models.registration import TOKEN_LOOKUP_LENGTH
from eventapp.programme import theme_key
from eventapp.registration.rules import event_is_full, full_items, seats_taken

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32,64}")


def find_by_token(token: str) -> Registration | None:
    """The registration whose link carries this token; compared in constant time."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        return None
    candidates = db.session.scalars(
        select(Registration).where(Registration.token_lookup == token[:TOKEN_LOOKUP_LENGTH])
    ).all()
    found = None
    for candidate in candidates:
        if hmac.compare_digest(candidate.token.encode(), token.encode()):
            found = candidate
    return found


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first in line; None when not waitlisted."""
    if registration.status != RegistrationStatus.WAITLISTED or registration.waitlist_rank is None:
        return None
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            Registration.waitlist_rank <= registration.waitlist_rank,
        )
    )


@dataclass
class Waiting:
    """Why a waitlisted registration waits: the event is full, or these chosen workshops
    are (both may hold). Empty when nothing is full any more (a seat was freed and the
    next promotion has not run yet)."""

    event_full: bool
    items: list[ProgrammeItem]


def waiting_for(registration: Registration) -> Waiting | None:
    """What keeps a waitlisted registration waiting, counted now; None when it is not
    waitlisted."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    event = registration.event
    taken = seats_taken(event.id)
    return Waiting(
        event_full=event_is_full(event, taken),
        items=full_items(event, chosen_items(registration), taken),
    )


def chosen_items(registration: Registration) -> list[ProgrammeItem]:
    return sorted((choice.item for choice in registration.choices), key=lambda item: item.starts_at)


def export_data(registration: Registration) -> dict:
    """Everything stored about the person (GDPR export), as JSON-ready data."""

    def iso(instant: datetime | None) -> str | None:
        return instant.isoformat() if instant else None

    data = {
        "status": registration.status.value,
        "waitlist_position": waitlist_position(registration),
        "event": registration.event.slug,
        "event_title": registration.event.title,
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "email": registration.email,
        "organisation": registration.organisation,
        "job_title": registration.job_title,
        "language": registration.language,
        "registered_at": iso(registration.created_at),
        "consent_at": iso(registration.consent_at),
        "confirmed_at": iso(registration.confirmed_at),
        "cancelled_at": iso(registration.cancelled_at),
        "choices": [
            {
                "item_id": item.id,
                "title": item.title,
                "start": iso(item.starts_at),
                "end": iso(item.ends_at),
                "room": item.room.name if item.room else None,
            }
            for item in chosen_items(registration)
        ],
    }
    if registration.preferences is not None:  # an event in preferences mode
        data["preferences"] = list(registration.preferences)
        for entry, item in zip(data["choices"], chosen_items(registration), strict=True):
            entry["theme"] = theme_key(item)
    return data
