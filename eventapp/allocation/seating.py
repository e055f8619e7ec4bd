"""The allocation applied to an event: its problem read from the database, solved by
:func:`eventapp.allocation.allocate`, and everyone pending seated at once.

Under the event's lock (:func:`eventapp.registration.locking.lock_event`): the seats already
taken (confirmed people) are counted and left where they are, so a second run seats only the
newcomers on what is left. Each person seated gets one RegistrationChoice per round and a
"confirmed" mail; the others are waitlisted at the end of the line with a "waitlisted" mail
(eventapp.registration.mails, which carry the iTIP invitation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from eventapp.allocation.preferences import ranks_asked
from eventapp.allocation.problem import (
    AllocationInputError,
    Problem,
    Registrant,
    Workshop,
    effective_capacity,
)
from eventapp.allocation.result import Allocation
from eventapp.allocation.solver import allocate, first_come
from eventapp.extensions import db
from eventapp.models import (
    Event,
    ProgrammeItem,
    Registration,
    RegistrationChoice,
    RegistrationStatus,
)
from eventapp.models.types import utcnow
from eventapp.programme import theme_key
from eventapp.registration import mails
from eventapp.registration.locking import lock_event
from eventapp.registration.rules import Taken, choice_fields, seats_taken
from eventapp.registration.seating import email_key, next_rank_in

FIRST_COME_MODE = "first-come"
PREFERENCES_MODE = "preferences"
MODES = (FIRST_COME_MODE, PREFERENCES_MODE)


class AllocationRefused(Exception):
    """The request makes no sense for this event; ``message`` says why in one line."""

    def __init__(self, message: str | LazyString) -> None:
        super().__init__(str(message))
        self.message = message


def registered_under_other_mode(event: Event, mode: str) -> int:
    """How many people (not cancelled) registered under the mode other than ``mode``: the
    event cannot switch to ``mode`` while there are any."""
    return registered_count(event, with_preferences=mode == FIRST_COME_MODE)


def registered_count(event: Event, with_preferences: bool) -> int:
    """How many people (not cancelled) registered with a ranking, or without one."""
    preferences = (
        Registration.preferences.is_not(None)
        if with_preferences
        else Registration.preferences.is_(None)
    )
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id,
            Registration.status != RegistrationStatus.CANCELLED,
            preferences,
        )
    )


def set_mode(event: Event, mode: str) -> bool:
    """Switches the event to ``mode``; False when it was already in it. Refused for an
    unknown mode, or when people are already registered under the other mode."""
    if mode not in MODES:
        raise AllocationRefused(
            _l("mode inconnu « %(mode)s » : « preferences » ou « first-come »", mode=mode)
        )
    try:
        lock_event(event.id)
        db.session.refresh(event)
        if event.allocation_mode == mode:
            db.session.commit()
            return False
        others = registered_under_other_mode(event, mode)
        if others:
            raise AllocationRefused(
                _l(
                    "%(count)s personne(s) déjà inscrite(s) dans l'autre mode : "
                    "le mode ne change pas",
                    count=others,
                )
            )
        event.allocation_mode = mode
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True


AFTER_ALLOCATION = (FIRST_COME_MODE, "pending")


def set_after_allocation(event: Event, rule: str) -> None:
    """What happens to registrations once an allocation has run: ``first-come`` (seated at
    once on the seats left, by their ranking) or ``pending`` (until the next run)."""
    if rule not in AFTER_ALLOCATION:
        raise AllocationRefused(
            _l("règle inconnue « %(rule)s » : « first-come » ou « pending »", rule=rule)
        )
    event.after_allocation = rule
    db.session.commit()


def pin(event: Event, email: str, item_ids: list[int]) -> Registration:
    """Pins the pending registration of this address to these workshops (a speaker, a
    facilitator): the allocation seats them there whatever their ranking. No ids: the pins
    are removed. Refused for an unknown address, a person not pending, a workshop not in a
    round of the event, two workshops of one round or of one theme."""
    registration = db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.email_key == email_key(email)
        )
    )
    if registration is None:
        raise AllocationRefused(
            _l("personne n'est inscrit avec l'adresse « %(email)s »", email=email)
        )
    if registration.status != RegistrationStatus.PENDING:
        raise AllocationRefused(
            _l(
                "« %(email)s » n'attend pas d'attribution : son inscription est déjà traitée",
                email=email,
            )
        )
    round_of = {
        item.id: (number, theme_key(item))
        for number, (_name, block) in enumerate(choice_fields(event))
        for item in block.workshops
    }
    rounds, themes = set(), set()
    for item_id in item_ids:
        if item_id not in round_of:
            raise AllocationRefused(_l("%(id)s n'est pas un atelier de cet événement", id=item_id))
        number, theme = round_of[item_id]
        if number in rounds or theme in themes:
            raise AllocationRefused(
                _l("un atelier par créneau et un thème différent à chaque créneau")
            )
        rounds.add(number)
        themes.add(theme)
    registration.pins = list(item_ids) or None
    db.session.commit()
    return registration


@dataclass
class Run:
    """What an allocation computed: the optimal one, first come first served on the same
    people for comparison, and whether it was applied."""

    problem: Problem
    optimal: Allocation
    first_come: Allocation
    applied: bool
    #: A full re-run (eventapp.allocation.rerun): everyone who ranked allocated again.
    full: bool = False
    #: People already seated whose workshops change (a full re-run only).
    moved: int = 0
    #: People of the waiting line who get a seat (a full re-run only).
    promoted: int = 0


def pending_registrations(event: Event) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.PENDING,
            )
            .order_by(Registration.created_at, Registration.id)
        )
    )


def build_problem(event: Event, people: list[Registration], taken: Taken | None = None) -> Problem:
    """The allocation asked for these people, in this order (the tie-break's), on the seats
    still free: each round's workshops at the smallest of their own and their room's
    capacity, minus the seats ``taken`` (by default, those confirmed people hold); the
    event's capacity minus its confirmed people."""
    taken = seats_taken(event.id) if taken is None else taken
    rounds = []
    for _name, block in choice_fields(event):
        workshops = []
        for item in block.workshops:
            capacity = effective_capacity(
                item.capacity, item.room.capacity if item.room is not None else None
            )
            if capacity is not None:
                capacity = max(0, capacity - taken.items.get(item.id, 0))
            workshops.append(Workshop(item.id, theme_key(item), capacity))
        rounds.append(workshops)
    themes = {w.theme for r in rounds for w in r}
    workshop_ids = {w.id for r in rounds for w in r}
    k = ranks_asked(event)
    registrants, pins = [], {}
    for order, person in enumerate(people):
        ranking = tuple(dict.fromkeys(key for key in person.preferences or () if key in themes))
        registrants.append(Registrant(person.id, order, ranking[:k]))
        pinned = [w for w in person.pins or () if w in workshop_ids]
        if pinned:
            pins[person.id] = pinned
    event_left = None if event.capacity is None else max(0, event.capacity - taken.event)
    return Problem.build(rounds, registrants, event_capacity=event_left, k=k, pins=pins)


def refuse_first_come(event: Event) -> None:
    """An allocation on a first-come event is refused: there is nothing to allocate."""
    if event.allocation_mode != PREFERENCES_MODE:
        raise AllocationRefused(
            _l(
                "l'événement « %(slug)s » est en mode premier arrivé, premier servi : "
                "il n'y a rien à allouer",
                slug=event.slug,
            )
        )


def people_under_lock(
    event: Event, find: Callable[[Event], list[Registration]], nobody: LazyString
) -> list[Registration]:
    """Takes the event's lock and reads, as the database has them under it, the event, the
    people ``find`` returns (refused with ``nobody`` when there are none) and the programme
    (items, rooms, themes). Called first in the unit of work of an allocation."""
    lock_event(event.id)
    db.session.refresh(event)
    people = find(event)
    if not people:
        raise AllocationRefused(nobody)
    db.session.scalars(
        select(ProgrammeItem)
        .where(ProgrammeItem.event_id == event.id)
        .options(selectinload(ProgrammeItem.room), selectinload(ProgrammeItem.theme))
        .execution_options(populate_existing=True)
    ).all()
    return people


@contextmanager
def impossible_refused() -> Iterator[None]:
    """An allocation the problem cannot hold (pins beyond the seats left, for one) is
    refused with the reason."""
    try:
        yield
    except AllocationInputError as error:
        raise AllocationRefused(
            _l("l'attribution est impossible : %(reason)s", reason=str(error))
        ) from error


def run(event: Event, *, dry_run: bool = False) -> Run:
    """Computes the optimal allocation of everyone pending and, unless ``dry_run``, seats
    them all in one unit of work: confirmed with their workshops, or waitlisted, one mail
    each. Refused on a first-come event or when nobody is pending; nothing changes then."""
    refuse_first_come(event)
    nobody = _l("personne n'attend d'allocation pour « %(slug)s »", slug=event.slug)
    try:
        people = people_under_lock(event, pending_registrations, nobody)
        with impossible_refused():
            problem = build_problem(event, people)
            optimal = allocate(problem)
            compared = first_come(problem)
        if dry_run:
            db.session.rollback()
            return Run(problem, optimal, compared, applied=False)
        _seat(event, people, optimal)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return Run(problem, optimal, compared, applied=True)


def _seat(event: Event, people: list[Registration], allocation: Allocation) -> None:
    now = utcnow()
    rank = next_rank_in(event.id)
    for person in people:  # registration order: the waiting line keeps it
        workshops = allocation.assignment.get(person.id)
        if workshops is not None:
            person.status = RegistrationStatus.CONFIRMED
            person.confirmed_at = now
            person.waitlist_rank = None
            person.choices = [RegistrationChoice(item_id=item_id) for item_id in workshops]
        else:
            person.status = RegistrationStatus.WAITLISTED
            person.waitlist_rank = rank
            rank += 1
    db.session.flush()
    for person in people:
        mails.enqueue(person.status.value, person)
