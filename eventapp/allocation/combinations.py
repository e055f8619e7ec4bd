"""The allocation model on theme combinations, small whatever the number of registrants.

A seated person's cost depends only on the set of themes received, and the capacities only on
how many people sit in each workshop. So the model has two layers of counts:

* z[p, c]: how many people of ranking profile p receive combination c (a set of R themes, plus
  the profile's pins), at the cost Σ_{t in c} rank_p(t)²;
* y[c, w]: how many of the people receiving c sit in workshop w, with, for every combination,
  Σ_{w in round r} y[c, w] = m_c for every round and Σ_{w of theme t} y[c, w] = m_c for every
  theme t of c, where m_c = Σ_p z[p, c].

A rounds × themes matrix whose rows and columns all sum to m_c splits into m_c schedules
(Birkhoff–von Neumann, König), so the counts are exactly the allocations of people.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from math import comb

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment

from eventapp.allocation.problem import AllocationInputError, Problem

#: Beyond this many combinations the per-profile model is smaller.
MAX_COMBINATIONS = 5000


class Triplets:
    """A sparse matrix built row by row."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, cols, values, lower: float, upper: float) -> None:
        cols = np.asarray(cols, dtype=np.int64)
        self.rows.append(np.full(len(cols), len(self.lower), dtype=np.int64))
        self.cols.append(cols)
        self.values.append(np.broadcast_to(np.asarray(values, dtype=float), cols.shape))
        self.lower.append(lower)
        self.upper.append(upper)

    def constraint(self, n_vars: int) -> LinearConstraint:
        matrix = sparse.csr_array(
            (np.concatenate(self.values), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(len(self.lower), n_vars),
        )
        return LinearConstraint(matrix, np.array(self.lower), np.array(self.upper))


def _fits(problem: Problem, themes: tuple[str, ...], pins: tuple[int, ...]) -> bool:
    """Whether one person can take exactly ``themes``, one a round, honouring ``pins``."""
    n_rounds = len(problem.rounds)
    if len(themes) != n_rounds:
        return False
    pinned = {problem.round_of(w): problem.workshop(w).theme for w in pins}
    offered = np.zeros((n_rounds, n_rounds), dtype=bool)
    for r, workshops in enumerate(problem.rounds):
        for w in workshops:
            if w.theme in themes and pinned.get(r, w.theme) == w.theme:
                offered[r, themes.index(w.theme)] = True
    rows, cols = linear_sum_assignment(~offered)
    return bool(offered[rows, cols].all())


def theme_combinations(problem: Problem, pins: tuple[int, ...] = ()) -> list[tuple[str, ...]]:
    """Every set of R themes (as a sorted tuple) one person can take, with ``pins``."""
    themes = sorted(problem.themes)
    return [c for c in combinations(themes, len(problem.rounds)) if _fits(problem, c, pins)]


def too_many(problem: Problem) -> bool:
    return comb(len(problem.themes), len(problem.rounds)) > MAX_COMBINATIONS


class CombinationModel:
    """The arrays of the two-layer model; ``profiles`` are (ranking, pins, size) triples."""

    def __init__(self, problem: Problem, profiles: list) -> None:
        self.problem = problem
        self.profiles = profiles
        self.workshops = [w for r in problem.rounds for w in r]
        free = theme_combinations(problem)
        # Each profile's squared ranks per theme (k + 1 for the unranked).
        theme_index = {t: i for i, t in enumerate(problem.themes)}
        squares = np.full(
            (len(profiles), len(theme_index)), (problem.ranks_asked + 1) ** 2, dtype=np.int64
        )
        for p, profile in enumerate(profiles):
            for position, theme in enumerate(profile.members[0].ranking):
                squares[p, theme_index[theme]] = (position + 1) ** 2
        # Combination classes: (themes, pins); pinned profiles get classes of their own.
        self.classes: list[tuple[tuple[str, ...], tuple[int, ...]]] = []
        index: dict[tuple, int] = {}
        # Per set of pins: its classes' indices and their themes (a classes × themes 0/1 matrix).
        offers: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}
        pairs_p, pairs_c, costs = [], [], []
        for p, profile in enumerate(profiles):
            if profile.pins not in offers:
                options = free if not profile.pins else theme_combinations(problem, profile.pins)
                if profile.pins and not options:
                    raise AllocationInputError("the pinned registrants cannot all be seated")
                classes = []
                incidence = np.zeros((len(options), len(theme_index)), dtype=np.int64)
                for i, themes in enumerate(options):
                    key = (themes, profile.pins)
                    if key not in index:
                        index[key] = len(self.classes)
                        self.classes.append(key)
                    classes.append(index[key])
                    incidence[i, [theme_index[t] for t in themes]] = 1
                offers[profile.pins] = (np.array(classes, dtype=np.int64), incidence)
            classes, incidence = offers[profile.pins]
            pairs_p.append(np.full(len(classes), p, dtype=np.int64))
            pairs_c.append(classes)
            costs.append(incidence @ squares[p])
        self.pair_p = np.concatenate(pairs_p) if pairs_p else np.zeros(0, dtype=np.int64)
        self.pair_c = np.concatenate(pairs_c) if pairs_c else np.zeros(0, dtype=np.int64)
        self.pair_cost = np.concatenate(costs) if costs else np.zeros(0, dtype=np.int64)
        # y variables: (class, workshop) where the workshop's theme is in the class.
        round_of = {w.id: problem.round_of(w.id) for w in self.workshops}
        y_c, y_w = [], []
        for c, (themes, pins) in enumerate(self.classes):
            pinned_round = {round_of[w]: w for w in pins}
            for j, w in enumerate(self.workshops):
                r = round_of[w.id]
                if w.theme in themes and pinned_round.get(r, w.id) == w.id:
                    y_c.append(c)
                    y_w.append(j)
        self.y_c = np.array(y_c, dtype=np.int64)
        self.y_w = np.array(y_w, dtype=np.int64)
        self.n_z = len(self.pair_p)
        self.n_y = len(self.y_c)
        self.n_m = len(self.classes)  # m_c: the people receiving class c
        self.n_base = self.n_z + self.n_y + self.n_m
        self.n_vars = self.n_base
        self.round_of = np.array([round_of[w.id] for w in self.workshops], dtype=np.int64)

    def objective(self) -> np.ndarray:
        """The contract's objective, less its constant N·penalty."""
        c = np.zeros(self.n_vars)
        c[: self.n_z] = self.pair_cost - self.problem.penalty
        return c

    def bounds(self) -> Bounds:
        sizes = np.array([len(p.members) for p in self.profiles], dtype=float)
        upper = np.ones(self.n_vars)
        upper[: self.n_z] = sizes[self.pair_p]
        upper[self.n_z : self.n_base] = sizes.sum()
        return Bounds(np.zeros(self.n_vars), upper)

    def constraints(self) -> list[LinearConstraint]:
        rows = Triplets()
        z_of_class = defaultdict(list)
        for i, c in enumerate(self.pair_c):
            z_of_class[int(c)].append(i)
        y_of_class = defaultdict(list)
        for i, c in enumerate(self.y_c):
            y_of_class[int(c)].append(i)
        # Each profile: no more seated than its people; pinned profiles all seated.
        z_of_profile = defaultdict(list)
        for i, p in enumerate(self.pair_p):
            z_of_profile[int(p)].append(i)
        for p, profile in enumerate(self.profiles):
            size = len(profile.members)
            rows.add(z_of_profile[p], 1.0, size if profile.pins else 0, size)
        # Each class: m_c people, who take one workshop a round and each of its themes once.
        first_m = self.n_z + self.n_y
        for c, (themes, _pins) in enumerate(self.classes):
            zs = np.array(z_of_class[c], dtype=np.int64)
            rows.add(
                np.concatenate([zs, [first_m + c]]),
                np.concatenate([np.ones(len(zs)), [-1.0]]),
                0,
                0,
            )
            ys = np.array(y_of_class[c], dtype=np.int64)
            workshops = self.y_w[ys]
            for r in range(len(self.problem.rounds)):
                mine = ys[self.round_of[workshops] == r]
                rows.add(
                    np.append(self.n_z + mine, first_m + c),
                    np.append(np.ones(len(mine)), -1.0),
                    0,
                    0,
                )
            for t in themes[:-1]:  # the last theme's equation follows from the others
                mine = ys[np.array([self.workshops[j].theme == t for j in workshops], dtype=bool)]
                rows.add(
                    np.append(self.n_z + mine, first_m + c),
                    np.append(np.ones(len(mine)), -1.0),
                    0,
                    0,
                )
        # Workshop capacities.
        for j, w in enumerate(self.workshops):
            if w.capacity is not None:
                rows.add(self.n_z + np.flatnonzero(self.y_w == j), 1.0, -np.inf, w.capacity)
        # The event's capacity.
        if self.problem.event_capacity is not None:
            rows.add(np.arange(self.n_z), 1.0, -np.inf, self.problem.event_capacity)
        return [rows.constraint(self.n_vars)]

    def seated(self, counts: np.ndarray) -> int:
        return int(counts[: self.n_z].sum())

    def schedules(self, counts: np.ndarray) -> dict[int, list[tuple[int, ...]]]:
        """Per profile, the schedules (workshop ids per round) of its seated people, cheapest
        first."""
        per_class: dict[int, list[tuple[int, ...]]] = {}
        for c in range(len(self.classes)):
            ys = np.flatnonzero(self.y_c == c)
            per_class[c] = _split_class(self, ys, counts[self.n_z + ys])
        result: dict[int, list[tuple[int, ...]]] = defaultdict(list)
        order = np.argsort(self.pair_cost, kind="stable")
        for i in order[counts[: self.n_z][order] > 0]:
            p, c, m = int(self.pair_p[i]), int(self.pair_c[i]), int(counts[i])
            for _ in range(m):
                result[p].append(per_class[c].pop())
        return result


