"""The optimal allocation: exact (``scipy.optimize.milp`` and ``linprog``, HiGHS) on counts,
then the counts split into individual schedules.

By default the model counts people per ranking profile and theme combination
(:mod:`eventapp.allocation.combinations`), solved in lexicographic stages (the most seated,
then the least Σ rank², then ties by registration order: :mod:`eventapp.allocation.staged`).
When the themes make too many combinations, it counts them per profile and workshop instead
(``_Model`` here), in one MILP: for a profile p with s_p people seated, y[p, w] people of p sit
in workshop w, with

* Σ_{w in round r} y[p, w] = s_p for every round r (one workshop a round),
* Σ_{w of theme t} y[p, w] ≤ s_p for every theme t (a theme at most once per person),
* Σ_p y[p, w] ≤ capacity(w) and Σ_p s_p ≤ the event's capacity.

By König's edge-colouring theorem, a rounds × themes count matrix whose rows sum to s and
whose columns sum to at most s splits into s schedules of distinct themes, so these counts are
exactly the allocations of people (:func:`_split_profile` does the split). The objective is the
contract's; ties go by registration order: within a profile the earliest registrants are seated
and get the cheapest schedules; across profiles a second solve keeps the optimal objective and
maximises Σ (N − position) over the seated, which seats the earliest registrants whenever only
a count limits them (the event's capacity, one full workshop).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp

from eventapp.allocation import staged
from eventapp.allocation.combinations import too_many
from eventapp.allocation.problem import AllocationInputError, Problem, Registrant
from eventapp.allocation.result import FIRST_COME, OPTIMAL, Allocation, summarise

#: HiGHS's status codes (scipy.optimize.milp) in words.
_STATUS = {0: OPTIMAL, 1: "time limit", 2: "infeasible", 3: "unbounded", 4: "solver error"}


@dataclass
class _Profile:
    ranking: tuple[str, ...]
    pins: tuple[int, ...]
    members: list[Registrant] = field(default_factory=list)


def _profiles(problem: Problem) -> list[_Profile]:
    """Registrants grouped by (ranking, pins), each group in registration order."""
    groups: dict[tuple, _Profile] = {}
    for person in problem.registrants:  # already in registration order
        pins = tuple(sorted(problem.pins.get(person.id, ())))
        key = (person.ranking, pins)
        groups.setdefault(key, _Profile(person.ranking, pins)).members.append(person)
    return list(groups.values())


def _check_pins_fit(problem: Problem) -> None:
    taken: defaultdict[int, int] = defaultdict(int)
    for workshop_ids in problem.pins.values():
        for w in workshop_ids:
            taken[w] += 1
    for w, count in taken.items():
        capacity = problem.workshop(w).capacity
        if capacity is not None and count > capacity:
            raise AllocationInputError(f"{count} people pinned to workshop {w} of {capacity} seats")
    pinned = sum(1 for ws in problem.pins.values() if ws)
    if problem.event_capacity is not None and pinned > problem.event_capacity:
        raise AllocationInputError(
            f"{pinned} people pinned, the event has {problem.event_capacity}"
        )


class _Model:
    """The arrays of the aggregated MILP."""

    def __init__(self, problem: Problem, profiles: list[_Profile], tie_break: bool) -> None:
        self.problem = problem
        self.tie_break = tie_break
        self.profiles = profiles
        self.workshops = [w for r in problem.rounds for w in r]
        themes = problem.themes
        theme_index = {t: i for i, t in enumerate(themes)}
        self.round_of = np.array([problem.round_of(w.id) for w in self.workshops], dtype=np.int64)
        self.theme_of = np.array([theme_index[w.theme] for w in self.workshops], dtype=np.int64)
        self.sizes = np.array([len(p.members) for p in profiles], dtype=np.int64)
        unranked = problem.ranks_asked + 1
        ranks = np.full((len(profiles), len(themes)), unranked, dtype=np.int64)
        for i, profile in enumerate(profiles):
            for position, theme in enumerate(profile.ranking):
                ranks[i, theme_index[theme]] = position + 1
        self.ranks = ranks
        self.costs = ranks[:, self.theme_of] ** 2  # profiles × workshops
        self.n_y = len(profiles) * len(self.workshops)
        # With the tie-break, one more 0/1 variable per registrant: seated or not.
        self.n_vars = self.n_y + len(profiles) + (len(problem.registrants) if tie_break else 0)

    def s(self, p: np.ndarray | int) -> np.ndarray | int:
        return self.n_y + p

    def y(self, p: np.ndarray | int, j: np.ndarray | int) -> np.ndarray | int:
        return p * len(self.workshops) + j

    def objective(self) -> np.ndarray:
        """The contract's objective, less its constant N·penalty."""
        c = np.zeros(self.n_vars)
        c[: self.n_y] = self.costs.ravel()
        c[self.n_y : self.n_y + len(self.profiles)] = -self.problem.penalty
        return c

    def tie_objective(self) -> np.ndarray:
        """Maximise Σ (N − position) over the seated registrants."""
        c = np.zeros(self.n_vars)
        n = len(self.problem.registrants)
        c[self.n_y + len(self.profiles) :] = -(n - np.arange(n))
        return c

    def tie_constraints(self, best: float) -> list[LinearConstraint]:
        """Keep the objective at its optimum; link each profile's count to its people."""
        position = {r.id: i for i, r in enumerate(self.problem.registrants)}
        first_x = self.n_y + len(self.profiles)
        rows, cols, values = [], [], []
        for p, profile in enumerate(self.profiles):
            rows.append(p)
            cols.append(self.s(p))
            values.append(-1.0)
            for person in profile.members:
                rows.append(p)
                cols.append(first_x + position[person.id])
                values.append(1.0)
        objective = self.objective()
        keep = LinearConstraint(objective.reshape(1, -1), -np.inf, best)
        link = self._rows(
            np.array(rows), np.array(cols), np.array(values), len(self.profiles), 0, 0
        )
        return [keep, link]

    def seated(self, counts: np.ndarray) -> int:
        return int(counts[self.n_y : self.n_y + len(self.profiles)].sum())

    def schedules(self, counts: np.ndarray) -> dict[int, list[tuple[int, ...]]]:
        """Per profile, the schedules of its seated people, cheapest first."""
        result = {}
        for p in range(len(self.profiles)):
            people = int(counts[self.n_y + p])
            if people:
                y = counts[self.y(p, 0) : self.y(p, len(self.workshops))]
                result[p] = _split_profile(self, p, people, y)
        return result

    def bounds(self) -> Bounds:
        upper = np.empty(self.n_vars)
        lower = np.zeros(self.n_vars)
        upper[: self.n_y] = np.repeat(self.sizes, len(self.workshops))
        upper[self.n_y : self.n_y + len(self.profiles)] = self.sizes
        upper[self.n_y + len(self.profiles) :] = 1
        index = {w.id: j for j, w in enumerate(self.workshops)}
        for p, profile in enumerate(self.profiles):
            if not profile.pins:
                continue
            size = len(profile.members)
            lower[self.s(p)] = size  # pinned people are always seated
            for w in profile.pins:
                j = index[w]
                same_round = np.flatnonzero(self.round_of == self.round_of[j])
                upper[self.y(p, same_round)] = 0
                lower[self.y(p, j)] = upper[self.y(p, j)] = size
        return Bounds(lower, upper)

    def constraints(self) -> list[LinearConstraint]:
        n_profiles, n_workshops = len(self.profiles), len(self.workshops)
        n_rounds = len(self.problem.rounds)
        p_of = np.repeat(np.arange(n_profiles), n_workshops)
        j_of = np.tile(np.arange(n_workshops), n_profiles)
        y_cols = self.y(p_of, j_of)
        profiles = np.arange(n_profiles)
        result = []
        # One workshop a round: Σ_{w in r} y[p, w] − s_p = 0.
        rows = np.concatenate(
            [
                p_of * n_rounds + self.round_of[j_of],
                np.repeat(profiles, n_rounds) * n_rounds + np.tile(np.arange(n_rounds), n_profiles),
            ]
        )
        cols = np.concatenate([y_cols, np.repeat(self.s(profiles), n_rounds)])
        values = np.concatenate([np.ones(len(y_cols)), -np.ones(n_profiles * n_rounds)])
        if n_rounds:
            result.append(self._rows(rows, cols, values, n_profiles * n_rounds, 0, 0))
        # A theme at most once: Σ_{w of t} y[p, w] − s_p ≤ 0, for themes offered in several rounds.
        rounds_per_theme = [
            len(set(self.round_of[self.theme_of == t])) for t in range(self.ranks.shape[1])
        ]
        repeated = [t for t, count in enumerate(rounds_per_theme) if count > 1]
        if repeated:
            slot = {t: i for i, t in enumerate(repeated)}
            mask = np.isin(self.theme_of[j_of], repeated)
            local = np.array([slot.get(int(t), -1) for t in self.theme_of])[j_of[mask]]
            n_rep = len(repeated)
            rows = np.concatenate(
                [
                    p_of[mask] * n_rep + local,
                    np.repeat(profiles, n_rep) * n_rep + np.tile(np.arange(n_rep), n_profiles),
                ]
            )
            cols = np.concatenate([y_cols[mask], np.repeat(self.s(profiles), n_rep)])
            values = np.concatenate([np.ones(int(mask.sum())), -np.ones(n_profiles * n_rep)])
            result.append(self._rows(rows, cols, values, n_profiles * n_rep, -np.inf, 0))
        # Workshop capacities.
        capped = [j for j, w in enumerate(self.workshops) if w.capacity is not None]
        if capped:
            slot = np.full(n_workshops, -1)
            slot[capped] = np.arange(len(capped))
            mask = slot[j_of] >= 0
            caps = np.array([self.workshops[j].capacity for j in capped], dtype=float)
            result.append(
                self._rows(
                    slot[j_of[mask]],
                    y_cols[mask],
                    np.ones(int(mask.sum())),
                    len(capped),
                    -np.inf,
                    caps,
                )
            )
        # The event's capacity.
        if self.problem.event_capacity is not None:
            result.append(
                self._rows(
                    np.zeros(n_profiles, dtype=np.int64),
                    self.s(profiles),
                    np.ones(n_profiles),
                    1,
                    -np.inf,
                    self.problem.event_capacity,
                )
            )
        return result

    def _rows(self, rows, cols, values, n_rows, lower, upper) -> LinearConstraint:
        matrix = sparse.csr_array((values, (rows, cols)), shape=(n_rows, self.n_vars))
        return LinearConstraint(matrix, lower, upper)


