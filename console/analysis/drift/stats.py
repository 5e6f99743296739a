"""The other drift statistics: KS, Jensen–Shannon, chi-square and normed Wasserstein."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from console.analysis.drift.psi import js_distance

KS_GATE = 0.1


@dataclass(frozen=True)
class TestResult:
    """A statistic and its p-value (None when the test does not apply)."""

    statistic: float | None
    pvalue: float | None = None


def ks_test(reference: np.ndarray, current: np.ndarray) -> TestResult:
    """Two-sample Kolmogorov–Smirnov on finite values: D and its p-value."""
    from scipy import stats

    reference = reference[np.isfinite(reference)]
    current = current[np.isfinite(current)]
    if reference.size == 0 or current.size == 0:
        return TestResult(None)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "ks_2samp: Exact calculation", RuntimeWarning)
        result = stats.ks_2samp(reference, current)
    return TestResult(float(result.statistic), float(result.pvalue))


EXACT_KS_LIMIT = 10_000


def ks_sorted(reference: np.ndarray, current: np.ndarray) -> TestResult:
    """KS against an already sorted reference: one sort of the current sample, O(n log n).

    The same D as scipy's ks_2samp; the p-value is its asymptotic one
    (kstwo.sf(D, round(n·m / (n + m)))), or scipy's own test up to 10 000 a side.
    """
    from scipy import stats

    current = np.sort(current[np.isfinite(current)])
    n, m = reference.size, current.size
    if n == 0 or m == 0:
        return TestResult(None)
    if max(n, m) <= EXACT_KS_LIMIT:
        return ks_test(reference, current)
    points = np.concatenate((reference, current))
    ref_cdf = np.searchsorted(reference, points, side="right") / n
    cur_cdf = np.searchsorted(current, points, side="right") / m
    statistic = float(np.max(np.abs(ref_cdf - cur_cdf)))
    pvalue = float(stats.kstwo.sf(statistic, np.round(n * m / (n + m))))
    return TestResult(statistic, min(max(pvalue, 0.0), 1.0))


def wasserstein_sorted(reference: np.ndarray, current: np.ndarray) -> float | None:
    """Wasserstein-1 normed by the reference std, against an already sorted reference."""
    current = np.sort(current[np.isfinite(current)])
    if reference.size == 0 or current.size == 0:
        return None
    scale = float(np.std(reference))
    if scale == 0.0:
        return None
    points = np.sort(np.concatenate((reference, current)), kind="stable")
    deltas = np.diff(points)
    ref_cdf = np.searchsorted(reference, points[:-1], side="right") / reference.size
    cur_cdf = np.searchsorted(current, points[:-1], side="right") / current.size
    return float(np.sum(np.abs(ref_cdf - cur_cdf) * deltas)) / scale


def wasserstein_normed(reference: np.ndarray, current: np.ndarray) -> float | None:
    """Earth mover's distance divided by the reference standard deviation (None if constant)."""
    from scipy import stats

    reference = reference[np.isfinite(reference)]
    current = current[np.isfinite(current)]
    if reference.size == 0 or current.size == 0:
        return None
    scale = float(np.std(reference))
    if scale == 0.0:
        return None
    return float(stats.wasserstein_distance(reference, current)) / scale


def chi_square(reference_counts: np.ndarray, current_counts: np.ndarray) -> TestResult:
    """Chi-square test of homogeneity on a 2×k table of counts (empty columns dropped)."""
    from scipy import stats

    table = np.vstack((reference_counts, current_counts)).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or np.any(table.sum(axis=1) == 0):
        return TestResult(None)
    statistic, pvalue, _, _ = stats.chi2_contingency(table, correction=False)
    return TestResult(float(statistic), float(pvalue))


def js_from_counts(reference_counts: np.ndarray, current_counts: np.ndarray) -> float | None:
    """Jensen–Shannon distance (bits) between two count vectors; None when one is empty."""
    if reference_counts.sum() == 0 or current_counts.sum() == 0:
        return None
    return js_distance(reference_counts, current_counts)


def ks_gate(statistics: Mapping[str, float | None], limit: float = KS_GATE) -> list[str]:
    """Every feature whose KS D is strictly over `limit`, as `"{feature}: KS={D:.3f}"`."""
    return [
        f"{feature}: KS={value:.3f}"
        for feature, value in statistics.items()
        if value is not None and value > limit
    ]
