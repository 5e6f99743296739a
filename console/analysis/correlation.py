"""Correlation of an infrastructure metric with a model metric, with lag: which moves first."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LagCorrelation:
    """The lag (in steps and seconds) at which x and y correlate most, and who leads."""

    x: str
    y: str
    step_s: float
    best_lag: int
    best_lag_s: float
    correlation: float | None
    leader: str
    by_lag: tuple[tuple[int, float | None], ...]
    points: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return asdict(self)


def align(
    x_ts: np.ndarray, x_values: np.ndarray, y_ts: np.ndarray, y_values: np.ndarray, step_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both series on one grid of `step_s` seconds (mean per cell), over their common span."""
    if step_s <= 0:
        raise ValueError(f"step must be positive, got {step_s}")
    x_ts, y_ts = np.asarray(x_ts, dtype=np.float64), np.asarray(y_ts, dtype=np.float64)
    if x_ts.size == 0 or y_ts.size == 0:
        return np.empty(0), np.empty(0), np.empty(0)
    start = max(x_ts.min(), y_ts.min())
    end = min(x_ts.max(), y_ts.max())
    if end < start:
        return np.empty(0), np.empty(0), np.empty(0)
    cells = int((end - start) // step_s) + 1
    grid = start + step_s * np.arange(cells)

    def resample(ts: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Mean of the values falling in each cell (NaN where none)."""
        index = np.floor((ts - start) / step_s).astype(np.int64)
        keep = (index >= 0) & (index < cells) & np.isfinite(values)
        sums = np.bincount(index[keep], weights=values[keep], minlength=cells)
        counts = np.bincount(index[keep], minlength=cells)
        with np.errstate(invalid="ignore"):
            return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)

    x_grid = resample(x_ts, np.asarray(x_values, dtype=np.float64))
    y_grid = resample(y_ts, np.asarray(y_values, dtype=np.float64))
    return grid, x_grid, y_grid


def _pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    """Pearson r over pairs where both are finite; None when either side is flat or too short."""
    keep = np.isfinite(a) & np.isfinite(b)
    if keep.sum() < 3:
        return None
    a, b = a[keep], b[keep]
    if np.std(a) == 0 or np.std(b) == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def lagged_correlation(
    x_ts: np.ndarray,
    x_values: np.ndarray,
    y_ts: np.ndarray,
    y_values: np.ndarray,
    *,
    step_s: float = 60.0,
    max_lag: int = 30,
    x_name: str = "x",
    y_name: str = "y",
) -> LagCorrelation:
    """corr(x[t], y[t + k]) for k in [−max_lag, max_lag]; k > 0 means x moves first.

    The strongest correlation in absolute value wins; at lag 0 or when nothing
    correlates, nobody leads.
    """
    _, x, y = align(x_ts, x_values, y_ts, y_values, step_s)
    by_lag: list[tuple[int, float | None]] = []
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            a, b = x[: x.size - lag], y[lag:]
        else:
            a, b = x[-lag:], y[: y.size + lag]
        by_lag.append((lag, _pearson(a, b) if a.size else None))
    scored = [(lag, r) for lag, r in by_lag if r is not None]
    if not scored:
        return LagCorrelation(x_name, y_name, step_s, 0, 0.0, None, "none", tuple(by_lag), x.size)
    best_lag, best = max(scored, key=lambda item: (abs(item[1]), -abs(item[0])))
    leader = x_name if best_lag > 0 else y_name if best_lag < 0 else "none"
    return LagCorrelation(
        x=x_name,
        y=y_name,
        step_s=step_s,
        best_lag=best_lag,
        best_lag_s=best_lag * step_s,
        correlation=best,
        leader=leader,
        by_lag=tuple(by_lag),
        points=int(x.size),
    )
