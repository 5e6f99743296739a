"""PSI bit-compatible with Evidently 0.7.23 (`stattest="psi"`), for comparing with its reports.

Numeric columns with more than 20 distinct reference values get equal-width
Sturges bins over reference + current combined; other columns are compared
value by value. Empty shares become 0.0001 (or the smallest non-empty share
/ 10⁶ when that is smaller), natural log. Missing and infinite values are
dropped first, as Evidently's drift preset does.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from console.analysis.drift.reference import CATEGORICAL, NUMERIC, as_float, as_text

EVIDENTLY_EPSILON = 1e-4
MAX_DISCRETE = 20


@dataclass(frozen=True)
class EvidentlyBins:
    """Shares of both samples in Evidently's bins, the PSI, and how the column was treated."""

    reference_shares: np.ndarray
    current_shares: np.ndarray
    labels: tuple[str, ...]
    treated_as: str
    dropped_reference: int
    dropped_current: int

    @property
    def terms(self) -> np.ndarray:
        """Per-bin terms (r − c)·ln(r / c), Evidently's sign convention (same value)."""
        ref, cur = self.reference_shares, self.current_shares
        result: np.ndarray = (ref - cur) * np.log(ref / cur)
        return result

    @property
    def psi(self) -> float:
        """The PSI, summed as Evidently sums it."""
        return float(np.sum(self.terms))


def fill_zeroes(values: np.ndarray) -> np.ndarray:
    """Evidently's empty-bin rule: 0.0001, or min non-zero share / 10⁶ if that is ≤ 0.0001."""
    nonzero = values[values != 0]
    if nonzero.size == 0:
        return np.full_like(values, EVIDENTLY_EPSILON)
    smallest = float(nonzero.min())
    fill = smallest / 10**6 if smallest <= EVIDENTLY_EPSILON else EVIDENTLY_EPSILON
    return np.where(values == 0, fill, values)


def _clean(series: pd.Series, kind: str) -> pd.Series:
    """Drop missing and infinite values (numeric) or missing values (categorical)."""
    if kind == NUMERIC:
        values = as_float(series)
        return pd.Series(values[np.isfinite(values)])
    return as_text(series).dropna()


def evidently_bins(reference: pd.Series, current: pd.Series, kind: str) -> EvidentlyBins:
    """Bin both samples the way Evidently 0.7.23 does; raises ValueError on an empty side."""
    ref = _clean(reference, kind)
    cur = _clean(current, kind)
    if ref.empty or cur.empty:
        side = "reference" if ref.empty else "current"
        raise ValueError(f"no usable values in the {side} sample")
    dropped = (int(reference.size - ref.size), int(current.size - cur.size))
    if kind == NUMERIC and ref.nunique() > MAX_DISCRETE:
        combined = np.concatenate((ref.to_numpy(), cur.to_numpy()))
        edges = np.histogram_bin_edges(combined, bins="sturges")
        ref_shares = np.histogram(ref.to_numpy(), edges)[0] / len(ref)
        cur_shares = np.histogram(cur.to_numpy(), edges)[0] / len(cur)
        labels = tuple(f"[{lo:.6g}, {hi:.6g})" for lo, hi in itertools.pairwise(edges))
        treated = NUMERIC
    else:
        keys = sorted(set(ref.unique()) | set(cur.unique()), key=str)
        ref_counts = ref.value_counts()
        cur_counts = cur.value_counts()
        ref_shares = np.array([ref_counts.get(key, 0) / len(ref) for key in keys], dtype=float)
        cur_shares = np.array([cur_counts.get(key, 0) / len(cur) for key in keys], dtype=float)
        labels = tuple(str(key) for key in keys)
        treated = CATEGORICAL
    return EvidentlyBins(
        fill_zeroes(ref_shares), fill_zeroes(cur_shares), labels, treated, *dropped
    )


def evidently_psi(reference: pd.Series, current: pd.Series, kind: str = NUMERIC) -> float:
    """Evidently 0.7.23's PSI for one column."""
    return evidently_bins(reference, current, kind).psi
