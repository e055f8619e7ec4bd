"""The optimal allocation (eventapp.allocation): optimality against a brute force and against an
independent per-person MILP, capacities, the themes rule, ties by registration order."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from eventapp.allocation import (
    AllocationInputError,
    Problem,
    Registrant,
    Workshop,
    allocate,
    first_come,
)

MODELS = ["combinations", "profiles"]


def random_problem(
    rng: random.Random,
    people: int,
    rounds: int,
    themes: int,
    *,
    k: int | None = None,
    capacity: tuple[int, int] = (0, 4),
    event_capacity: int | None = None,
    pins: int = 0,
    repeat_themes: bool = False,
) -> Problem:
    keys = [f"t{i}" for i in range(themes)]
    workshops, next_id = [], 1
    for _ in range(rounds):
        offered = rng.sample(keys, rng.randint(1, themes))
        if repeat_themes:
            offered.append(rng.choice(offered))  # one theme in two rooms of this round
        row = []
        for theme in offered:
            cap = None if rng.random() < 0.15 else rng.randint(*capacity)
            row.append(Workshop(next_id, theme, cap))
            next_id += 1
        workshops.append(row)
    offered = sorted({w.theme for row in workshops for w in row})
    k = None if k is None else min(k, len(offered))
    asked = len(offered) if k is None else k
    registrants = [
        Registrant(1000 + i, i, tuple(rng.sample(offered, rng.randint(0, asked) if k else asked)))
        for i in range(people)
    ]
    pinned = {}
    for person in rng.sample(registrants, pins):
        row = rng.choice(workshops)
        pinned[person.id] = (rng.choice(row).id,)
    return Problem.build(workshops, registrants, event_capacity=event_capacity, k=k, pins=pinned)


def brute_force(problem: Problem) -> int:
    """The optimum by enumeration: every registrant takes a schedule or waits."""
    options = [None]
    for schedule in itertools.product(*problem.rounds):
        if len({w.theme for w in schedule}) == len(schedule):
            options.append(tuple(w.id for w in schedule))
    best = None
    for choice in itertools.product(options, repeat=len(problem.registrants)):
        assignment = {
            r.id: c for r, c in zip(problem.registrants, choice, strict=True) if c is not None
        }
        if not feasible(problem, assignment):
            continue
        value = problem.objective(assignment)
        best = value if best is None else min(best, value)
    return best


def feasible(problem: Problem, assignment) -> bool:
    try:
        check_allocation(problem, assignment)
    except AssertionError:
        return False
    return True


def check_allocation(problem: Problem, assignment) -> None:
    """Capacities (workshop, event), one workshop a round, each theme once, pins honoured."""
    if problem.event_capacity is not None:
        assert len(assignment) <= problem.event_capacity
    fill: dict[int, int] = {}
    for person, workshops in assignment.items():
        assert [problem.round_of(w) for w in workshops] == list(range(len(problem.rounds)))
        themes = [problem.workshop(w).theme for w in workshops]
        assert len(set(themes)) == len(themes), (person, themes)
        for w in workshops:
            fill[w] = fill.get(w, 0) + 1
    for w, count in fill.items():
        capacity = problem.workshop(w).capacity
        assert capacity is None or count <= capacity, (w, count, capacity)
    for person, pinned in problem.pins.items():
        assert person in assignment and set(pinned) <= set(assignment[person])


@dataclass
class PerPersonModel:
    """An independent formulation: binary z[i, w] and u[i] (seated) per registrant, no
    aggregation; variable i·m + j is z[i, w_j], n·m + i is u[i]."""

    cost: np.ndarray
    matrix: sparse.csr_array
    lower: list[float]
    upper: list[float]
    people: int

    def solve(self, cost: np.ndarray, *extra: LinearConstraint):
        size = len(self.cost)
        return milp(
            cost,
            constraints=[LinearConstraint(self.matrix, self.lower, self.upper), *extra],
            integrality=np.ones(size),
            bounds=Bounds(0, 1),
            options={"mip_rel_gap": 0.0},
        )


def per_person_model(problem: Problem) -> PerPersonModel:
    people, workshops = problem.registrants, [w for r in problem.rounds for w in r]
    n, m = len(people), len(workshops)
    z = lambda i, j: i * m + j  # noqa: E731
    u = lambda i: n * m + i  # noqa: E731
    cost = np.zeros(n * m + n)
    rows, cols, vals, lower, upper = [], [], [], [], []

    def row(entries, lo, hi):
        for col, val in entries:
            rows.append(len(lower))
            cols.append(col)
            vals.append(val)
        lower.append(lo)
        upper.append(hi)

    for i, person in enumerate(people):
        cost[u(i)] = -problem.penalty
        for j, w in enumerate(workshops):
            cost[z(i, j)] = problem.rank(person, w.theme) ** 2
        for r in range(len(problem.rounds)):
            js = [j for j, w in enumerate(workshops) if problem.round_of(w.id) == r]
            row([(z(i, j), 1) for j in js] + [(u(i), -1)], 0, 0)
        for theme in problem.themes:
            js = [j for j, w in enumerate(workshops) if w.theme == theme]
            row([(z(i, j), 1) for j in js], -np.inf, 1)
        pinned = problem.pins.get(person.id, ())
        for w in pinned:
            row([(z(i, workshops.index(problem.workshop(w))), 1)], 1, 1)
    for j, w in enumerate(workshops):
        if w.capacity is not None:
            row([(z(i, j), 1) for i in range(n)], -np.inf, w.capacity)
    if problem.event_capacity is not None:
        row([(u(i), 1) for i in range(n)], -np.inf, problem.event_capacity)
    matrix = sparse.csr_array((vals, (rows, cols)), shape=(len(lower), n * m + n))
    return PerPersonModel(cost, matrix, lower, upper, n)


def per_person_optimum(problem: Problem) -> int:
    """The contract's optimum by the per-person formulation, solved by the same library."""
    model = per_person_model(problem)
    result = model.solve(model.cost)
    assert result.status == 0
    return round(result.fun) + model.people * problem.penalty


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("seed", range(40))
def test_small_instances_equal_the_brute_force_optimum(seed: int, model: str) -> None:
    rng = random.Random(seed)
    problem = random_problem(
        rng,
        people=rng.randint(1, 4),
        rounds=rng.randint(1, 2),
        themes=rng.randint(2, 3),
        capacity=(0, 2),
        event_capacity=rng.choice([None, 1, 2, 3]),
        k=rng.choice([None, 1, 2]),
        repeat_themes=seed % 5 == 0,
    )
    result = allocate(problem, model=model)
    assert result.proven_optimal
    check_allocation(problem, result.assignment)
    assert result.objective == brute_force(problem)
    assert result.objective == problem.objective(result.assignment)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("seed", range(12))
