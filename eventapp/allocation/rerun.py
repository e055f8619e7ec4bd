"""A full re-run of the allocation, on an organiser's request: everyone who ranked the themes
(seated, waitlisted or pending) allocated again, optimally for the contract's objective.

Unlike :func:`eventapp.allocation.seating.run`, which seats only the pending people on the
seats left, a full re-run may move people already seated, but only when that improves the
objective:

* the allocation that keeps everyone seated where they are and allocates the others on the
  seats left is computed too; when the full optimum is not strictly better, it is the one
  applied, and nobody moves;
* people already seated come first in the tie-break (then the waitlisted by their place in
  the line, then the pending by registration order), so that they keep a seat whenever only
  a count decides;
* among the optimal allocations that seat the same people, the one applied keeps as many
  people as possible in their current workshops (:func:`eventapp.allocation.moves.fewest_moves`,
  exact while the schedules are few enough; else people of the same ranking swap schedules
  so that each keeps their own whenever the optimum gives it to one of them).

Pins are kept. Mails: a seated person whose workshops changed gets one ``changed`` mail
(their new workshops and the updated invitation; the CANCEL of the workshops dropped goes
with it, as for any change of workshops), a waitlisted person now seated a ``promoted``
one, the pending the usual ``confirmed`` / ``waitlisted``; nobody else hears anything. Should
capacities have been lowered below the seats given, a seated person may lose their seat:
a ``waitlisted`` mail and the CANCEL of their workshops.
"""

from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventapp.allocation.moves import fewest_moves
from eventapp.allocation.problem import Problem
from eventapp.allocation.result import Allocation, summarise
from eventapp.allocation.seating import (
    Run,
    build_problem,
    impossible_refused,
    people_under_lock,
    refuse_first_come,
)
from eventapp.allocation.solver import allocate, first_come
from eventapp.calendar.notify import queue_withdrawn
from eventapp.extensions import db
from eventapp.models import (
    Event,
    Registration,
    RegistrationChoice,
    RegistrationStatus,
)
from eventapp.models.types import utcnow
from eventapp.registration import mails
from eventapp.registration.rules import seats_taken
from eventapp.registration.seating import next_rank_in

_STATUS_ORDER = {
    RegistrationStatus.CONFIRMED: 0,
    RegistrationStatus.WAITLISTED: 1,
    RegistrationStatus.PENDING: 2,
}


def everyone_ranked(event: Event) -> list[Registration]:
    """Everyone of the event who ranked the themes and is not cancelled, in the full
    re-run's order: the seated, then the waiting line, then the pending, each in
    registration order (the waiting line in its own)."""
    people = db.session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.preferences.is_not(None),
            Registration.status.in_(tuple(_STATUS_ORDER)),
        )
        .options(selectinload(Registration.choices))
        .order_by(Registration.created_at, Registration.id)
    ).all()
    return sorted(
        people,
        key=lambda p: (
            _STATUS_ORDER[p.status],
            p.waitlist_rank if p.status == RegistrationStatus.WAITLISTED else 0,
        ),
    )


def _current(problem: Problem, person: Registration) -> tuple[int, ...] | None:
    """The person's workshops in round order when they are seated in one workshop of every
    round of ``problem``; else None."""
    if person.status != RegistrationStatus.CONFIRMED:
        return None
    by_round: dict[int, int] = {}
    for choice in person.choices:
        try:
            by_round[problem.round_of(choice.item_id)] = choice.item_id
        except KeyError:
            return None
    if sorted(by_round) != list(range(len(problem.rounds))) or len(person.choices) != len(by_round):
        return None
    return tuple(by_round[r] for r in range(len(problem.rounds)))


def _fits(problem: Problem, assignment: dict[int, tuple[int, ...]]) -> bool:
    if problem.event_capacity is not None and len(assignment) > problem.event_capacity:
        return False
    fill: defaultdict[int, int] = defaultdict(int)
    for workshops in assignment.values():
        for w in workshops:
            fill[w] += 1
    return all(w.capacity is None or fill[w.id] <= w.capacity for r in problem.rounds for w in r)


