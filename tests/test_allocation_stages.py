"""The allocation solved in stages (eventapp.allocation.staged): the most seated, then the least
Σ rank², then ties by registration order. Each path is checked against an independent per-person
MILP (the contract's objective in one stage, then the earliest seated with it kept) or a brute
force: the grouped stage 1, the LP's optimal face, the fall-backs when the relaxation's class
counts do not split, pricing, and the one-stage objective when the penalty does not dominate."""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.optimize import LinearConstraint
from test_allocation import brute_force, check_allocation, per_person_model, random_problem

from eventapp.allocation import (
    AllocationInputError,
    Problem,
    Registrant,
    Workshop,
    allocate,
    staged,
)
from eventapp.allocation import combinations as combinations_module


def per_person(problem: Problem) -> tuple[int, int]:
    """The per-person formulation (tests/test_allocation.py): the contract's optimum, then
    the largest Σ (N − position) over the seated among the allocations that reach it."""
    model = per_person_model(problem)
    first = model.solve(model.cost)
    assert first.status == 0
    best = round(first.fun)
    n = model.people
    tie = np.zeros(len(model.cost))
    tie[len(model.cost) - n :] = -(n - np.arange(n))
    second = model.solve(tie, LinearConstraint(model.cost.reshape(1, -1), -np.inf, best))
    assert second.status == 0
    return best + n * problem.penalty, -round(second.fun)


def earliness(problem: Problem, assignment) -> int:
    """Σ (N − position) over the seated: what ties by registration order maximise."""
    n = len(problem.registrants)
    return sum(n - i for i, r in enumerate(problem.registrants) if r.id in assignment)


def larger(seed: int, **overrides) -> Problem:
    rng = random.Random(500 + seed)
    arguments = {
        "people": rng.randint(20, 45),
        "rounds": rng.randint(2, 3),
        "themes": rng.randint(3, 5),
        "capacity": (2, 14),
        "event_capacity": rng.choice([None, 12, 30]),
        "k": rng.choice([None, 2, 3]),
        "pins": rng.randint(0, 2),
        "repeat_themes": seed % 3 == 0,
    }
    arguments.update(overrides)
    return random_problem(rng, **arguments)


def assert_optimal_with_ties(problem: Problem) -> None:
    try:
        result = allocate(problem, model="combinations")
    except AllocationInputError:
        pytest.skip("these random pins do not fit")
    assert result.proven_optimal
    check_allocation(problem, result.assignment)
    objective, earliest = per_person(problem)
    assert result.objective == objective
    assert earliness(problem, result.assignment) == earliest


@pytest.mark.parametrize("seed", range(10))
def test_stages_equal_the_per_person_optimum_and_seat_the_earliest(seed: int) -> None:
    assert_optimal_with_ties(larger(seed))


@pytest.mark.parametrize("seed", range(6))
def test_when_the_class_counts_do_not_split_the_milp_decides(seed: int, monkeypatch) -> None:
    # As if no integer split of the relaxation's classes over the workshops existed: stage 2
    # and stage 3 fall back to their MILPs over the columns reduced-cost fixing leaves.
    monkeypatch.setattr(staged, "_fix_classes", lambda *arguments: None)
    assert_optimal_with_ties(larger(seed, pins=0))


@pytest.mark.parametrize("seed", range(6))
def test_below_a_weaker_bound_the_milps_decide_with_the_objective_kept(
    seed: int, monkeypatch
) -> None:
    # A lower bound half a unit below the LP's is still a bound: the optimal face no longer
    # applies, reduced-cost fixing keeps more columns, and stage 3 keeps Σ rank² by a row.
    relax = combinations_module.Priced.relax

    def weaker(priced) -> None:
        relax(priced)
        priced.bound -= 0.5

    monkeypatch.setattr(combinations_module.Priced, "relax", weaker)
    monkeypatch.setattr(staged, "_fix_classes", lambda *arguments: None)
    assert_optimal_with_ties(larger(seed))


@pytest.mark.parametrize("seed", range(6))
def test_a_bound_on_the_people_seated_not_reached_falls_back_to_the_exact_stage_one(
    seed: int, monkeypatch
) -> None:
    # As if the LP's bound on the people seated were one too high: stage 2 cannot seat that
    # many whole people, so stage 1 is solved exactly and stage 2 again.
    most_seated = staged.most_seated
    passes = []

    def too_high(problem, profiles, deadline, *, exact=True):
        passes.append(exact)
        seated, per_class, status = most_seated(problem, profiles, deadline, exact=exact)
        return (seated if exact else seated + 1), per_class, status

    monkeypatch.setattr(staged, "most_seated", too_high)
    problem = larger(seed)
    assert_optimal_with_ties(problem)
    if staged.lexicographic(problem):
        assert passes[:2] == [False, True]