def test_larger_instances_equal_a_per_person_milp(seed: int, model: str) -> None:
    rng = random.Random(100 + seed)
    problem = random_problem(
        rng,
        people=rng.randint(20, 60),
        rounds=rng.randint(2, 3),
        themes=rng.randint(3, 6),
        capacity=(2, 25),
        event_capacity=rng.choice([None, 15, 40]),
        k=rng.choice([None, 2, 3]),
        pins=rng.randint(0, 2),
        repeat_themes=seed % 3 == 0,
    )
    try:
        result = allocate(problem, model=model)
    except AllocationInputError:
        pytest.skip("these random pins do not fit")  # checked by test_pins_that_cannot_fit
    assert result.proven_optimal and result.mip_gap == 0
    check_allocation(problem, result.assignment)
    assert result.objective == per_person_optimum(problem)
    assert sum(result.fill.values()) == len(result.assignment) * len(problem.rounds)
    assert set(result.waitlist) | set(result.assignment) == {r.id for r in problem.registrants}


def two_rounds_four_themes(capacity: int | None) -> list[list[Workshop]]:
    return [
        [Workshop(10 * r + i, theme, capacity) for i, theme in enumerate("ABCD")] for r in (1, 2)
    ]


@pytest.mark.parametrize("model", MODELS)
def test_the_event_capacity_seats_the_earliest_registrants(model: str) -> None:
    people = [Registrant(500 - i, i, tuple("ABCD") if i % 2 else tuple("DCBA")) for i in range(9)]
    problem = Problem.build(two_rounds_four_themes(None), people, event_capacity=5)
    result = allocate(problem, model=model)
    assert sorted(result.assignment) == sorted(r.id for r in people[:5])
    assert result.waitlist == tuple(r.id for r in people[5:])
    assert result.rank_counts == {1: 5, 2: 5}


@pytest.mark.parametrize("model", MODELS)
def test_identical_rankings_the_earlier_registrant_gets_the_better_combination(
    model: str,
) -> None:
    # A: 1 seat in each round. Both want A then B; one gets A+B, the other must go without A.
    workshops = [
        [Workshop(1, "A", 1), Workshop(2, "B", 5), Workshop(3, "C", 5)],
        [Workshop(4, "A", 0), Workshop(5, "B", 5), Workshop(6, "C", 5)],
    ]
    late, early = Registrant(1, 7, ("A", "B", "C")), Registrant(2, 3, ("A", "B", "C"))
    result = allocate(Problem.build(workshops, [late, early]), model=model)
    assert result.assignment[early.id] == (1, 5)
    assert result.assignment[late.id] in {(2, 6), (3, 5)}
    assert result.rank_counts == {1: 1, 2: 2, 3: 1}


