"""The exact allocation on the combinations model, solved lexicographically in stages.

The contract's objective, Σ rank² + (N·R·K² + 1) per registrant not seated, orders allocations
first by the number of people seated, then by the sum of squared ranks, whenever one more seat
outweighs any sum of ranks (:func:`lexicographic`: always, unless every theme is asked and
someone ranked fewer, an unranked theme then counting K + 1). Its optimum is then found in
stages, each with small, well-scaled coefficients instead of one objective mixing 10⁶ with 1:

1. **the most people seated**, S*: every registrant without pins can take any combination, so
   they form one group; the pinned ones form a group per set of pins. The model is tiny (a few
   groups × combinations, plus the workshops) and solved as a MILP.
2. **the least Σ rank² with S* seated**: the LP relaxation of the full model (profiles ×
   combinations, with Σ z = S*); every column at once up to ``ALL_COLUMNS``, else priced in
   from each profile's cheapest and those of stage 1's allocation (so the restricted problem
   is never infeasible). When its optimum seats whole people (z, hence the class counts m,
   integers), only the split of each class over the workshops may be fractional: a small MILP
   with m fixed finds an integer one, and then the LP bound is reached — optimal, proven, gap 0.
   Otherwise a MILP over the columns that reduced-cost fixing leaves (every column of every
   optimal allocation) decides.
3. **ties by registration order**, only when some must wait: among the allocations with S*
   seated and the optimal Σ rank², seat the earliest registrants (maximise Σ (N − position)
   over the seated). When the LP bound is reached, those allocations are exactly the integer
   points of the LP's optimal face (complementary slackness: bounds on columns and rows), where
   this is again an LP plus a split of the classes; else a row keeps Σ rank² at its optimum.

When the penalty does not dominate, stage 2 minimises the contract's objective itself (no
Σ z = S* row) and stage 3 keeps that objective; stage 1 then only gives a starting allocation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from eventapp.allocation.combinations import CombinationModel, Priced
from eventapp.allocation.problem import AllocationInputError, Problem, Registrant

#: HiGHS's status codes (scipy.optimize.milp): 0 optimal, 1 time limit, 2 infeasible…
OPTIMAL, INFEASIBLE = 0, 2
_TOLERANCE = 1e-6


@dataclass
class Group:
    """People who are interchangeable for a stage: same ranking (or none needed) and pins."""

    ranking: tuple[str, ...]
    pins: tuple[int, ...]
    members: list[Registrant] = field(default_factory=list)


@dataclass
class Outcome:
    """Integer counts in the layout of the full model (z, y, m), or ``None`` when the solver
    found none in time; HiGHS's status and the MIP gap."""

    counts: np.ndarray | None
    status: int
    gap: float


def _left(deadline: float) -> float:
    """Seconds left before ``deadline`` (a ``time.perf_counter`` value), at least one."""
    return max(deadline - time.perf_counter(), 1.0)


def _integral(x: np.ndarray) -> bool:
    return bool(np.allclose(x, np.rint(x), atol=_TOLERANCE))


def _milp(
    model: CombinationModel | _Kept,
    cost: np.ndarray,
    constraints: list[LinearConstraint],
    bounds: Bounds,
    deadline: float,
    integer_columns: bool = False,
):
    """One MILP: y and m integer; z continuous unless asked (once m is an integer, z is a
    transportation problem, whose vertices are integral)."""
    integrality = np.ones(len(cost))
    if not integer_columns:
        integrality[: model.n_z] = 0
    return milp(
        cost,
        constraints=constraints,
        integrality=integrality,
        bounds=bounds,
        options={"mip_rel_gap": 0.0, "time_limit": _left(deadline), "disp": False},
    )


def _groups(profiles: list) -> list[Group]:
    """Stage 1's groups: everyone without pins together, then one group per set of pins."""
    groups: dict[tuple[int, ...], Group] = {}
    for profile in profiles:
        group = groups.setdefault(profile.pins, Group((), profile.pins))
        group.members.extend(profile.members)
    return list(groups.values())


