"""What an allocation is asked: rounds of workshops, registrants with rankings, pins, capacities.

Plain data and the contract's objective ("Ranked preferences" in the contract): a registrant is
seated in one workshop of every round, each of a different theme, or not at all; the cost is the
sum over rounds of (rank of the theme received)², a theme left unranked counting k + 1, plus
N·R·K² + 1 for each registrant not seated, so that seating one more person always comes first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property


class AllocationInputError(ValueError):
    """The problem itself is wrong (a theme ranked twice, a pin on an unknown workshop…)."""


@dataclass(frozen=True)
class Workshop:
    """One workshop of a round; ``capacity`` is the effective one (the smallest of the
    workshop's and its room's, :func:`effective_capacity`), ``None`` when unlimited."""

    id: int
    theme: str
    capacity: int | None = None


@dataclass(frozen=True)
class Registrant:
    """``order`` is the registration order (smaller registered earlier); ``ranking`` the theme
    keys, best first (possibly only the first k)."""

    id: int
    order: int
    ranking: tuple[str, ...]


def effective_capacity(*capacities: int | None) -> int | None:
    """The smallest of the given capacities, ``None`` (unlimited) when none is set."""
    known = [c for c in capacities if c is not None]
    return max(0, min(known)) if known else None


@dataclass(frozen=True)
class Problem:
    """An allocation to compute. ``pins`` maps a registrant id to the workshop ids they must
    have (at most one a round); a pinned registrant is always seated. ``k`` is the number of
    ranks asked (``None``: every theme)."""

    rounds: tuple[tuple[Workshop, ...], ...]
    registrants: tuple[Registrant, ...]
    event_capacity: int | None = None
    k: int | None = None
    pins: Mapping[int, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        rounds: Iterable[Iterable[Workshop]],
        registrants: Iterable[Registrant],
        *,
        event_capacity: int | None = None,
        k: int | None = None,
        pins: Mapping[int, Iterable[int]] | None = None,
    ) -> Problem:
        """A checked problem; raises :class:`AllocationInputError` on bad input."""
        problem = cls(
            rounds=tuple(tuple(r) for r in rounds),
            registrants=tuple(sorted(registrants, key=lambda r: (r.order, r.id))),
            event_capacity=event_capacity,
            k=k,
            pins={person: tuple(ws) for person, ws in (pins or {}).items()},
        )
        problem.check()
        return problem

    # -- derived figures -------------------------------------------------------------------

    @cached_property
    def themes(self) -> tuple[str, ...]:
        """Every theme key offered, in order of first appearance."""
        return tuple(dict.fromkeys(w.theme for r in self.rounds for w in r))

    @property
    def ranks_asked(self) -> int:
        """k: the number of ranks asked (every theme by default)."""
        return len(self.themes) if self.k is None else self.k

    @property
    def penalty(self) -> int:
        """N·R·K² + 1: the cost of leaving one registrant without a seat."""
        return len(self.registrants) * len(self.rounds) * len(self.themes) ** 2 + 1

    def rank(self, registrant: Registrant, theme: str) -> int:
        """The rank of ``theme`` for ``registrant`` (1 = best); k + 1 when unranked."""
        try:
            return registrant.ranking.index(theme) + 1
        except ValueError:
            return self.ranks_asked + 1

    def workshop(self, workshop_id: int) -> Workshop:
        return self._workshops[workshop_id]

    def round_of(self, workshop_id: int) -> int:
        return self._round_of[workshop_id]

    @cached_property
    def _workshops(self) -> dict[int, Workshop]:
        return {w.id: w for r in self.rounds for w in r}

    @cached_property
    def _round_of(self) -> dict[int, int]:
        return {w.id: index for index, r in enumerate(self.rounds) for w in r}

    def cost(self, registrant: Registrant, workshop_ids: Sequence[int] | None) -> int:
        """The objective's term for one registrant: Σ rank², or the penalty when not seated."""
        if workshop_ids is None:
            return self.penalty
        workshops = self._workshops
        return sum(self.rank(registrant, workshops[w].theme) ** 2 for w in workshop_ids)

    def objective(self, assignment: Mapping[int, Sequence[int]]) -> int:
        """The contract's objective for an assignment (registrant id → workshop per round)."""
        return sum(self.cost(r, assignment.get(r.id)) for r in self.registrants)

    # -- checks ----------------------------------------------------------------------------

    def check(self) -> None:
        """Raise :class:`AllocationInputError` when the problem is malformed."""
        ids = [w.id for r in self.rounds for w in r]
        if len(ids) != len(set(ids)):
            raise AllocationInputError("a workshop appears twice")
        for w in (w for r in self.rounds for w in r):
            if w.capacity is not None and w.capacity < 0:
                raise AllocationInputError(f"workshop {w.id}: negative capacity")
        if self.event_capacity is not None and self.event_capacity < 0:
            raise AllocationInputError("negative event capacity")
        themes = set(self.themes)
        if self.k is not None and not 0 <= self.k <= len(themes):
            raise AllocationInputError(f"k = {self.k} but {len(themes)} themes")
        people = [r.id for r in self.registrants]
        if len(people) != len(set(people)):
            raise AllocationInputError("a registrant appears twice")
        for person in self.registrants:
            self._check_ranking(person, themes)
        known = set(people)
        for person, workshop_ids in self.pins.items():
            self._check_pins(person, workshop_ids, known)

    def _check_ranking(self, person: Registrant, themes: set[str]) -> None:
        if len(person.ranking) != len(set(person.ranking)):
            raise AllocationInputError(f"registrant {person.id}: a theme ranked twice")
        unknown = [t for t in person.ranking if t not in themes]
        if unknown:
            raise AllocationInputError(f"registrant {person.id}: unknown theme {unknown[0]!r}")
        if len(person.ranking) > self.ranks_asked:
            raise AllocationInputError(
                f"registrant {person.id}: {len(person.ranking)} ranks, {self.ranks_asked} asked"
            )

    def _check_pins(self, person: int, workshop_ids: tuple[int, ...], known: set[int]) -> None:
        if person not in known:
            raise AllocationInputError(f"pin for unknown registrant {person}")
        workshops = self._workshops
        missing = [w for w in workshop_ids if w not in workshops]
        if missing:
            raise AllocationInputError(
                f"registrant {person}: pinned to unknown workshop {missing[0]}"
            )
        rounds = [self._round_of[w] for w in workshop_ids]
        if len(rounds) != len(set(rounds)):
            raise AllocationInputError(f"registrant {person}: two pins in one round")
        pinned_themes = [workshops[w].theme for w in workshop_ids]
        if len(pinned_themes) != len(set(pinned_themes)):
            raise AllocationInputError(f"registrant {person}: two pins on one theme")
