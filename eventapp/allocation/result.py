"""What an allocation gives back: who sits where, who waits, and the figures organisers read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from eventapp.allocation.problem import Problem

OPTIMAL = "optimal"
FIRST_COME = "first-come"


@dataclass(frozen=True)
class Allocation:
    """``assignment`` maps each seated registrant id to their workshop ids, one a round in
    round order; ``waitlist`` the others in registration order. ``rank_counts`` counts the
    seats given at each rank (1 = a first choice), ``fill`` the seats taken per workshop.
    ``status`` is ``"optimal"`` when the solver proved it (``mip_gap`` 0), ``"first-come"``
    for the first come, first served simulation, else the solver's word."""

    assignment: Mapping[int, tuple[int, ...]]
    waitlist: tuple[int, ...]
    objective: int
    rank_counts: Mapping[int, int]
    worst_rank: int | None
    fill: Mapping[int, int]
    status: str
    mip_gap: float | None
    seconds: float

    @property
    def proven_optimal(self) -> bool:
        return self.status == OPTIMAL and self.mip_gap == 0

    @property
    def seated(self) -> int:
        return len(self.assignment)


def summarise(
    problem: Problem,
    assignment: Mapping[int, Sequence[int]],
    *,
    status: str,
    mip_gap: float | None,
    seconds: float,
) -> Allocation:
    """The result object for an assignment of ``problem``'s registrants."""
    seats = {person: tuple(workshops) for person, workshops in assignment.items()}
    ranks: Counter[int] = Counter()
    fill: Counter[int] = Counter({w.id: 0 for r in problem.rounds for w in r})
    for person in problem.registrants:
        for workshop_id in seats.get(person.id, ()):
            ranks[problem.rank(person, problem.workshop(workshop_id).theme)] += 1
            fill[workshop_id] += 1
    return Allocation(
        assignment=seats,
        waitlist=tuple(r.id for r in problem.registrants if r.id not in seats),
        objective=problem.objective(seats),
        rank_counts=dict(sorted(ranks.items())),
        worst_rank=max(ranks) if ranks else None,
        fill=dict(fill),
        status=status,
        mip_gap=mip_gap,
        seconds=seconds,
    )
