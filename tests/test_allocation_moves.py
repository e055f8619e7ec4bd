"""A full re-run moves the fewest people: among the allocations that seat the same people at
the optimal objective, fewest_moves keeps the most people in their current schedule (checked
against brute force on small random instances)."""

from __future__ import annotations

import random
from collections import Counter
from itertools import product

from eventapp.allocation import Problem, Registrant, Workshop, allocate
from eventapp.allocation.moves import _schedules, fewest_moves, keep_within_profiles

THEMES = ("a", "b", "c")


def _instance(seed: int) -> tuple[Problem, dict[int, tuple[int, ...]]]:
    rng = random.Random(seed)
    rounds = [
        [Workshop(r * 10 + i, t, rng.choice((1, 2, 2))) for i, t in enumerate(THEMES)]
        for r in range(2)
    ]
    people = [Registrant(n, n, tuple(rng.sample(THEMES, rng.choice((1, 2, 3))))) for n in range(5)]
    problem = Problem.build(rounds, people, k=3)
    schedules = _schedules(problem)
    current = {p.id: rng.choice(schedules) for p in people if rng.random() < 0.8}
    return problem, current


def _fits(problem: Problem, assignment) -> bool:
    fill = Counter(w for s in assignment.values() for w in s)
    return all(w.capacity is None or fill[w.id] <= w.capacity for r in problem.rounds for w in r)


def _stays(assignment, current) -> int:
    return sum(1 for p, s in assignment.items() if current.get(p) == s)


def _brute_force(problem: Problem, seated: list[int], best: int, current) -> int:
    schedules = _schedules(problem)
    by_id = {p.id: p for p in problem.registrants}
    most = -1
    for combination in product(schedules, repeat=len(seated)):
        assignment = dict(zip(seated, combination, strict=True))
        if not _fits(problem, assignment):
            continue
        if sum(problem.cost(by_id[p], s) for p, s in assignment.items()) > best:
            continue
        most = max(most, _stays(assignment, current))
    return most


def test_fewest_moves_keeps_as_many_as_brute_force() -> None:
    better_than_swaps = 0
    for seed in range(40):
        problem, current = _instance(seed)
        optimal = allocate(problem)
        seated = sorted(optimal.assignment)
        by_id = {p.id: p for p in problem.registrants}
        best = sum(problem.cost(by_id[p], s) for p, s in optimal.assignment.items())
        chosen = fewest_moves(problem, optimal.assignment, current)
        assert sorted(chosen) == seated, seed  # the same people seated
        assert _fits(problem, chosen), seed
        assert problem.objective(chosen) == optimal.objective, seed
        assert _stays(chosen, current) == _brute_force(problem, seated, best, current), seed
        swaps = keep_within_profiles(problem, optimal.assignment, current)
        better_than_swaps += _stays(chosen, current) > _stays(swaps, current)
    # Swapping only among people of one ranking is not enough: the exact model does better.
    assert better_than_swaps > 0