@pytest.mark.parametrize("seed", range(6))
def test_priced_columns_give_the_same_optimum(seed: int, monkeypatch) -> None:
    # Past ALL_COLUMNS the LP starts from each profile's cheapest columns and stage 1's.
    monkeypatch.setattr(combinations_module, "ALL_COLUMNS", 0)
    monkeypatch.setattr(combinations_module, "FIRST_COLUMNS", 1)
    assert_optimal_with_ties(larger(seed, pins=0))


def test_stage_two_keeps_everyone_stage_one_seats() -> None:
    # One seat per theme: seating all three costs one of them their 3rd theme; seating two
    # would cost less in ranks (1 + 4), but one more person seated always comes first.
    workshops = [[Workshop(1, "A", 1), Workshop(2, "B", 1), Workshop(3, "C", 1)]]
    people = [Registrant(i, i, ("A", "B", "C")) for i in range(3)]
    problem = Problem.build(workshops, people)
    assert staged.lexicographic(problem)
    result = allocate(problem, model="combinations")
    assert result.seated == 3 and result.rank_counts == {1: 1, 2: 1, 3: 1}
    # The earliest get the best: registration order breaks the tie among the three.
    assert result.assignment == {0: (1,), 1: (2,), 2: (3,)}
    assert result.objective == per_person(problem)[0] == 1 + 4 + 9


def test_when_the_penalty_does_not_dominate_one_stage_keeps_the_contract() -> None:
    # Every theme asked (k = K = 2), B left unranked: it counts k + 1 = 3, so a seat costs
    # 1² + 3² = 10 > the penalty N·R·K² + 1 = 1·2·4 + 1 = 9: waiting is the optimum.
    workshops = [
        [Workshop(1, "A", 5), Workshop(2, "B", 5)],
        [Workshop(3, "A", 5), Workshop(4, "B", 5)],
    ]
    problem = Problem.build(workshops, [Registrant(1, 1, ("A",))], k=2)
    assert not staged.lexicographic(problem)
    result = allocate(problem, model="combinations")
    assert result.proven_optimal and result.seated == 0
    assert result.objective == problem.penalty == brute_force(problem) == 9
    # With a complete ranking, the penalty dominates and the person is seated.
    complete = Problem.build(workshops, [Registrant(1, 1, ("A", "B"))], k=2)
    assert staged.lexicographic(complete)
    assert allocate(complete, model="combinations").seated == 1


@pytest.mark.parametrize("seed", range(8))
def test_short_rankings_with_every_theme_asked_equal_the_per_person_optimum(seed: int) -> None:
    rng = random.Random(900 + seed)
    problem = random_problem(
        rng,
        people=rng.randint(10, 25),
        rounds=rng.randint(1, 2),
        themes=rng.randint(2, 4),
        capacity=(1, 8),
        k=99,  # every theme asked, rankings of any length up to it
    )
    result = allocate(problem, model="combinations")
    assert result.proven_optimal
    check_allocation(problem, result.assignment)
    objective, earliest = per_person(problem)
    assert result.objective == objective
    assert earliness(problem, result.assignment) == earliest


def test_a_full_event_seats_the_earliest_of_many_identical_rankings() -> None:
    # 30 people, 3 rankings, 2 rounds of 3 themes with 6 seats each: 18 seated, 12 wait; who
    # waits is decided on the LP's optimal face.
    themes = ("A", "B", "C")
    workshops = [[Workshop(10 * r + i, t, 6) for i, t in enumerate(themes)] for r in (1, 2)]
    rankings = [("A", "B", "C"), ("B", "A", "C"), ("C", "B", "A")]
    people = [Registrant(100 + i, i, rankings[i % 3]) for i in range(30)]
    problem = Problem.build(workshops, people)
    result = allocate(problem, model="combinations")
    assert result.seated == 18 and result.proven_optimal
    objective, earliest = per_person(problem)
    assert result.objective == objective
    assert earliness(problem, result.assignment) == earliest
