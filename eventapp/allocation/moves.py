"""Among the optimal allocations, one that moves the fewest people already seated (a full
re-run, :mod:`eventapp.allocation.rerun`). Pure functions, no Flask, no database.

Given an optimal assignment and everyone's current schedule, :func:`fewest_moves` keeps the
same people seated and the same objective, and maximises the number of people who keep
their current schedule: an exact MILP (``scipy.optimize.milp``, HiGHS) on counts of
interchangeable people (same ranking, pins and current schedule) per schedule (one workshop
a round, a different theme in each). The schedules are enumerated, so it is used when they
are few enough (:data:`MAX_VARIABLES`); else :func:`keep_within_profiles` only swaps
schedules among people of the same ranking.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import product
from math import prod

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from eventapp.allocation.problem import Problem

Schedule = tuple[int, ...]

#: Above this many (group × schedule) variables, the exact model is not built.
MAX_VARIABLES = 20_000
#: Above this many combinations of one workshop a round, the schedules are not enumerated.
MAX_COMBINATIONS = 50_000


def _schedules(problem: Problem) -> list[Schedule]:
    """Every schedule: one workshop with seats a round, a different theme in each."""
    rounds = [[w for w in r if w.capacity is None or w.capacity > 0] for r in problem.rounds]
    found = []
    for combination in product(*rounds):
        if len({w.theme for w in combination}) == len(combination):
            found.append(tuple(w.id for w in combination))
    return found


def keep_within_profiles(
    problem: Problem,
    assignment: Mapping[int, Schedule],
    current: Mapping[int, Schedule],
) -> dict[int, Schedule]:
    """The same schedules handed out again inside each group of interchangeable people
    (same ranking, same pins): first to those already seated in that very schedule, then
    the others in the problem's order. The objective does not change."""
    groups: dict[tuple, list] = {}
    for person in problem.registrants:
        pins = tuple(sorted(problem.pins.get(person.id, ())))
        groups.setdefault((person.ranking, pins), []).append(person)
    result: dict[int, Schedule] = {}
    for members in groups.values():
        slots = [assignment[m.id] for m in members if m.id in assignment]
        left = []
        for member in members:
            mine = current.get(member.id)
            if mine is not None and mine in slots:
                slots.remove(mine)
                result[member.id] = mine
            else:
                left.append(member)
        for member, schedule in zip(left, slots, strict=False):
            result[member.id] = schedule
    return result


def fewest_moves(
    problem: Problem,
    assignment: Mapping[int, Schedule],
    current: Mapping[int, Schedule],
    *,
    time_limit: float = 5.0,
) -> dict[int, Schedule]:
    """An assignment with the same people seated, an objective no worse than
    ``assignment``'s, within every capacity, in which as many people as possible keep their
    ``current`` schedule (round order). Falls back to :func:`keep_within_profiles` when the
    model would be too large or the solver proves nothing."""
    fallback = keep_within_profiles(problem, assignment, current)
    if prod(len(r) for r in problem.rounds) > MAX_COMBINATIONS:
        return fallback
    schedules = _schedules(problem)
    seated = [p for p in problem.registrants if p.id in assignment]
    groups: dict[tuple, list] = {}
    for person in seated:
        pins = tuple(sorted(problem.pins.get(person.id, ())))
        mine = current.get(person.id)
        groups.setdefault((person.ranking, pins, mine), []).append(person)
    keys = list(groups)
    if not keys or not schedules or len(keys) * len(schedules) > MAX_VARIABLES:
        return fallback
    index = {s: j for j, s in enumerate(schedules)}
    if any(s not in index for s in assignment.values()):
        return fallback
    n_s = len(schedules)
    n = len(keys) * n_s
    cost = np.zeros(n)
    allowed = np.ones(n)
    stay = np.zeros(n)
    for g, (_ranking, pins, mine) in enumerate(keys):
        person = groups[keys[g]][0]
        for j, s in enumerate(schedules):
            cost[g * n_s + j] = problem.cost(person, s)
            if pins and not set(pins) <= set(s):
                allowed[g * n_s + j] = 0
        if mine is not None and mine in index:
            stay[g * n_s + index[mine]] = 1
    rows, cols, vals, lower, upper = [], [], [], [], []
    row = 0
    for g in range(len(keys)):  # each group keeps its number of seated people
        for j in range(n_s):
            rows.append(row)
            cols.append(g * n_s + j)
            vals.append(1.0)
        size = len(groups[keys[g]])
        lower.append(size)
        upper.append(size)
        row += 1
    workshop_rows: dict[int, int] = {}
    for r in problem.rounds:
        for w in r:
            if w.capacity is not None:
                workshop_rows[w.id] = row
                lower.append(0)
                upper.append(w.capacity)
                row += 1
    for g in range(len(keys)):
        for j, s in enumerate(schedules):
            for w in s:
                if w in workshop_rows:
                    rows.append(workshop_rows[w])
                    cols.append(g * n_s + j)
                    vals.append(1.0)
    matrix = sparse.csr_array((vals, (rows, cols)), shape=(row, n))
    # Lexicographic in one objective: Σ cost first (a unit of cost outweighs every stay),
    # then the most people who stay. The cost's optimum is the assignment's (optimal).
    weight = len(seated) + 1
    best = sum(problem.cost(p, assignment[p.id]) for p in seated)
    result = milp(
        cost * weight - stay,
        integrality=np.ones(n),
        bounds=Bounds(np.zeros(n), allowed * len(problem.registrants)),
        constraints=[LinearConstraint(matrix, lower, upper)],
        options={"time_limit": time_limit},
    )
    if result.status != 0 or result.x is None:
        return fallback
    counts = np.rint(result.x).astype(np.int64)
    if int(np.dot(cost, counts)) > best:  # not proven: keep what is known to be optimal
        return fallback
    kept_by_fallback = sum(1 for p, s in fallback.items() if current.get(p) == s)
    if int(np.dot(stay, counts)) < kept_by_fallback:
        return fallback
    chosen: dict[int, Schedule] = {}
    for g, key in enumerate(keys):
        mine = key[2]
        members = groups[key]
        handed: list[Schedule] = []
        for j, s in enumerate(schedules):
            handed += [s] * int(counts[g * n_s + j])
        if mine is not None and mine in handed:  # the ones who stay first
            stays = handed.count(mine)
            handed = [mine] * stays + [s for s in handed if s != mine]
        for person, schedule in zip(members, handed, strict=True):
            chosen[person.id] = schedule
    return chosen
