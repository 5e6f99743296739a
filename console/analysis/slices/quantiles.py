"""Exact linear quantiles (numpy's default, SQL's percentile_cont) without partitioning every value.

A sorted strided sample brackets each order statistic the interpolation
needs; only the values inside the bracket are partitioned, and the count
below it places them. When a bracket misses (a sample unlike the whole), that
quantile falls back to a full partition, so the result is always
`np.quantile(values, q)` bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SAMPLE = 20_000
SMALL = 100_000
MARGIN_SIGMAS = 6.0


def _lerp(low: float, high: float, t: float) -> float:
    """numpy's interpolation between two order statistics (exact at both ends)."""
    diff = high - low
    return high - diff * (1 - t) if t >= 0.5 else low + diff * t


def _order_statistics(values: np.ndarray, ranks: tuple[int, int], sample: np.ndarray) -> np.ndarray:
    """The values of rank `ranks` (0-based, ascending), from a bracket when the sample allows."""
    n, m = values.size, sample.size
    low_rank, high_rank = ranks
    centre = low_rank / max(n - 1, 1) * (m - 1)
    share = min(max(centre / max(m - 1, 1), 1e-3), 1 - 1e-3)
    margin = MARGIN_SIGMAS * np.sqrt(m * share * (1 - share)) + 2
    first, last = int(max(0, np.floor(centre - margin))), int(min(m - 1, np.ceil(centre + margin)))
    below_edge, above_edge = sample[first], sample[last]
    below = int(np.count_nonzero(values < below_edge)) if first > 0 else 0
    if first == 0:
        inside = values[values <= above_edge] if last < m - 1 else values
    elif last == m - 1:
        inside = values[values >= below_edge]
    else:
        inside = values[(values >= below_edge) & (values <= above_edge)]
    wanted = [low_rank - below, high_rank - below]
    if min(wanted) < 0 or max(wanted) >= inside.size:
        inside, wanted = values.copy(), [low_rank, high_rank]
    part = np.partition(inside, wanted)
    return part[wanted]


def exact_quantiles(values: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """`np.quantile(values, quantiles)` (linear) for finite float64 values, same bits, less work."""
    n = values.size
    if n < SMALL:
        return np.quantile(values, quantiles)
    sample = np.sort(values[:: max(1, n // SAMPLE)])
    found = []
    for q in quantiles:
        position = float(q) * (n - 1)
        low_rank = int(np.floor(position))
        high_rank = min(low_rank + 1, n - 1)
        low, high = _order_statistics(values, (low_rank, high_rank), sample)
        found.append(_lerp(float(low), float(high), position - low_rank))
    return np.asarray(found, dtype=np.float64)