def most_seated(
    problem: Problem, profiles: list, deadline: float, *, exact: bool = True
) -> tuple[int, dict[tuple, float], int]:
    """Stage 1: the most people seated, the number per combination class of one allocation
    that seats them, and HiGHS's status. Not ``exact``: only the LP relaxation, rounded down
    (a bound that stage 2 then reaches with whole people, or not), and its fractional
    allocation. Raises :class:`AllocationInputError` when the pinned registrants cannot all
    be seated."""
    groups = _groups(profiles)
    model = CombinationModel(problem, groups)
    if not model.n_z:
        return 0, {}, OPTIMAL
    cost = np.zeros(model.n_vars)
    cost[: model.n_z] = -1.0
    if exact:
        result = _milp(model, cost, model.constraints(), model.bounds(), deadline)
        x, status = result.x, result.status
        if x is not None and not _integral(x[: model.n_z]):
            result = _milp(
                model, cost, model.constraints(), model.bounds(), deadline, integer_columns=True
            )
            x, status = result.x, result.status
    else:
        x = _linear(cost, model.constraints(), model.bounds())
        status = INFEASIBLE if x is None else OPTIMAL
    if status == INFEASIBLE:
        raise AllocationInputError("the pinned registrants cannot all be seated")
    if x is None:
        return 0, {}, status
    counts = np.rint(x[: model.n_z]) if exact else np.maximum(x[: model.n_z], 0.0)
    per_class: dict[tuple, float] = {}
    for i in np.flatnonzero(counts > _TOLERANCE):
        key = model.classes[int(model.pair_c[i])]
        per_class[key] = per_class.get(key, 0.0) + float(counts[i])
    return int(np.floor(counts.sum() + _TOLERANCE)), per_class, status


def _feasible_columns(model: CombinationModel, per_class: dict[tuple, float]) -> np.ndarray:
    """z counts that give every class of stage 1's allocation its number of people: within
    each set of pins, the profiles fill its classes in turn (every profile of those pins can
    take every class of them), the north-west corner rule of a transportation problem."""
    z = np.zeros(model.n_z)
    starts = np.searchsorted(model.pair_p, np.arange(len(model.profiles)))
    by_pins: dict[tuple[int, ...], list[int]] = {}
    for p, profile in enumerate(model.profiles):
        by_pins.setdefault(profile.pins, []).append(p)
    for profiles in by_pins.values():
        first = starts[profiles[0]]
        classes = model.pair_c[first : first + int(np.sum(model.pair_p == profiles[0]))]
        demand = np.array([per_class.get(model.classes[c], 0.0) for c in classes])
        supply = np.array([len(model.profiles[p].members) for p in profiles], dtype=np.int64)
        if demand.sum() > supply.sum() + _TOLERANCE:
            raise RuntimeError("stage 1 seats more than there are people")  # cannot happen
        # Profile i covers people (S_{i-1}, S_i], class j takes (D_{j-1}, D_j]: they share
        # the overlap of the two intervals.
        s_high, d_high = np.cumsum(supply), np.cumsum(demand)
        s_low, d_low = s_high - supply, d_high - demand
        i = np.searchsorted(s_high, d_low, side="right")  # the profile of each class's first
        for j in np.flatnonzero(demand > _TOLERANCE):
            k = int(i[j])
            while k < len(profiles) and s_low[k] < d_high[j]:
                overlap = min(s_high[k], d_high[j]) - max(s_low[k], d_low[j])
                if overlap > 0:
                    z[starts[profiles[k]] + j] += overlap
                k += 1
    return z


