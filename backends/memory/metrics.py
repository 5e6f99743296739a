"""MetricStore and SupportsMetricWrite in memory: points per labelled series, step averages.

Steps and quantile labels follow the embedded store (its `downsample` and
`quantile_label`), so both answer a query the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from backends.contracts import Series
from backends.memory.base import MemoryState

if TYPE_CHECKING:
    import pandas as pd

RAW_STEP_S = 60
Gauge = Callable[[str, Mapping[str, str]], float | None]
SeriesKey = tuple[str, tuple[tuple[str, str], ...]]


class MemoryMetrics(MemoryState):
    """Points by (name, labels); or a gauge function answering every query with one point.

    With a gauge, `query_range` asks it for (name, labels) and `quantile_range`
    for (`<histogram>:p<q>`, labels), e.g. `stage_latency_ms:p0.99`.
    """

    def __init__(self) -> None:
        """No points and no gauge."""
        super().__init__()
        self._points: dict[SeriesKey, list[tuple[float, float]]] = {}
        self.gauge: Gauge | None = None

    def metric_names(self) -> list[str]:
        """Every metric name held."""
        self._check("metrics")
        with self._lock:
            return sorted({name for name, _ in self._points})

    def write_points(self, frame: pd.DataFrame) -> int:
        """Append rows with columns name, labels (dict), ts (epoch s), value."""
        self._check("metrics")
        missing = [c for c in ("name", "labels", "ts", "value") if c not in frame.columns]
        if missing:
            raise ValueError(f"write_points needs columns {', '.join(missing)}")
        rows = list(zip(frame["name"], frame["labels"], frame["ts"], frame["value"], strict=True))
        with self._lock:
            for name, labels, ts, value in rows:
                key = (str(name), tuple(sorted((str(k), str(v)) for k, v in dict(labels).items())))
                self._points.setdefault(key, []).append((float(ts), float(value)))
        return len(rows)

    def query_range(
        self,
        name: str,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_s: int = 60,
    ) -> list[Series]:
        """Series whose labels include `labels`; steps over 60 s average the points per step."""
        import numpy as np

        from backends.embedded.metrics import downsample

        self._check("metrics")
        if step_s <= 0:
            raise ValueError("step_s must be positive")
        if self.gauge is not None:
            return self._gauge_series(name, labels, end)
        wanted = {str(k): str(v) for k, v in labels.items()}
        lo, hi = start.timestamp(), end.timestamp()
        found = []
        with self._lock:
            held = [(key, sorted(points)) for key, points in self._points.items()]
        for (series_name, series_labels), points in held:
            labels_dict = dict(series_labels)
            if series_name != name or any(labels_dict.get(k) != v for k, v in wanted.items()):
                continue
            inside = [(ts, value) for ts, value in points if lo <= ts < hi]
            if not inside:
                continue
            ts = np.array([p[0] for p in inside])
            values = np.array([p[1] for p in inside])
            if step_s > RAW_STEP_S:
                ts, values = downsample(ts, values, step_s)
            found.append(Series(name, labels_dict, ts, values))
        return found

    def quantile_range(
        self,
        histogram: str,
        quantile: float,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_s: int = 60,
    ) -> list[Series]:
        """The series of `histogram` whose `quantile` label is the quantile (`0.99`)."""
        from backends.embedded.metrics import quantile_label

        if not 0.0 <= float(quantile) <= 1.0:
            raise ValueError(f"quantile must be within [0, 1], got {quantile}")
        if self.gauge is not None:
            self._check("metrics")
            return self._gauge_series(f"{histogram}:p{quantile:g}", labels, end)
        matcher = {**labels, "quantile": quantile_label(quantile)}
        return self.query_range(histogram, matcher, start, end, step_s)

    def _gauge_series(self, name: str, labels: Mapping[str, str], end: datetime) -> list[Series]:
        """One point at `end` from the gauge, or no series when it answers None."""
        import numpy as np

        value = self.gauge(name, labels) if self.gauge is not None else None
        if value is None:
            return []
        return [Series(name, dict(labels), np.array([end.timestamp()]), np.array([float(value)]))]