def _solve(model: _Model, c: np.ndarray, constraints: list[LinearConstraint], time_limit: float):
    """One MILP of the per-profile model."""
    return milp(
        c,
        constraints=constraints,
        integrality=np.ones(model.n_vars),
        bounds=model.bounds(),
        options={"mip_rel_gap": 0.0, "time_limit": time_limit, "disp": False},
    )


def allocate(problem: Problem, *, time_limit: float = 60.0, model: str | None = None) -> Allocation:
    """The allocation of ``problem`` that is optimal for the contract's objective, ties by
    registration order. Raises :class:`AllocationInputError` when the pins cannot all be
    honoured. The result says whether optimality was proven (``status``, ``mip_gap``).
    ``model`` picks the formulation (``"combinations"`` or ``"profiles"``; by default the
    first unless the themes make too many combinations)."""
    started = time.perf_counter()
    _check_pins_fit(problem)
    if not problem.registrants:
        return summarise(problem, {}, status=OPTIMAL, mip_gap=0.0, seconds=0.0)
    profiles = _profiles(problem)
    if model is None:
        model = "profiles" if too_many(problem) else "combinations"
    if model == "combinations":
        deadline = started + time_limit
        combination_model, outcome = staged.solve(problem, profiles, deadline)
        status = _STATUS.get(outcome.status, "solver error")
        if outcome.counts is None:
            return summarise(
                problem, {}, status=status, mip_gap=None, seconds=time.perf_counter() - started
            )
        return _seat(
            problem,
            profiles,
            combination_model.schedules(outcome.counts),
            status=status,
            gap=outcome.gap,
            started=started,
        )
    first_model = _Model(problem, profiles, tie_break=False)
    constraints = first_model.constraints()
    first = _solve(first_model, first_model.objective(), constraints, time_limit)
    if first.status == 2:
        raise AllocationInputError("the pinned registrants cannot all be seated")
    status = _STATUS.get(first.status, "solver error")
    if first.x is None:
        return summarise(
            problem, {}, status=status, mip_gap=None, seconds=time.perf_counter() - started
        )
    gap = float(first.mip_gap or 0.0)
    counts = np.rint(first.x).astype(np.int64)
    seated = first_model.seated(counts)
    if status == OPTIMAL and 0 < seated < len(problem.registrants):
        # Some wait: among the optimal allocations, seat the earliest registrants.
        best = float(np.rint(first.fun))
        tie_model = _Model(problem, profiles, tie_break=True)
        second = _solve(
            tie_model,
            tie_model.tie_objective(),
            tie_model.constraints() + tie_model.tie_constraints(best),
            time_limit,
        )
        if second.x is not None:
            counts = np.rint(second.x).astype(np.int64)[: first_model.n_vars]
            status = _STATUS.get(second.status, "solver error")
            gap = max(gap, float(second.mip_gap or 0.0))
    return _seat(
        problem, profiles, first_model.schedules(counts), status=status, gap=gap, started=started
    )


