"""What the registration mails say: confirmed, waitlisted, promoted, changed, cancelled,
and the link mailed again to an address already registered.

They are queued empty (eventapp.mail.outbox) and written when delivered, from the
registration as it is then: the request that registers someone renders nothing, and a mail
that waited (a refusing server, a busy watcher) tells the current waiting-list position.
Each carries the person's calendar invitation (eventapp.calendar.notify) when its kind has
one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from email.headerregistry import Address
from typing import Any, Protocol

from babel.dates import get_timezone, get_timezone_name
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from eventapp.calendar.notify import (
    enqueue_withdrawn,
    invitation_for,
    person_agenda,
    reply_address,
    with_programme,
)
from eventapp.extensions import db
from eventapp.mail import outbox
from eventapp.mail.render import one_line, render_into
from eventapp.models import Event, OutboxMessage, Registration
from eventapp.registration.queries import chosen_items, waiting_for, waitlist_position

KINDS = (
    "confirmed",
    "waitlisted",
    "promoted",
    "changed",
    "cancelled",
    "already_registered",
    "confirm_address",
    "pending",
)
#: The kinds queue_many takes: nothing else to queue alongside.
BULK_KINDS = frozenset(KINDS) - {"changed", "confirm_address"}


class Person(Protocol):
    """Whom a registration mail is for: a Registration, or a batch's new person whose row
    is inserted in bulk (eventapp.registration.batch.register_batch)."""

    id: int | None
    email: str
    language: str


def addressed(person: Person) -> dict[str, Any]:
    """The outbox fields that say whom a mail is for (eventapp.mail.outbox.columns)."""
    return {"registration_id": person.id, "recipient": person.email, "language": person.language}


def participant_url(registration: Registration) -> str:
    """The person's own page."""
    return f"{current_app.config['BASE_URL']}/r/{registration.token}/"


def confirmation_url(registration: Registration) -> str:
    """The link that confirms the person's address (eventapp.registration.confirmation)."""
    base = current_app.config["BASE_URL"]
    return f"{base}/r/{registration.token}/confirm/{registration.confirm_token}"


def event_link(event: Event) -> str:
    return f"{current_app.config['BASE_URL']}/events/{event.slug}/"


def enqueue(kind: str, registration: Registration) -> OutboxMessage | None:
    """Adds a registration mail to the session's unit of work, delivered once committed;
    a change of workshops also queues the CANCEL of the workshops given up. An address
    that awaits confirmation gets the confirmation link only (None for the others)."""
    if kind not in KINDS:
        raise ValueError(f"unknown mail kind {kind!r}")
    if registration.confirm_token is not None and kind != "confirm_address":
        return None
    message = outbox.queue(kind, **addressed(registration))
    if kind == "changed":
        enqueue_withdrawn(registration)  # METHOD:CANCEL for the workshops given up
    return message


def queue_many(messages: Iterable[tuple[str, Person]]) -> int:
    """Registration mails for many people at once (a batch of new registrations), each
    row as ``enqueue`` would add it, inserted in bulk. Returns the number of rows."""
    rows = []
    for kind, person in messages:
        if kind not in BULK_KINDS:
            raise ValueError(f"mail kind {kind!r} is not queued in bulk")
        rows.append(outbox.columns(kind, **addressed(person)))
    return outbox.queue_many(rows)


def _subject(kind: str, event_title: str) -> str:
    subjects = {
        "confirmed": _("Inscription confirmée : %(event)s", event=event_title),
        "waitlisted": _("Liste d'attente : %(event)s", event=event_title),
        "promoted": _("Une place s'est libérée : %(event)s", event=event_title),
        "changed": _("Inscription modifiée : %(event)s", event=event_title),
        "cancelled": _("Inscription annulée : %(event)s", event=event_title),
        "already_registered": _("Votre lien d'inscription : %(event)s", event=event_title),
        "confirm_address": _("Confirmez votre adresse : %(event)s", event=event_title),
        "pending": _("Vos souhaits d'ateliers sont reçus : %(event)s", event=event_title),
    }
    return one_line(subjects[kind])


def pending_since(registration: Registration) -> datetime:
    """When the confirmation link now valid was mailed: at registration, or when it was
    mailed again."""
    return max(filter(None, [registration.created_at, registration.link_mailed_at]))


def day_span(registration: Registration) -> tuple[datetime, datetime]:
    """When the person's day starts and ends: from the event's start (doors open) or its
    first item, whichever is earlier, to the end of the event or of its last item; the
    items are the person's agenda (plenaries, breaks, their workshops), cancelled ones
    left out."""
    event = registration.event
    agenda = [item for item in person_agenda(registration) if item.cancelled_at is None]
    starts = min([event.starts_at, *(item.starts_at for item in agenda)])
    ends = max([event.ends_at, *(item.ends_at for item in agenda)])
    return starts, ends


def zone_name(tz: str) -> str:
    """The time zone as people name it, in the current language (« heure d’Europe
    centrale »), or its identifier when the CLDR has no name for it."""
    try:
        return get_timezone_name(get_timezone(tz), locale=str(get_locale() or "fr"))
    except (LookupError, ValueError):
        return tz


def _write(row: OutboxMessage, registration: Registration) -> None:
    """Renders a registration mail into the row, in the person's language."""
    event = registration.event
    starts, ends = day_span(registration)
    context = {
        "registration": registration,
        "event": event,
        "items": chosen_items(registration),
        "position": waitlist_position(registration),
        "waiting": waiting_for(registration),
        "starts": starts,
        "ends": ends,
        "zone_name": zone_name,
        "link": participant_url(registration),
        "event_link": event_link(event),
    }
    if row.kind == "confirm_address":
        context["link"] = confirmation_url(registration)
        context["deadline"] = pending_since(registration) + timedelta(hours=event.confirm_hours)
    title = event.text("title", registration.language or event.language)
    subject = lambda: _subject(row.kind, title)  # noqa: E731
    render_into(row, "mail/registration", context, subject, registration.language)


@outbox.composer(*KINDS)
def _compose(row: OutboxMessage) -> outbox.Composed:
    # Held while the mail is built, so that every step finds it (and its programme) loaded.
    registration = with_programme(row.registration_id)
    invite = invitation_for(row)
    if not row.body_text:  # written now (a retry keeps the text of its first attempt)
        if registration is None:
            raise outbox.NothingToSend(row.kind)
        if (row.kind == "confirm_address") != (registration.confirm_token is not None):
            raise outbox.NothingToSend(row.kind)  # confirmed since, or released
        _write(row, registration)
    reply_to = reply_address(registration.event) if registration is not None else None
    return outbox.Composed(reply_to=reply_to, invitation=invite)


def reply_to_for(registration_id: int | None) -> Address | None:
    """Where replies to a mail written for this registration go: its event's contact
    address, named after the organisers (for mails written already, whose composer does
    not load the registration)."""
    if registration_id is None:
        return None
    found = db.session.execute(
        select(Event.contact_email, Event.organising_body, Event.title)
        .join(Registration, Registration.event_id == Event.id)
        .where(Registration.id == registration_id)
    ).first()
    return outbox.contact_address(found[0], found[1] or found[2]) if found else None
