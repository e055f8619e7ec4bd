"""What an allocation means for people, not seats: how many got their first choice, and how
many have every workshop within their top choices (the figures organisers read beside the
seats given at each rank)."""

from __future__ import annotations

from dataclasses import dataclass

from eventapp.allocation.problem import Problem
from eventapp.allocation.result import Allocation


@dataclass(frozen=True)
class PeopleFigures:
    """``seated``: people seated. ``first_choice``: people one of whose workshops is their
    1st choice. ``within``: for each n from the number of rounds (the best anyone can do,
    at least 2) up to k, the people whose every workshop is among their n first choices.
    ``outside``: people with a workshop among none of their ranked choices."""

    seated: int
    first_choice: int
    within: dict[int, int]
    outside: int


def people_figures(problem: Problem, allocation: Allocation) -> PeopleFigures:
    worst: list[int] = []
    first = 0
    registrants = {person.id: person for person in problem.registrants}
    for person_id, workshops in allocation.assignment.items():
        person = registrants[person_id]
        ranks = [problem.rank(person, problem.workshop(w).theme) for w in workshops]
        if not ranks:
            continue
        worst.append(max(ranks))
        first += 1 in ranks
    k = problem.ranks_asked
    start = max(2, len(problem.rounds))
    highest = min(k, max(worst, default=0))
    within = {n: sum(1 for w in worst if w <= n) for n in range(start, highest + 1)}
    return PeopleFigures(
        seated=len(allocation.assignment),
        first_choice=first,
        within=within,
        outside=sum(1 for w in worst if w > k),
    )
