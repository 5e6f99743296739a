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


def exact_tests(reference: np.ndarray, current: np.ndarray) -> tuple[TestResult, float | None]:
    """Exact KS (D and p-value) and normed Wasserstein-1 of two sorted finite samples.

    One stable merge of the two sorted samples gives F_ref − F_cur after every
    point: D is its largest magnitude at the end of a run of ties, and W1 its
    integral. The p-value is scipy's exact one up to 10 000 values a side,
    else the asymptotic kstwo.sf(D, round(n·m / (n + m))).
    """
    from scipy import stats

    n, m = reference.size, current.size
    if n == 0 or m == 0:
        return TestResult(None), None
    merged = np.concatenate((reference, current))
    ranks = np.argsort(merged, kind="stable")
    points = merged[ranks]
    del merged
    gap = np.where(ranks < n, 1.0 / n, -1.0 / m)
    del ranks
    np.cumsum(gap, out=gap)
    np.abs(gap, out=gap)
    ends = np.empty(points.size, dtype=bool)
    np.not_equal(points[1:], points[:-1], out=ends[:-1])
    ends[-1] = True
    statistic = float(np.max(gap[ends]))
    del ends
    if max(n, m) <= EXACT_KS_LIMIT:
        pvalue = ks_test(reference, current).pvalue
    else:
        pvalue = float(stats.kstwo.sf(statistic, np.round(n * m / (n + m))))
    scale = float(np.std(reference))
    steps = np.diff(points)
    del points
    distance = float(np.dot(gap[:-1], steps)) / scale if scale else None
    return TestResult(statistic, min(max(pvalue or 0.0, 0.0), 1.0)), distance


def chi_square(reference_counts: np.ndarray, current_counts: np.ndarray) -> TestResult:
    """Chi-square test of homogeneity on a 2×k table of counts (empty columns dropped).

    Pearson's statistic without continuity correction, as
    `scipy.stats.chi2_contingency(correction=False)`; the p-value from
    `scipy.special.chdtrc`, which imports in a fraction of scipy.stats' time.
    """
    from scipy.special import chdtrc

    table = np.vstack((reference_counts, current_counts)).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or np.any(table.sum(axis=1) == 0):
        return TestResult(None)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    return TestResult(statistic, float(chdtrc(table.shape[1] - 1, statistic)))


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
