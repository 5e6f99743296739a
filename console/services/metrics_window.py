"""Error rate and p99 over the last N minutes of data, ending at the latest data point.

The demo's history ends at a fixed instant in the past, so "the last five
minutes" means the five minutes before the newest point, and the caller shows
how old that point is instead of pretending the numbers are live.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

REQUESTS = "requests_total"
ERRORS = "errors_total"
REJECTED = "rejected_total"
LATENCY = "stage_latency_ms"
END_TO_END = "request_latency_ms"
LOOKBACK = timedelta(days=30)
COARSE_STEP_S = 3600


@dataclass(frozen=True)
class ErrorRate:
    """Errors over requests in a window that ends at the latest data point."""

    start: datetime
    end: datetime
    requests: float
    errors: float

    @property
    def rate(self) -> float | None:
        """The error fraction, or None when there was no request."""
        return self.errors / self.requests if self.requests > 0 else None


@dataclass(frozen=True)
class P99:
    """The worst per-minute p99 latency of any version in the window, and which version."""

    start: datetime
    end: datetime
    value_ms: float | None
    version: str | None
    summed_stages: bool


def _epoch(at: datetime) -> float:
    """Epoch seconds of an aware datetime."""
    return at.timestamp()


def _from_epoch(seconds: float) -> datetime:
    """An aware UTC datetime from epoch seconds."""
    return datetime.fromtimestamp(float(seconds), UTC)


def _last_timestamp(series: Iterable[Any]) -> float | None:
    """The newest timestamp over every series, or None when all are empty."""
    newest: float | None = None
    for one in series:
        if len(one.timestamps):
            top = float(max(one.timestamps))
            newest = top if newest is None else max(newest, top)
    return newest


def latest_point(metrics: Any, model: str, now: datetime) -> datetime | None:
    """When the newest `requests_total` point of `model` was written (coarse, then exact)."""
    labels = {"model": model}
    coarse = metrics.query_range(
        REQUESTS, labels, now - LOOKBACK, now + timedelta(minutes=1), step_s=COARSE_STEP_S
    )
    rough = _last_timestamp(coarse)
    if rough is None:
        return None
    around = _from_epoch(rough)
    fine = metrics.query_range(
        REQUESTS, labels, around - timedelta(hours=2), around + timedelta(hours=2), step_s=60
    )
    exact = _last_timestamp(fine)
    return _from_epoch(exact if exact is not None else rough)


def _window(end: datetime, minutes: int) -> tuple[datetime, datetime]:
    """The query range for the `minutes` minutes ending at (and including) `end`."""
    return end - timedelta(minutes=minutes) + timedelta(seconds=1), end + timedelta(seconds=1)


def _total_in(series: Iterable[Any], start: datetime, end: datetime) -> float:
    """The sum of every value whose timestamp falls in [start, end)."""
    low, high = _epoch(start), _epoch(end)
    total = 0.0
    for one in series:
        for ts, value in zip(one.timestamps, one.values, strict=False):
            if low <= float(ts) < high and value == value:
                total += float(value)
    return total


def error_rate(metrics: Any, model: str, end: datetime, minutes: int) -> ErrorRate:
    """Failed requests over all requests in the window (per-minute counts).

    A request fails when the server fails it (`errors_total`) or refuses it
    (`rejected_total`, not part of `requests_total`), so both count.
    """
    start, stop = _window(end, minutes)
    labels = {"model": model}
    requests = _total_in(metrics.query_range(REQUESTS, labels, start, stop, 60), start, stop)
    errors = _total_in(metrics.query_range(ERRORS, labels, start, stop, 60), start, stop)
    rejected = _total_in(metrics.query_range(REJECTED, labels, start, stop, 60), start, stop)
    return ErrorRate(start, end, requests + rejected, errors + rejected)


def p99(metrics: Any, model: str, end: datetime, minutes: int) -> P99:
    """The worst minute's p99 per version: `request_latency_ms` if stored, else the stage sum."""
    start, stop = _window(end, minutes)
    labels = {"model": model}
    series = metrics.quantile_range(END_TO_END, 0.99, labels, start, stop, 60)
    summed = not any(len(one.timestamps) for one in series)
    if summed:
        series = metrics.quantile_range(LATENCY, 0.99, labels, start, stop, 60)
    by_version: dict[str, dict[float, float]] = {}
    for one in series:
        per_ts = by_version.setdefault(str(one.labels.get("version", "")), {})
        for ts, value in zip(one.timestamps, one.values, strict=False):
            if value == value:
                per_ts[float(ts)] = per_ts.get(float(ts), 0.0) + float(value)
    worst: tuple[float, str] | None = None
    for version, per_ts in by_version.items():
        if per_ts:
            peak = max(per_ts.values())
            if worst is None or peak > worst[0]:
                worst = (peak, version)
    if worst is None:
        return P99(start, end, None, None, summed)
    return P99(start, end, worst[0], worst[1] or None, summed)
