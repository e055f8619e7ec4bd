"""What every way of registering shares, applied under the event's lock: the seats
counted once (Seats), the rule of a new registration, promotion from the waiting list and
the rule of a change of workshops. eventapp.registration.service (one person) and
eventapp.registration.batch (the CSV import) build on these."""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from eventapp.extensions import db
from eventapp.models import (
    Event,
    ProgrammeItem,
    Registration,
    RegistrationChoice,
    RegistrationStatus,
)
from eventapp.models.registration import TOKEN_LOOKUP_LENGTH
from eventapp.models.types import utcnow
from eventapp.programme import theme_key
from eventapp.registration import mails
from eventapp.registration.rules import (
    Applicant,
    RegistrationRefused,
    Taken,
    choice_fields,
    fits,
    full_items,
    seats_taken,
)


def new_token() -> str:
    """192 random bits, URL-safe (32 characters)."""
    return secrets.token_urlsafe(24)


def email_key(email: str) -> str:
    """The address as compared: one person whatever the case, the Unicode form (é typed as
    one character or as e and an accent) or full-width letters."""
    folded = unicodedata.normalize("NFKC", email.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)[:254]


def refresh(registration: Registration) -> Registration:
    """The registration as the database has it now that the lock is held."""
    db.session.refresh(registration)
    db.session.refresh(registration.event)
    return registration


def refresh_capacities(event: Event, items: Iterable[ProgrammeItem]) -> None:
    """Capacities as the database has them under the lock (an organiser may have just
    changed one)."""
    ids = [item.id for item in items]
    if not ids:
        db.session.refresh(event, ["capacity"])
        return
    # The workshops, their rooms (a workshop without its own capacity has its room's) and
    # the event, in one query.
    db.session.scalars(
        select(ProgrammeItem)
        .where(ProgrammeItem.id.in_(ids))
        .options(joinedload(ProgrammeItem.room), joinedload(ProgrammeItem.event))
        .execution_options(populate_existing=True)
    ).all()


def next_rank_in(event_id: int) -> int:
    highest = db.session.scalar(
        select(func.max(Registration.waitlist_rank)).where(Registration.event_id == event_id)
    )
    return (highest or 0) + 1


#: Who is told of a change: ``mails.enqueue`` at once, or a list that the batch enqueues
#: once the new rows have their ids.
Notify = Callable[[str, Registration], object]


@dataclass
class Seats:
    """What the rules read under the event's lock, counted once and then kept up to date
    in memory as the unit of work adds, changes and promotes people: the seats taken, the
    next waiting-list rank and (for a batch) the waiting line itself."""

    event_id: int
    taken: Taken
    rank: int | None = None
    waiting: list[Registration] | None = None

    @classmethod
    def counted(cls, event: Event, items: Iterable[ProgrammeItem]) -> Seats:
        """Call it with the lock held: capacities re-read, seats counted."""
        refresh_capacities(event, items)
        return cls(event.id, seats_taken(event.id))

    def next_rank(self) -> int:
        if self.rank is None:
            self.rank = next_rank_in(self.event_id)
        rank, self.rank = self.rank, self.rank + 1
        return rank


def new_row(
    event: Event,
    applicant: Applicant,
    items: list[ProgrammeItem],
    seats: Seats,
    now: datetime,
    submission_key: str | None = None,
) -> dict[str, Any]:
    """The rule of a new registration (the form's, the API's and the import's): confirmed
    when the event and every picked workshop have a seat, else waitlisted at the end of the
    line. Takes the seats in ``seats``; returns the columns of the new row (the caller
    adds the choices, joins the batch's waiting line, stores and mails)."""
    confirmed = fits(event, items, seats.taken)
    token = new_token()
    if confirmed:
        seats.taken.take(item.id for item in items)
    return {
        "event_id": event.id,
        "token": token,
        "token_lookup": token[:TOKEN_LOOKUP_LENGTH],
        "submission_key": submission_key or None,
        "first_name": applicant.first_name,
        "last_name": applicant.last_name,
        "email": applicant.email,
        "email_key": email_key(applicant.email),
        "organisation": applicant.organisation,
        "job_title": applicant.job_title,
        "language": applicant.language,
        "status": RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITLISTED,
        "waitlist_rank": None if confirmed else seats.next_rank(),
        "consent_at": now,
        "confirmed_at": now if confirmed else None,
    }


def new_pending(
    event: Event,
    applicant: Applicant,
    preferences: list[str],
    now: datetime,
    submission_key: str | None = None,
) -> Registration:
    """A new registration of an event in preferences mode: pending with its ranking, no
    seat taken (the allocation seats it), added to the session; the caller flushes and
    mails."""
    token = new_token()
    registration = Registration(
        event=event,
        token=token,
        token_lookup=token[:TOKEN_LOOKUP_LENGTH],
        submission_key=submission_key or None,
        first_name=applicant.first_name,
        last_name=applicant.last_name,
        email=applicant.email,
        email_key=email_key(applicant.email),
        organisation=applicant.organisation,
        job_title=applicant.job_title,
        language=applicant.language,
        status=RegistrationStatus.PENDING,
        preferences=list(preferences),
        consent_at=now,
    )
    db.session.add(registration)
    return registration


