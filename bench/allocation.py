"""The optimal allocation of workshop seats (issue 17): the demo day's size and a large event,
against first come, first served on the same people. Not part of `make test`.

    python -m bench.allocation [--runs N] [--large-runs N]

Rankings are drawn from a Plackett–Luce model: each theme has a popularity (theme i weighs
2^(−i/2)), and a person ranks the themes one by one, each pick in proportion to the
popularity of those left. So some themes are wanted by most and the rankings are varied (the
5,000 people below hold about 3,500 different rankings).
"""

from __future__ import annotations

import argparse
import random

from bench.timing import Figure, repeat, summarise, table
from eventapp.allocation import Allocation, Problem, Registrant, Workshop, allocate, first_come


def generated(
    people: int, rounds: int, themes: int, k: int, capacity: int, seed: int = 7
) -> Problem:
    """``rounds`` rounds offering every theme, one workshop each with ``capacity`` seats."""
    rng = random.Random(seed)
    keys = [f"theme-{i + 1}" for i in range(themes)]
    popularity = [2.0 ** (-i / 2) for i in range(themes)]
    workshops = [
        [Workshop(r * themes + i + 1, key, capacity) for i, key in enumerate(keys)]
        for r in range(rounds)
    ]
    registrants = []
    for n in range(people):
        left, weights, ranking = list(keys), list(popularity), []
        while left and len(ranking) < k:
            pick = rng.choices(range(len(left)), weights=weights)[0]
            ranking.append(left.pop(pick))
            weights.pop(pick)
        registrants.append(Registrant(n + 1, n, tuple(ranking)))
    return Problem.build(workshops, registrants, k=k)


#: name, problem arguments, runs (None: as asked)
CASES = [
    ("demo day: 150 people, 2 rounds × 4 themes, 40 seats", (150, 2, 4, 4, 40), None),
    ("5,000 people, 6 rounds × 8 workshops, k=8, 650 seats", (5000, 6, 8, 8, 650), 1),
    # 4,800 seats a round: 200 wait, so ties by registration order decide who (stage 3).
    ("5,000 people, 6 rounds × 8 workshops, k=8, 600 seats", (5000, 6, 8, 8, 600), 1),
]


def describe(result: Allocation) -> str:
    ranks = ", ".join(f"{rank}:{count}" for rank, count in result.rank_counts.items())
    return f"seated {result.seated}, waiting {len(result.waitlist)}, ranks {ranks}"


def figures(runs: int, large_runs: int) -> tuple[list[Figure], list[str]]:
    rows, notes = [], []
    for name, arguments, case_runs in CASES:
        problem = generated(*arguments)
        results: list[Allocation] = []
        times = repeat(
            lambda problem=problem, results=results: results.append(allocate(problem)),
            runs=case_runs and large_runs or runs,
            warmup=0 if case_runs else 1,
        )
        median, spread = summarise(times)
        best = results[-1]
        simulated = first_come(problem)
        proof = f"{best.status}, gap {best.mip_gap}"
        rows.append(Figure(f"allocation: {name}", median, spread, "ms", note=proof))
        notes.append(f"{name}\n  optimal:    {describe(best)}; objective {best.objective}")
        notes.append(f"  first come: {describe(simulated)}; objective {simulated.objective}")
    return rows, notes


def run(app: object, runs: int) -> list[Figure]:
    """The `make bench` section (needs no application)."""
    rows, _ = figures(runs, 1)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--large-runs", type=int, default=1)
    arguments = parser.parse_args()
    rows, notes = figures(arguments.runs, arguments.large_runs)
    print(table(rows))
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    main()
