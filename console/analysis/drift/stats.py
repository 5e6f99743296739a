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
