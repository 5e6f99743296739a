"""KS and Wasserstein from a quantile sketch of the reference, with a guaranteed error bound.

The reference is fitted once (and cached) as its values at 4,001 evenly
spaced probabilities and its 256 smallest and largest values, with its
exact CDF just below and at each point. A
window then costs one sort of its own values and a binary search per sketch
point. Both CDFs are known exactly at the sketch points and bracketed
between them, so the true statistics lie in an interval we report:

- KS: `ks` is the largest gap seen at a sketch point (a lower bound); the
  true D is at most `ks + ks_error`.
- Wasserstein-1 (normed by the reference std): `wasserstein` is the middle
  of the interval the brackets allow, the true value within
  `± wasserstein_error`. Beyond the reference's range it is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SKETCH_POINTS = 4001
TAIL_POINTS = 256


@dataclass(frozen=True)
class Sketch:
    """Reference values at evenly spaced probabilities, and the exact CDF below and at each."""

    points: np.ndarray
    below: np.ndarray
    upto: np.ndarray
    n: int
    std: float


@dataclass(frozen=True)
class SketchTests:
    """KS and normed Wasserstein against a sketch, each with its error bound."""

    ks: float
    ks_error: float
    wasserstein: float | None
    wasserstein_error: float | None


def fit_sketch(ranked: np.ndarray, size: int = SKETCH_POINTS) -> Sketch | None:
    """The sketch of sorted finite reference values (None when there are none)."""
    from console.analysis.drift.ordered import quantiles

    n = ranked.size
    if n == 0:
        return None
    # the extreme values themselves too: the tails are where cells are widest
    spread = quantiles(ranked, np.linspace(0.0, 1.0, size))
    points = np.unique(np.concatenate((spread, ranked[:TAIL_POINTS], ranked[-TAIL_POINTS:])))
    below = np.searchsorted(ranked, points, side="left") / n
    upto = np.searchsorted(ranked, points, side="right") / n
    return Sketch(points, below, upto, n, float(np.std(ranked)))


def sketch_tests(sketch: Sketch, current: np.ndarray) -> SketchTests | None:
    """KS and normed Wasserstein of sorted finite current values against the sketch."""
    m = current.size
    if m == 0:
        return None
    q = sketch.points
    cur_below = np.searchsorted(current, q, side="left") / m
    cur_upto = np.searchsorted(current, q, side="right") / m
    ref_below, ref_upto = sketch.below, sketch.upto
    seen = max(
        float(np.max(np.abs(ref_upto - cur_upto))), float(np.max(np.abs(ref_below - cur_below)))
    )
    # between two sketch points both CDFs lie between their values at the ends
    high = np.maximum(ref_below[1:] - cur_upto[:-1], cur_below[1:] - ref_upto[:-1])
    bound = max(seen, float(np.max(high))) if q.size > 1 else seen
    ks = SketchTests(seen, bound - seen, None, None)
    if sketch.std == 0.0:
        return ks
    least, most = _wasserstein_bounds(sketch, current)
    middle = (least + most) / 2 / sketch.std
    return SketchTests(ks.ks, ks.ks_error, middle, (most - least) / 2 / sketch.std)


def _wasserstein_bounds(sketch: Sketch, current: np.ndarray) -> tuple[float, float]:
    """Bounds of ∫|F_ref − F_cur| dx, knowing F_cur exactly and F_ref within each cell's step.

    G(x) = ∫ F_cur up to x is exact from prefix sums of the sorted values, so
    ∫|F_cur − a| over a cell is exact for the reference's value `a` at the
    cell's start; the reference CDF rises by at most `b − a` inside the cell,
    which bounds the error by the cell's width × `b − a`. Beyond the
    reference's range (F_ref is 0 or 1) the integral is exact.
    """
    q = sketch.points
    m = current.size
    centre = float(np.median(q))
    prefix = np.concatenate(([0.0], np.cumsum(current - centre)))

    def integral(x: np.ndarray) -> np.ndarray:
        """G(x) − G(−∞ … q_0 start): Σ over values ≤ x of (x − value) / m."""
        k = np.searchsorted(current, x, side="right")
        result: np.ndarray = (k * (x - centre) - prefix[k]) / m
        return result

    start, stop = q[:-1], q[1:]
    a = sketch.upto[:-1]
    step = np.maximum(sketch.below[1:] - a, 0.0)
    rank = np.clip(np.ceil(a * m).astype(np.int64) - 1, 0, m - 1)
    cross = np.clip(current[rank], start, stop)
    g_start, g_cross, g_stop = integral(start), integral(cross), integral(stop)
    inside = a * (cross - start) - (g_cross - g_start) + (g_stop - g_cross) - a * (stop - cross)
    slack = (stop - start) * step
    below = float(integral(np.array([q[0]]))[0])
    above = float(np.sum(current[np.searchsorted(current, q[-1], side="right") :] - q[-1])) / m
    exact = below + above
    least = float(np.sum(np.maximum(inside - slack, 0.0))) + exact
    return least, float(np.sum(inside + slack)) + exact