def _seat(
    problem: Problem,
    profiles: list[_Profile],
    schedules: dict[int, list[tuple[int, ...]]],
    *,
    status: str,
    gap: float,
    started: float,
) -> Allocation:
    """Each profile's schedules to its earliest members, cheapest first."""
    assignment: dict[int, tuple[int, ...]] = {}
    for p, chosen in schedules.items():
        for person, workshops in zip(profiles[p].members, chosen, strict=False):
            assignment[person.id] = workshops
    return summarise(
        problem, assignment, status=status, mip_gap=gap, seconds=time.perf_counter() - started
    )


def _split_profile(model: _Model, p: int, people: int, y: np.ndarray) -> list[tuple[int, ...]]:
    """Split profile ``p``'s counts (``people`` seated, ``y`` per workshop) into one schedule
    per person, cheapest first: each step takes the cheapest assignment of rounds to themes
    that keeps the remainder splittable (it covers every theme still needed by all), as many
    times as it stays so."""
    n_rounds, n_themes = len(model.problem.rounds), model.ranks.shape[1]
    matrix = np.zeros((n_rounds, n_themes), dtype=np.int64)
    np.add.at(matrix, (model.round_of, model.theme_of), y)
    seats: dict[tuple[int, int], list[int]] = defaultdict(list)  # (round, theme) → workshop ids
    for j in np.flatnonzero(y):
        seats[(int(model.round_of[j]), int(model.theme_of[j]))].extend(
            [model.workshops[j].id] * int(y[j])
        )
    cost = model.ranks[p] ** 2
    must = n_rounds * int(cost.max()) + 1  # covering a needed theme outweighs any cost
    forbidden = (n_themes + 1) * must
    schedules: list[tuple[int, ...]] = []
    remaining = people
    while remaining:
        column = matrix.sum(axis=0)
        needed = column == remaining
        weights = np.where(matrix > 0, cost[None, :] - must * needed[None, :], forbidden)
        rounds, themes = linear_sum_assignment(weights)
        if (matrix[rounds, themes] <= 0).any() or not needed[themes].sum() == needed.sum():
            raise RuntimeError("counts that do not split into schedules")  # cannot happen
        unused = np.ones(n_themes, dtype=bool)
        unused[themes] = False
        times = min(
            int(matrix[rounds, themes].min()),
            int((remaining - column[unused]).min(initial=remaining)),
        )
        matrix[rounds, themes] -= times
        remaining -= times
        for _ in range(times):
            schedules.append(
                tuple(seats[(int(r), int(t))].pop() for r, t in zip(rounds, themes, strict=True))
            )
    return schedules


