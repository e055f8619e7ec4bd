"""Ranked preferences → the optimal seating in workshops: pure functions, no Flask, no database.

:func:`allocate` computes the allocation optimal for the contract's objective (an exact MILP
solved by HiGHS through ``scipy.optimize.milp``); :func:`first_come` simulates first come,
first served on the same people, for comparison.
"""

from eventapp.allocation.problem import (
    AllocationInputError,
    Problem,
    Registrant,
    Workshop,
    effective_capacity,
)
from eventapp.allocation.result import Allocation
from eventapp.allocation.solver import allocate, first_come

__all__ = [
    "Allocation",
    "AllocationInputError",
    "Problem",
    "Registrant",
    "Workshop",
    "allocate",
    "effective_capacity",
    "first_come",
]