@pytest.mark.parametrize("model", MODELS)
def test_a_full_workshop_goes_to_the_earliest(model: str) -> None:
    workshops = [[Workshop(1, "A", 3)], [Workshop(2, "B", None)]]
    people = [Registrant(i, 20 - i, ("A", "B")) for i in range(6)]  # id 5 registered first
    result = allocate(Problem.build(workshops, people), model=model)
    assert set(result.assignment) == {5, 4, 3}
    assert result.waitlist == (2, 1, 0)


@pytest.mark.parametrize("model", MODELS)
def test_capacities_too_small_everyone_waits(model: str) -> None:
    people = [Registrant(i, i, tuple("ABCD")) for i in range(4)]
    problem = Problem.build(two_rounds_four_themes(0), people)
    result = allocate(problem, model=model)
    assert result.assignment == {} and result.waitlist == (0, 1, 2, 3)
    assert result.proven_optimal and result.worst_rank is None
    assert result.objective == 4 * problem.penalty
    # One theme only: nobody can take two different themes.
    one_theme = [[Workshop(1, "A", 9)], [Workshop(2, "A", 9)]]
    only_a = [Registrant(i, i, ("A",)) for i in range(4)]
    result = allocate(Problem.build(one_theme, only_a), model=model)
    assert result.waitlist == (0, 1, 2, 3)


@pytest.mark.parametrize("model", MODELS)
def test_pins_are_honoured_and_count_against_capacity(model: str) -> None:
    workshops = two_rounds_four_themes(2)
    people = [Registrant(i, i, tuple("ABCD")) for i in range(5)]
    problem = Problem.build(workshops, people, pins={4: (11,)})  # the latest, on A of round 1
    result = allocate(problem, model=model)
    check_allocation(problem, result.assignment)
    assert result.assignment[4][0] == 11
    assert result.objective == per_person_optimum(problem)
    assert result.fill[11] == 2


def test_pins_that_cannot_fit_are_refused() -> None:
    workshops = two_rounds_four_themes(1)
    people = [Registrant(i, i, ("A",)) for i in range(2)]
    with pytest.raises(AllocationInputError, match="pinned to workshop 11"):
        allocate(Problem.build(workshops, people, k=1, pins={0: (11,), 1: (11,)}))


@pytest.mark.parametrize(
    ("ranking", "message"),
    [(("A", "A"), "ranked twice"), (("Z",), "unknown theme"), (("A", "B", "C"), "3 ranks")],
)
def test_bad_rankings_are_refused(ranking, message) -> None:
    with pytest.raises(AllocationInputError, match=message):
        Problem.build(two_rounds_four_themes(3), [Registrant(1, 1, ranking)], k=2)


def test_unranked_themes_count_k_plus_one() -> None:
    problem = Problem.build(two_rounds_four_themes(None), [Registrant(1, 1, ("C",))], k=1)
    result = allocate(problem)
    assert problem.workshop(result.assignment[1][0]).theme == "C" or (
        problem.workshop(result.assignment[1][1]).theme == "C"
    )
    assert result.objective == 1 + 4 and result.rank_counts == {1: 1, 2: 1}


def test_first_come_first_served_takes_the_best_left_in_registration_order() -> None:
    workshops = [[Workshop(1, "A", 1), Workshop(2, "B", 1)]]
    first, second = Registrant(1, 1, ("A", "B")), Registrant(2, 2, ("A",))
    third = Registrant(3, 3, ("A", "B"))  # as good as the first: ties go by registration
    problem = Problem.build(workshops, [third, second, first], k=2)
    simulated = first_come(problem)
    # The first takes A, the second gets B (unranked: 3² = 9), the third waits.
    assert simulated.assignment == {1: (1,), 2: (2,)}
    assert simulated.waitlist == (3,)
    assert simulated.objective == 1 + 9 + problem.penalty
    assert simulated.rank_counts == {1: 1, 3: 1} and simulated.worst_rank == 3
    # The optimum swaps them: 2² + 1² instead of 1² + 3².
    optimal = allocate(problem)
    assert optimal.assignment == {1: (2,), 2: (1,)}
    assert optimal.objective == 4 + 1 + problem.penalty
    assert optimal.rank_counts == {1: 1, 2: 1} and optimal.worst_rank == 2