def _kept(
    event: Event,
    problem: Problem,
    people: list[Registration],
    current: dict[int, tuple[int, ...]],
    taken,
) -> dict[int, tuple[int, ...]] | None:
    """Everyone seated kept where they are, the others allocated on the seats left; None
    when the seated do not fit the capacities as they are now."""
    if not _fits(problem, current):
        return None
    others = [p for p in people if p.id not in current]
    after = taken.copy()
    for person in people:
        if person.id in current:
            after.take(current[person.id])
    rest = build_problem(event, others, taken=after)
    assignment = dict(current)
    assignment.update(allocate(rest).assignment)
    return assignment


def rerun(event: Event, *, dry_run: bool = False) -> Run:
    """Allocates everyone who ranked the themes again (see the module's text) and, unless
    ``dry_run``, applies it in one unit of work with one mail to each person concerned.
    Refused on a first-come event or when nobody ranked the themes."""
    refuse_first_come(event)
    nobody = _l("personne n'a classé les thèmes de « %(slug)s »", slug=event.slug)
    try:
        people = people_under_lock(event, everyone_ranked, nobody)
        taken = seats_taken(event.id)
        for person in people:  # their seats are allocated again
            if person.status == RegistrationStatus.CONFIRMED:
                taken.release(choice.item_id for choice in person.choices)
        with impossible_refused():
            problem = build_problem(event, people, taken=taken)
            current = {
                person.id: schedule
                for person in people
                if (schedule := _current(problem, person)) is not None
            }
            optimal = allocate(problem)
            kept = _kept(event, problem, people, current, taken)
            compared = first_come(problem)
        if kept is not None and problem.objective(kept) <= optimal.objective:
            assignment = kept
        else:
            assignment = fewest_moves(problem, optimal.assignment, current)
        chosen = summarise(
            problem,
            assignment,
            status=optimal.status,
            mip_gap=optimal.mip_gap,
            seconds=optimal.seconds,
        )
        moved = sum(
            1
            for person in people
            if person.status == RegistrationStatus.CONFIRMED
            and _schedule_of(person) != frozenset(assignment.get(person.id, ()))
        )
        promoted = sum(
            1
            for person in people
            if person.status == RegistrationStatus.WAITLISTED and person.id in assignment
        )
        done = Run(
            problem, chosen, compared, applied=False, full=True, moved=moved, promoted=promoted
        )
        if dry_run:
            db.session.rollback()
            return done
        _apply(event, people, chosen)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    done.applied = True
    return done


def _schedule_of(person: Registration) -> frozenset[int]:
    return frozenset(choice.item_id for choice in person.choices)


def _apply(event: Event, people: list[Registration], allocation: Allocation) -> None:
    now = utcnow()
    rank = next_rank_in(event.id)
    queued: list[tuple[str, Registration]] = []
    dropped: list[tuple[Registration, list[int]]] = []
    for person in sorted(people, key=lambda p: (p.created_at, p.id)):
        workshops = allocation.assignment.get(person.id)
        before = person.status
        if workshops is None:
            if before == RegistrationStatus.WAITLISTED:
                continue  # still waiting, at the same place in the line
            if before == RegistrationStatus.CONFIRMED:  # capacities lowered since
                dropped.append((person, sorted(_schedule_of(person))))
            person.status = RegistrationStatus.WAITLISTED
            person.waitlist_rank = rank
            person.choices = []
            rank += 1
            queued.append(("waitlisted", person))
            continue
        if before == RegistrationStatus.CONFIRMED and _schedule_of(person) == frozenset(workshops):
            continue  # unchanged: nothing to say
        kept = {choice.item_id: choice for choice in person.choices}
        person.choices = [kept.get(w) or RegistrationChoice(item_id=w) for w in workshops]
        person.waitlist_rank = None
        if before != RegistrationStatus.CONFIRMED:
            person.status = RegistrationStatus.CONFIRMED
            person.confirmed_at = now
        kind = {
            RegistrationStatus.CONFIRMED: "changed",
            RegistrationStatus.WAITLISTED: "promoted",
        }.get(before, "confirmed")
        queued.append((kind, person))
    db.session.flush()
    for kind, person in queued:
        mails.enqueue(kind, person)
    for person, item_ids in dropped:  # their calendar: the CANCEL of the workshops lost
        if person.confirm_token is None:  # as every calendar message (mails.enqueue)
            queue_withdrawn(person, item_ids)
