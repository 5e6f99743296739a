"""A numeric column sorted once: quantiles, bin counts and CDFs then cost a binary search.

Sorting a million float64 values takes about as long as one `searchsorted`
pass of them into ten bin edges, and after it every count the drift table
needs (the quantile edges, the bins of PSI, the reference and current CDFs
of KS and Wasserstein) is a handful of binary searches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Ordered:
    """A column's values sorted, NaN cut off: −inf first, the finite values, +inf last."""

    values: np.ndarray
    missing: int
    first: int
    stop: int

    @property
    def finite(self) -> np.ndarray:
        """The finite values, sorted (a view)."""
        return self.values[self.first : self.stop]

    @property
    def infinite(self) -> int:
        """How many values were ±inf."""
        return int(self.first + self.values.size - self.stop)

    @property
    def n(self) -> int:
        """Every value, missing included."""
        return int(self.values.size + self.missing)


def order(values: np.ndarray) -> Ordered:
    """Sort once (NaN goes last in numpy's order) and find where the finite values lie."""
    ranked = np.sort(np.asarray(values, dtype=np.float64))
    present = int(np.searchsorted(ranked, np.inf, side="right"))
    kept = ranked[:present]
    first = int(np.searchsorted(kept, -np.inf, side="right"))
    stop = int(np.searchsorted(kept, np.inf, side="left"))
    return Ordered(kept, int(ranked.size - present), first, stop)


def quantiles(ranked: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """`np.quantile(…, method="linear")` of already sorted finite values, without a partition."""
    n = ranked.size
    q = np.asarray(probabilities, dtype=np.float64)
    virtual = (n - 1) * q
    floor = np.floor(virtual)
    beyond = virtual >= n - 1
    below = np.where(beyond, n - 1, np.maximum(floor, 0)).astype(np.int64)
    above = np.where(beyond, n - 1, np.maximum(floor + 1, 0)).astype(np.int64)
    gamma = virtual - np.where(beyond, -1, floor)
    low, high = ranked[below], ranked[above]
    step = high - low
    result: np.ndarray = np.where(gamma >= 0.5, high - step * (1 - gamma), low + step * gamma)
    return result


def bin_counts(column: Ordered, edges: np.ndarray) -> np.ndarray:
    """Counts in the open bins around `edges` (±inf in the outer ones), then the missing bin.

    The layout of `count_numeric`: a value equal to an edge belongs to the
    bin that edge opens.
    """
    cuts = np.searchsorted(column.values, edges, side="left")
    bounds = np.concatenate(([0], cuts, [column.values.size]))
    return np.concatenate((np.diff(bounds), [column.missing])).astype(np.int64)