def _fix_classes(
    model: CombinationModel, priced: Priced, z: np.ndarray, deadline: float
) -> np.ndarray | None:
    """With the z columns (hence every class count m) fixed to integers, integer y: how the
    people of each class split over the workshops. The full counts, or ``None`` when the class
    counts admit no integer split."""
    first_y, first_m = model.n_z, model.n_z + model.n_y
    m = np.zeros(model.n_m)
    np.add.at(m, model.pair_c, z)
    fixed = np.concatenate([z, np.zeros(model.n_y), m])
    matrix = priced.matrix[:, : model.n_base].tocsc()
    y_part = matrix[:, first_y:first_m].tocsr()
    shift = matrix @ fixed  # what the fixed columns already put in each row
    rows = np.flatnonzero(np.diff(y_part.indptr))  # the rows that involve y
    result = milp(
        np.zeros(model.n_y),
        constraints=LinearConstraint(
            y_part[rows], priced.lower[rows] - shift[rows], priced.upper[rows] - shift[rows]
        ),
        integrality=np.ones(model.n_y),
        bounds=Bounds(0, model.bounds().ub[first_y:first_m]),
        options={"time_limit": _left(deadline), "disp": False},
    )
    if result.status != OPTIMAL:
        return None
    fixed[first_y:first_m] = np.rint(result.x)
    return fixed


def relax_ranks(
    problem: Problem,
    model: CombinationModel,
    seated: int | None,
    per_class: dict[tuple, float],
) -> tuple[Priced, np.ndarray]:
    """Stage 2's LP relaxation: with ``seated`` people seated, the least Σ rank²; with
    ``seated`` None, the least contract's objective (less its constant N·penalty) in one
    stage. The priced LP (its bound, solution and reduced costs) and the objective."""
    start = _feasible_columns(model, per_class)
    cost = _cost(problem, model, seated)
    priced = Priced(model, cost, seated=seated, offered=start > _TOLERANCE)
    priced.relax()
    return priced, cost


def least_ranks(
    model: CombinationModel, priced: Priced, cost: np.ndarray, deadline: float
) -> tuple[Outcome, float]:
    """Stage 2's integer optimum, from its LP relaxation (:func:`relax_ranks`): the outcome
    and the optimal value."""
    assert priced.solution is not None
    bound = float(np.ceil(priced.bound - _TOLERANCE))
    if priced.integral:  # an integral optimum of the relaxation: optimal, proven
        counts = np.rint(priced.solution).astype(np.int64)
        return Outcome(counts, OPTIMAL, 0.0), float(cost[: model.n_base] @ counts)
    if priced.integral_columns:
        z = np.rint(priced.solution[: model.n_z]).astype(np.int64)
        counts = _fix_classes(model, priced, z, deadline)
        if counts is not None:
            value = float(cost[: model.n_z] @ z)
            return Outcome(counts.astype(np.int64), OPTIMAL, 0.0), value
    # A MILP over the columns priced in; then over every column of an allocation at most as
    # costly as the one it found (reduced-cost fixing), when that offers more.
    result = _milp(model, cost, [priced.constraint()], _bounds(model, priced), deadline)
    if (
        result.x is not None
        and result.status == OPTIMAL
        and result.fun > bound + _TOLERANCE
        and priced.widen(float(result.fun))
    ):
        result = _milp(model, cost, [priced.constraint()], _bounds(model, priced), deadline)
    if result.x is None:
        return Outcome(None, result.status, float("inf")), float("inf")
    if not _integral(result.x):
        result = _milp(
            model,
            cost,
            [priced.constraint()],
            _bounds(model, priced),
            deadline,
            integer_columns=True,
        )
    value = float(np.rint(result.fun))
    counts = np.rint(result.x).astype(np.int64)
    return Outcome(counts, result.status, float(result.mip_gap or 0.0)), value


def _cost(problem: Problem, model: CombinationModel, seated: int | None) -> np.ndarray:
    """Σ rank² over the z columns; less the penalty per person seated when in one stage."""
    cost = np.zeros(model.n_vars)
    cost[: model.n_z] = model.pair_cost - (problem.penalty if seated is None else 0)
    return cost


def lexicographic(problem: Problem) -> bool:
    """Whether the contract's objective is "most seated, then least Σ rank²": whether the
    penalty of one person not seated exceeds the largest Σ rank² of any allocation (it may
    not when every theme is asked, k = K, and someone ranked fewer: unranked is then K + 1)."""
    n_themes, rounds = len(problem.themes), len(problem.rounds)
    worst = sum(
        rounds * (n_themes if len(r.ranking) == n_themes else problem.ranks_asked + 1) ** 2
        for r in problem.registrants
    )
    return worst < problem.penalty


