"""Running registrations for organisers: finding people, counting seats, checking in.

Confirming, cancelling and moving go through eventapp.registration (the same rules and
mails as self-service); this module only reads, and marks presence on the day.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import select

from eventapp import audit, mail
from eventapp.extensions import db
from eventapp.models import (
    Event,
    ProgrammeItem,
    Registration,
    RegistrationChoice,
    RegistrationStatus,
)
from eventapp.models.types import utcnow
from eventapp.programme import Block, choice_blocks
from eventapp.registration import item_capacity, seats_changed, seats_left
from eventapp.registration.rules import seats_taken


class CheckInRefused(ValueError):
    """Only a confirmed registration can be marked present; the message says why."""


class Choice(NamedTuple):
    item_id: int


@dataclass(slots=True)
class Listed:
    """What the organisers' list shows of a registration: plain data read in bulk, with
    the attribute names of Registration (the filters and counts below take either)."""

    id: int
    first_name: str
    last_name: str
    email: str
    organisation: str
    status: RegistrationStatus
    waitlist_rank: int | None
    checked_in_at: datetime | None
    awaits_confirmation: bool = False
    choices: list[Choice] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def listed_registrations(event: Event) -> list[Listed]:
    """The event's registrations (erased ones left out), oldest first, as plain rows with
    their choices: two queries and no ORM objects, so that the list of 5,000 people stays
    quick; the same order as eventapp.registration.export.event_registrations."""
    current = (Registration.event_id == event.id) & Registration.erased_at.is_(None)
    rows = db.session.execute(
        select(
            Registration.id,
            Registration.first_name,
            Registration.last_name,
            Registration.email,
            Registration.organisation,
            Registration.status,
            Registration.waitlist_rank,
            Registration.checked_in_at,
            Registration.confirm_token.is_not(None),
        )
        .where(current)
        .order_by(Registration.created_at, Registration.id)
    ).all()
    listed = [Listed(*row) for row in rows]
    by_id = {registration.id: registration for registration in listed}
    choices = db.session.execute(
        select(RegistrationChoice.registration_id, RegistrationChoice.item_id)
        .join(Registration, Registration.id == RegistrationChoice.registration_id)
        .where(current)
        .order_by(RegistrationChoice.id)
    ).all()
    for registration_id, item_id in choices:
        by_id[registration_id].choices.append(Choice(item_id))
    return listed


def fold(text: str) -> str:
    """Lower case without accents: "López" and "lopez" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def matches(registration: Registration, query: str) -> bool:
    """Every word of the query is found in the name, the address or the organisation."""
    haystack = fold(
        " ".join(
            (
                registration.first_name,
                registration.last_name,
                registration.email,
                registration.organisation,
            )
        )
    )
    return all(word in haystack for word in fold(query).split())


def filter_registrations(
    registrations: list[Registration],
    *,
    query: str = "",
    status: str = "",
    item_id: int | None = None,
) -> list[Registration]:
    """The registrations matching a search (name, e-mail, organisation), a status and a
    workshop (any of them may be empty)."""
    found = []
    for registration in registrations:
        if status and registration.status.value != status:
            continue
        if item_id and not any(c.item_id == item_id for c in registration.choices):
            continue
        if query.strip() and not matches(registration, query):
            continue
        found.append(registration)
    return found


@dataclass
class WorkshopCount:
    item: ProgrammeItem
    round: int
    capacity: int | None
    confirmed: int
    waitlisted: int
    seats_left: int | None
    present: int


@dataclass
class Counts:
    confirmed: int
    waitlisted: int
    cancelled: int
    present: int
    capacity: int | None
    seats_left: int | None
    workshops: list[WorkshopCount]


def registration_counts(
    event: Event, registrations: list[Registration], blocks: list[Block] | None = None
) -> Counts:
    """Totals and, for every workshop of every round, its confirmed, waiting and present
    people and its seats left (as the registration form shows them). ``blocks``: the
    event's choice_blocks, when the caller has them (a programme of hundreds of items)."""
    blocks = choice_blocks(event) if blocks is None else blocks
    taken = seats_taken(event.id)
    capacity_of = {item.id: item_capacity(item) for block in blocks for item in block.workshops}
    left = seats_left(event, (event.capacity, capacity_of))
    waiting: dict[int, int] = {}
    present: dict[int, int] = {}
    for registration in registrations:
        for choice in registration.choices:
            if registration.status == RegistrationStatus.WAITLISTED:
                waiting[choice.item_id] = waiting.get(choice.item_id, 0) + 1
            elif registration.status == RegistrationStatus.CONFIRMED and (
                registration.checked_in_at
            ):
                present[choice.item_id] = present.get(choice.item_id, 0) + 1
    workshops = [
        WorkshopCount(
            item=item,
            round=number,
            capacity=item_capacity(item),
            confirmed=taken.items.get(item.id, 0),
            waitlisted=waiting.get(item.id, 0),
            seats_left=left.items.get(item.id),
            present=present.get(item.id, 0),
        )
        for number, block in enumerate(blocks, 1)
        for item in block.workshops
    ]

    def count(status: RegistrationStatus) -> int:
        return sum(1 for r in registrations if r.status == status)

    return Counts(
        confirmed=count(RegistrationStatus.CONFIRMED),
        waitlisted=count(RegistrationStatus.WAITLISTED),
        cancelled=count(RegistrationStatus.CANCELLED),
        present=sum(
            1
            for r in registrations
            if r.status == RegistrationStatus.CONFIRMED and r.checked_in_at is not None
        ),
        capacity=event.capacity,
        seats_left=left.event,
        workshops=workshops,
    )


def attendees(event: Event, item: ProgrammeItem, registrations: list[Registration]) -> list:
    """Who is expected in this item: the confirmed people who picked it (a workshop), or
    every confirmed person (a plenary or a break); sorted by last name."""
    confirmed = [r for r in registrations if r.status == RegistrationStatus.CONFIRMED]
    if any(item in block.workshops for block in choice_blocks(event)):
        confirmed = [r for r in confirmed if any(c.item_id == item.id for c in r.choices)]
    return sorted(confirmed, key=lambda r: (fold(r.last_name), fold(r.first_name), r.id))


def set_checked_in(registration: Registration, present: bool) -> None:
    """Marks a confirmed person present on the day (or undoes it); committed."""
    if present and registration.status != RegistrationStatus.CONFIRMED:
        raise CheckInRefused(
            _(
                "%(name)s n'a pas d'inscription confirmée : confirmez-la d'abord.",
                name=registration.full_name,
            )
        )
    if present and registration.checked_in_at is None:
        registration.checked_in_at = utcnow()
    elif not present:
        registration.checked_in_at = None
    action = "registration.checked_in" if present else "registration.checked_out"
    audit.record(registration.event, action, registration, commit=False)
    db.session.commit()


def capacity_changed(event: Event) -> int:
    """After an organiser changed a capacity: whoever now fits is promoted from the
    waiting list (eventapp.registration.seats_changed) and told by mail at once.
    Returns how many were promoted."""
    db.session.commit()
    promoted = seats_changed(event)
    mail.deliver_new()
    return len(promoted)