def first_come(problem: Problem) -> Allocation:
    """First come, first served on the same people: pinned people first, then everyone in
    registration order takes the best combination of workshops still free (fewest Σ rank²),
    or waits."""
    started = time.perf_counter()
    _check_pins_fit(problem)
    themes = problem.themes
    theme_index = {t: i for i, t in enumerate(themes)}
    n_rounds, n_themes = len(problem.rounds), len(themes)
    taken: defaultdict[int, int] = defaultdict(int)
    assignment: dict[int, tuple[int, ...]] = {}
    pinned = [r for r in problem.registrants if problem.pins.get(r.id)]
    others = [r for r in problem.registrants if not problem.pins.get(r.id)]
    for person in pinned + others:
        if problem.event_capacity is not None and len(assignment) >= problem.event_capacity:
            break
        schedule = _best_free(problem, person, taken, theme_index, n_rounds, n_themes)
        if schedule is not None:
            assignment[person.id] = schedule
            for w in schedule:
                taken[w] += 1
    return summarise(
        problem, assignment, status=FIRST_COME, mip_gap=None, seconds=time.perf_counter() - started
    )


def _best_free(
    problem: Problem, person: Registrant, taken, theme_index, n_rounds, n_themes
) -> tuple[int, ...] | None:
    if n_rounds == 0:
        return ()
    if n_rounds > n_themes:
        return None
    pins = {problem.round_of(w): w for w in problem.pins.get(person.id, ())}
    free: dict[tuple[int, int], int] = {}
    for r, workshops in enumerate(problem.rounds):
        for w in workshops:
            if r in pins and pins[r] != w.id:
                continue
            if w.capacity is None or taken[w.id] < w.capacity or pins.get(r) == w.id:
                free.setdefault((r, theme_index[w.theme]), w.id)
    forbidden = n_rounds * (problem.ranks_asked + 1) ** 2 + 1
    weights = np.full((n_rounds, n_themes), forbidden, dtype=np.int64)
    for (r, t), _ in free.items():
        weights[r, t] = problem.rank(person, problem.themes[t]) ** 2
    rounds, chosen = linear_sum_assignment(weights)
    if any((r, t) not in free for r, t in zip(rounds, chosen, strict=True)):
        return None
    return tuple(free[(int(r), int(t))] for r, t in zip(rounds, chosen, strict=True))