def _split_class(model: CombinationModel, ys: np.ndarray, y: np.ndarray) -> list[tuple[int, ...]]:
    """Split one class's counts into schedules (perfect matchings rounds → workshops)."""
    n_rounds = len(model.problem.rounds)
    people = int(y[model.round_of[model.y_w[ys]] == 0].sum()) if n_rounds else 0
    if n_rounds == 0:
        return [() for _ in range(int(y.sum()))]
    themes = model.classes[int(model.y_c[ys[0]])][0] if len(ys) else ()
    matrix = np.zeros((n_rounds, n_rounds), dtype=np.int64)
    seats: dict[tuple[int, int], list[int]] = defaultdict(list)
    for yi, count in zip(ys, y, strict=True):
        if count:
            j = int(model.y_w[yi])
            r, t = int(model.round_of[j]), themes.index(model.workshops[j].theme)
            matrix[r, t] += count
            seats[(r, t)].extend([model.workshops[j].id] * int(count))
    schedules: list[tuple[int, ...]] = []
    while people:
        rows, cols = linear_sum_assignment(matrix <= 0)
        times = int(matrix[rows, cols].min())
        if times <= 0:
            raise RuntimeError("counts that do not split into schedules")  # cannot happen
        matrix[rows, cols] -= times
        people -= times
        for _ in range(times):
            schedules.append(
                tuple(seats[(int(r), int(t))].pop() for r, t in zip(rows, cols, strict=True))
            )
    return schedules


