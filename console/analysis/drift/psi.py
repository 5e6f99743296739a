"""PSI and its divergences from shares or counts: the arithmetic every drift mode shares."""

from __future__ import annotations

import numpy as np

DEFAULT_EPSILON = 1e-4


def shares(counts: np.ndarray) -> np.ndarray:
    """Counts as shares of their total; an all-zero vector stays all zeros."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    return counts / total if total > 0 else np.zeros_like(counts)


def floor_shares(values: np.ndarray, epsilon: float = DEFAULT_EPSILON) -> np.ndarray:
    """Shares floored at `epsilon` so the log of an empty bin stays finite (no renormalising)."""
    return np.maximum(np.asarray(values, dtype=np.float64), epsilon)


def psi_terms(expected: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Per-bin PSI terms (a − e)·ln(a / e) for strictly positive shares."""
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    if expected.shape != actual.shape:
        raise ValueError(f"share vectors differ in length: {expected.size} vs {actual.size}")
    if np.any(expected <= 0) or np.any(actual <= 0):
        raise ValueError("PSI needs strictly positive shares: floor them first")
    result: np.ndarray = (actual - expected) * np.log(actual / expected)
    return result


def psi(expected: np.ndarray, actual: np.ndarray, epsilon: float = DEFAULT_EPSILON) -> float:
    """PSI of two share vectors (reference first), shares floored at `epsilon`, natural log."""
    terms = psi_terms(floor_shares(expected, epsilon), floor_shares(actual, epsilon))
    return float(terms.sum())


def psi_from_counts(
    reference_counts: np.ndarray, current_counts: np.ndarray, epsilon: float = DEFAULT_EPSILON
) -> float:
    """PSI from bin counts, so a backend can count where the data lives."""
    return psi(shares(reference_counts), shares(current_counts), epsilon)


def kl_divergence(p: np.ndarray, q: np.ndarray, base: float = np.e) -> float:
    """KL(p‖q) in the given log base; bins where p is 0 contribute nothing."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    mask = p > 0
    if np.any(q[mask] <= 0):
        return float("inf")
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])) / np.log(base))


def js_divergence(p: np.ndarray, q: np.ndarray, base: float = np.e) -> float:
    """Jensen–Shannon divergence (the squared JS distance); symmetric and bounded by ln 2."""
    p = shares(p)
    q = shares(q)
    m = 0.5 * (p + q)
    return 0.5 * kl_divergence(p, m, base) + 0.5 * kl_divergence(q, m, base)


def js_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen–Shannon distance in bits: √JSD, between 0 and 1."""
    return float(np.sqrt(max(js_divergence(p, q, base=2.0), 0.0)))