def new_registration(
    event: Event,
    applicant: Applicant,
    items: list[ProgrammeItem],
    seats: Seats,
    now: datetime,
    submission_key: str | None = None,
) -> Registration:
    """A new registration by the rule of new_row, added to the session; the caller
    flushes and mails."""
    row = new_row(event, applicant, items, seats, now, submission_key)
    registration = Registration(
        event=event, **row, choices=[RegistrationChoice(item=item) for item in items]
    )
    db.session.add(registration)
    return registration


def best_schedule(event: Event, ranking: list[str], taken: Taken) -> list[ProgrammeItem] | None:
    """For a person who ranked themes (preferences mode) and has no workshop yet: one
    workshop with a free seat in every round, a different theme in each, that minimises the
    sum of squared ranks (a theme left unranked counts one more than the ranks given), as
    the allocation's objective does; on a tie the programme's order. None when no such
    schedule has room. An exhaustive search, pruned by the best cost found so far."""
    rank = {key: position for position, key in enumerate(ranking, 1)}
    unranked = len(ranking) + 1
    rounds = []
    for _name, block in choice_fields(event):
        free = [item for item in block.workshops if not full_items(event, [item], taken)]
        rounds.append(sorted(free, key=lambda item: rank.get(theme_key(item), unranked)))
    best: list[ProgrammeItem] | None = None
    best_cost: int | None = None
    chosen: list[ProgrammeItem] = []
    themes: set[str] = set()

    def walk(index: int, cost: int) -> None:
        nonlocal best, best_cost
        if best_cost is not None and cost >= best_cost:
            return
        if index == len(rounds):
            best, best_cost = list(chosen), cost
            return
        for item in rounds[index]:
            key = theme_key(item)
            if key in themes:
                continue
            chosen.append(item)
            themes.add(key)
            walk(index + 1, cost + rank.get(key, unranked) ** 2)
            chosen.pop()
            themes.discard(key)

    walk(0, 0)
    return best


def waiting_line(event_id: int) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.status == RegistrationStatus.WAITLISTED,
            )
            .order_by(Registration.waitlist_rank, Registration.id)
            .options(selectinload(Registration.choices))
            .execution_options(populate_existing=True)
        )
    )


def promote_waitlist(
    event: Event,
    taken: Taken | None = None,
    *,
    waiting: list[Registration] | None = None,
    notify: Notify = mails.enqueue,
) -> list[Registration]:
    """Confirms, first in line first, every waitlisted registration that now fits, and
    queues a mail to each. Call it under the event's lock (the functions here do).

    ``waiting``: the waiting line in order, kept in memory by a batch (the promoted leave
    it); read from the database when not given."""
    taken = taken or seats_taken(event.id)
    promoted: list[Registration] = []
    line = waiting_line(event.id) if waiting is None else list(waiting)
    for registration in line:
        if event.capacity is not None and taken.event >= event.capacity:
            break
        items = [choice.item for choice in registration.choices]
        if not items and registration.preferences is not None:
            # Waitlisted by an allocation: the best workshops for their ranking that have room.
            found = best_schedule(event, registration.preferences, taken)
            if found is None or not fits(event, found, taken):
                continue
            items = found
            registration.choices = [RegistrationChoice(item=item) for item in items]
        if fits(event, items, taken):
            registration.status = RegistrationStatus.CONFIRMED
            registration.confirmed_at = utcnow()
            taken.take(item.id for item in items)
            notify("promoted", registration)
            promoted.append(registration)
            if waiting is not None:
                waiting.remove(registration)
    if waiting is None:
        db.session.flush()
    return promoted


def apply_change(
    event: Event,
    registration: Registration,
    items: list[ProgrammeItem],
    seats: Seats,
    notify: Notify,
) -> None:
    """The rule of a change of workshops (the participant's page and the import): a
    confirmed person keeps their place only if every new workshop has a seat (else
    RegistrationRefused names the full ones, and ``seats`` is left as it was); a waitlisted
    person keeps their rank and is confirmed as soon as the new picks fit."""
    if registration.status == RegistrationStatus.CANCELLED:
        raise RegistrationRefused(
            {"form": _l("Cette inscription est annulée : elle ne peut plus changer.")}
        )
    old_ids = [choice.item_id for choice in registration.choices]
    if registration.status == RegistrationStatus.CONFIRMED:
        after = seats.taken.copy()
        after.release(old_ids)
        full = {item.id for item in full_items(event, items, after)}
        if full:
            errors = {
                name: _l("Cet atelier est complet.")
                for name, block in choice_fields(event)
                for item in block.workshops
                if item.id in full
            }
            raise RegistrationRefused(errors)
        after.take(item.id for item in items)
        seats.taken = after
    kept = {choice.item_id: choice for choice in registration.choices}
    registration.choices = [kept.get(item.id) or RegistrationChoice(item=item) for item in items]
    notify("changed", registration)
    promote_waitlist(event, seats.taken, waiting=seats.waiting, notify=notify)