#: Columns z[p, c] first offered per profile: its cheapest combinations.
FIRST_COLUMNS = 3
#: Up to this many z columns, all are offered at once: one LP solve is faster than pricing
#: rounds, each solved from scratch (5,000 people with 3,500 rankings × 28 combinations: one
#: solve of 3-4 s against 3 to 5 solves of 1-4 s each).
ALL_COLUMNS = 300_000
_TOLERANCE = 1e-6


class Priced:
    """Which z columns the solver sees. Exact: the LP relaxation is solved by pricing until no
    column has a negative reduced cost (so its bound holds for every column); a column whose
    reduced cost exceeds (best integer objective − LP bound) is in no better solution
    (reduced-cost fixing), so leaving it out loses nothing.

    ``cost`` is the objective (by default the contract's, :meth:`CombinationModel.objective`);
    ``seated``, when given, adds the row Σ z = seated; ``offered`` marks z columns offered from
    the start besides each profile's cheapest (e.g. those of a known feasible solution, which
    the restricted problem then always has)."""

    def __init__(
        self,
        model: CombinationModel,
        cost: np.ndarray | None = None,
        *,
        seated: int | None = None,
        offered: np.ndarray | None = None,
    ) -> None:
        self.model = model
        constraint = model.constraints()[0]
        matrix, lower, upper = constraint.A.tocsr(), constraint.lb, constraint.ub
        if seated is not None:
            count = sparse.csr_array(
                (np.ones(model.n_z), (np.zeros(model.n_z, dtype=np.int64), np.arange(model.n_z))),
                shape=(1, model.n_vars),
            )
            matrix = sparse.vstack([matrix, count]).tocsr()
            lower, upper = np.append(lower, seated), np.append(upper, seated)
        self.matrix, self.lower, self.upper = matrix, lower, upper
        self.cost = model.objective() if cost is None else cost
        order = np.lexsort((self.model.pair_cost, self.model.pair_p))
        position = np.empty(model.n_z, dtype=np.int64)
        starts = np.searchsorted(model.pair_p[order], model.pair_p[order], side="left")
        position[order] = np.arange(model.n_z) - starts
        self.active = position < (FIRST_COLUMNS if model.n_z > ALL_COLUMNS else model.n_z)
        if offered is not None:
            self.active |= offered
        self.reduced: np.ndarray | None = None
        self.duals: np.ndarray | None = None  # the rows' at the LP's optimum
        self.bound = -np.inf
        self.solution: np.ndarray | None = None  # the LP relaxation's optimal vertex

    @property
    def integral(self) -> bool:
        """Whether the LP relaxation's optimum is already integral (hence optimal)."""
        x = self.solution
        return x is not None and bool(np.allclose(x, np.rint(x), atol=1e-6))

    @property
    def integral_columns(self) -> bool:
        """Whether the optimum's z columns (hence the class counts m) are integers."""
        x = self.solution
        z = None if x is None else x[: self.model.n_z]
        return z is not None and bool(np.allclose(z, np.rint(z), atol=1e-6))

    def constraint(self) -> LinearConstraint:
        """Every row of the priced problem (the model's, and Σ z = seated when asked)."""
        return LinearConstraint(self.matrix, self.lower, self.upper)

    def upper_bounds(self) -> np.ndarray:
        upper = self.model.bounds().ub.copy()
        upper[: self.model.n_z][~self.active] = 0
        return upper

    def relax(self) -> None:
        """Solve the LP relaxation over every column, adding columns as they price out."""
        from scipy.optimize import linprog

        eq = self.lower == self.upper
        n = self.model.n_base
        matrix = self.matrix[:, :n]
        lower = self.model.bounds().lb[:n]
        while True:
            upper = self.upper_bounds()[:n]
            lp = linprog(
                self.cost[:n],
                A_ub=matrix[~eq],
                b_ub=self.upper[~eq],
                A_eq=matrix[eq],
                b_eq=self.upper[eq],
                bounds=np.column_stack([lower, upper]),
                method="highs-ds",
            )
            if lp.status != 0:
                raise RuntimeError(f"LP relaxation: {lp.message}")
            duals = np.zeros(len(self.lower))
            duals[eq] = lp.eqlin.marginals
            duals[~eq] = lp.ineqlin.marginals
            z = self.model.n_z
            self.reduced = self.cost[:z] - matrix[:, :z].T @ duals
            self.duals = duals
            entering = ~self.active & (self.reduced < -_TOLERANCE)
            if not entering.any():
                self.bound = float(lp.fun)
                self.solution = lp.x
                return
            self.active |= entering

    def widen(self, best: float) -> bool:
        """Offer every column that could be in a solution at least as good as ``best``;
        whether any was added."""
        assert self.reduced is not None
        entering = ~self.active & (self.reduced <= best - self.bound + _TOLERANCE)
        self.active |= entering
        return bool(entering.any())

    def optimal_face(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Lower and upper bounds of the columns (z, y, m) and of the rows that hold exactly
        the solutions at the LP bound (complementary slackness): a column of positive reduced
        cost at its lower bound, of negative at its upper, a row of nonzero dual at its bound.
        Only the columns offered so far may be nonzero (call :meth:`keep_only` first)."""
        assert self.duals is not None
        n = self.model.n_base
        cost = self.cost[:n] - self.matrix[:, :n].T @ self.duals
        bounds = self.model.bounds()
        lower, upper = bounds.lb[:n].copy(), self.upper_bounds()[:n]
        above, below = cost > _TOLERANCE, cost < -_TOLERANCE
        upper[above] = lower[above]
        lower[below] = upper[below]
        row_lower, row_upper = self.lower.copy(), self.upper.copy()
        tight = np.abs(self.duals) > _TOLERANCE
        row_lower[tight] = row_upper[tight]
        return lower, upper, row_lower, row_upper

    def keep_only(self, best: float) -> None:
        """Offer only the columns that could be in a solution at least as good as ``best``
        (every one of them, offered or not so far)."""
        assert self.reduced is not None
        self.active = self.reduced <= best - self.bound + _TOLERANCE