def _linear(
    cost: np.ndarray, constraints: list[LinearConstraint], bounds: Bounds
) -> np.ndarray | None:
    """An optimal vertex of the LP (HiGHS's dual simplex), or ``None`` when it has none."""
    matrix = sparse.vstack([sparse.csr_array(c.A) for c in constraints]).tocsr()
    lower = np.concatenate([np.broadcast_to(c.lb, c.A.shape[0]) for c in constraints])
    upper = np.concatenate([np.broadcast_to(c.ub, c.A.shape[0]) for c in constraints])
    eq = lower == upper
    below = ~eq & np.isfinite(upper)
    above = ~eq & np.isfinite(lower)
    result = linprog(
        cost,
        A_ub=sparse.vstack([matrix[below], -matrix[above]]),
        b_ub=np.concatenate([upper[below], -lower[above]]),
        A_eq=matrix[eq],
        b_eq=upper[eq],
        bounds=np.column_stack([bounds.lb, bounds.ub]),
        method="highs-ds",
    )
    return result.x if result.status == OPTIMAL else None


def _bounds(model: CombinationModel, priced: Priced, extra: int = 0) -> Bounds:
    upper = np.concatenate([priced.upper_bounds()[: model.n_base], np.ones(extra)])
    return Bounds(np.zeros(model.n_base + extra), upper)


def earliest_first(
    problem: Problem,
    model: CombinationModel,
    priced: Priced,
    cost: np.ndarray,
    best: float,
    deadline: float,
) -> Outcome:
    """Stage 3: among the allocations of stage 2 (its rows) whose objective ``cost`` is
    ``best``, the one that seats the earliest registrants: maximise Σ (N − position) over the
    seated, x_i saying whether registrant i is seated, Σ_{i of profile p} x_i = Σ_c z[p, c]."""
    priced.keep_only(best)  # every column of every optimal allocation
    n = len(problem.registrants)
    z_kept = np.flatnonzero(priced.active)
    # The columns of this stage: the z kept, every y and m, then x (one per registrant).
    columns = np.concatenate([z_kept, np.arange(model.n_z, model.n_base)])
    n_kept = len(columns)
    tie = np.concatenate([np.zeros(n_kept), -(n - np.arange(n, dtype=float))])
    main = priced.matrix[:, columns]
    position = {r.id: i for i, r in enumerate(problem.registrants)}
    member_rows = [p for p, profile in enumerate(model.profiles) for _ in profile.members]
    member_cols = [n_kept + position[m.id] for profile in model.profiles for m in profile.members]
    link = sparse.csr_array(
        (
            np.concatenate([np.ones(n), -np.ones(len(z_kept))]),
            (
                np.concatenate([member_rows, model.pair_p[z_kept]]),
                np.concatenate([member_cols, np.arange(len(z_kept))]),
            ),
        ),
        shape=(len(model.profiles), n_kept + n),
    )
    keep = sparse.csr_array(
        (cost[z_kept], (np.zeros(len(z_kept), dtype=np.int64), np.arange(len(z_kept)))),
        shape=(1, n_kept + n),
    )
    rows = sparse.hstack([main, sparse.csr_array((main.shape[0], n))]).tocsr()
    if best <= priced.bound + _TOLERANCE:
        # At the LP bound, the optimal allocations are the integer points of the LP's optimal
        # face: no row Σ rank² = best (dense, and it slows the LP down), only bounds.
        lower, upper, row_lower, row_upper = priced.optimal_face()
        constraints = [LinearConstraint(rows, row_lower, row_upper), LinearConstraint(link, 0, 0)]
    else:
        lower, upper = np.zeros(model.n_base), model.bounds().ub
        constraints = [
            LinearConstraint(rows, priced.lower, priced.upper),
            LinearConstraint(link, 0, 0),
            LinearConstraint(keep, -np.inf, best),
        ]
    bounds = Bounds(
        np.concatenate([lower[columns], np.zeros(n)]),
        np.concatenate([upper[columns], np.ones(n)]),
    )
    kept = _Kept(len(z_kept))

    def spread(x: np.ndarray) -> np.ndarray:
        counts = np.zeros(model.n_base)
        counts[columns] = x[:n_kept]
        return counts

    # The LP relaxation first: when it seats whole people, an integer split of the classes
    # over the workshops reaches its bound.
    relaxed = _linear(tie, constraints, bounds)
    if relaxed is not None and _integral(relaxed[: len(z_kept)]):
        counts = _fix_classes(model, priced, np.rint(spread(relaxed)[: model.n_z]), deadline)
        if counts is not None:
            return Outcome(counts.astype(np.int64), OPTIMAL, 0.0)
    result = _milp(kept, tie, constraints, bounds, deadline)
    if result.x is not None and not _integral(result.x):
        result = _milp(kept, tie, constraints, bounds, deadline, integer_columns=True)
    if result.x is None:
        return Outcome(None, result.status, float("inf"))
    counts = np.rint(spread(result.x)).astype(np.int64)
    return Outcome(counts, result.status, float(result.mip_gap or 0.0))


@dataclass
class _Kept:
    """What :func:`_milp` needs to know of stage 3's columns: the z come first."""

    n_z: int


def solve(problem: Problem, profiles: list, deadline: float) -> tuple[CombinationModel, Outcome]:
    """The stages; the model whose layout the counts follow, and the outcome. Stage 1 first
    takes the LP's bound on the people seated; when stage 2 cannot seat that many whole
    people, stage 1 is solved exactly and stage 2 again."""
    model = CombinationModel(problem, profiles)
    people = len(problem.registrants)
    in_stages = lexicographic(problem)
    for exact in (False, True):
        seated, per_class, status = most_seated(problem, profiles, deadline, exact=exact)
        if status != OPTIMAL:
            return model, Outcome(None, status, float("inf"))
        if seated == 0:  # nobody can be seated (pinned people would be)
            return model, Outcome(np.zeros(model.n_base, dtype=np.int64), OPTIMAL, 0.0)
        count = seated if in_stages else None
        try:
            priced, cost = relax_ranks(problem, model, count, per_class)
        except RuntimeError:
            if exact:
                raise
            continue  # the LP relaxation cannot seat ``seated``: the bound was wrong
        tie = _earliest_on_the_face(problem, model, priced, cost, deadline)
        if tie is not None:
            return model, tie
        outcome, best = least_ranks(model, priced, cost, deadline)
        if outcome.status == INFEASIBLE and not exact:
            continue  # the LP's bound on the people seated is not reached
        if outcome.status != OPTIMAL or outcome.counts is None:
            return model, outcome
        if not 0 < model.seated(outcome.counts) < people:
            return model, outcome
        tie = earliest_first(problem, model, priced, cost, best, deadline)
        if tie.counts is None:
            return model, outcome
        return model, Outcome(tie.counts, tie.status, max(outcome.gap, tie.gap))
    raise AssertionError("unreachable")  # the exact pass returns


def _earliest_on_the_face(
    problem: Problem, model: CombinationModel, priced: Priced, cost: np.ndarray, deadline: float
) -> Outcome | None:
    """When some must wait and the LP relaxation seats whole people at an integral bound,
    stage 3 straight on the LP's optimal face: an integer allocation found there reaches the
    bound (so stage 2 needs no integer solve of its own) and seats the earliest. ``None``
    when this does not apply or finds nothing (the columns offered are then as before)."""
    assert priced.solution is not None
    bound = round(priced.bound)
    if not priced.integral_columns or abs(priced.bound - bound) > _TOLERANCE:
        return None
    seated = int(np.rint(priced.solution[: model.n_z]).sum())
    if not 0 < seated < len(problem.registrants):
        return None
    offered = priced.active.copy()
    tie = earliest_first(problem, model, priced, cost, float(bound), deadline)
    if tie.counts is not None and tie.status == OPTIMAL:
        return tie
    priced.active = offered
    return None
