"""MetricStore on the Prometheus HTTP API; the same API serves Thanos, Mimir and VictoriaMetrics.

Vigil's series (`requests_total`, `stage_latency_ms`, ...) map onto the
deployment's metric names and labels through a naming map (`names:` in the
context, over a default for local_serving's own exposition). Counters are read
as increases per step, histograms as `histogram_quantile` over bucket increases,
and drift as bucket counts of two windows: the counting stays in Prometheus.
A window shorter than two scrape intervals cannot hold an increase, so bucket
counts over it are `insufficient`, and a step shorter than that reads over two.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from backends.contracts import BackendError, BucketCounts, Series
from backends.discovery import Option
from backends.prometheus.api import PrometheusHttp, seconds
from backends.prometheus.naming import Mapped, naming, selector

if TYPE_CHECKING:
    import numpy as np

DEFAULT_SCRAPE_S = 60.0
__all__ = ["BucketCounts", "PrometheusMetrics"]


class PrometheusMetrics:
    """MetricStore + SupportsBucketCounts on a Prometheus-compatible server (read-only)."""

    OPTIONS: ClassVar[tuple[Option, ...]] = (
        Option("url", "url", "the server's base URL (Prometheus, Thanos Query, Mimir, VM)"),
        Option("token_env", "string", "the variable holding a bearer token", "PROMETHEUS_TOKEN"),
        Option(
            "names", "any", "Vigil series -> metric name or {metric, kind, scale, labels}", None
        ),
        Option(
            "scrape_interval_s", "number", "the scrape interval (default: ask the server)", None
        ),
        Option("timeout_s", "number", "seconds before a query gives up", 10.0),
    )

    def __init__(
        self,
        url: str,
        token_env: str = "PROMETHEUS_TOKEN",
        names: Mapping[str, Any] | None = None,
        scrape_interval_s: float | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        """Remember the server and the naming map; nothing is sent yet."""
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"prometheus url must be http(s)://, not {url!r}")
        self.url = url.rstrip("/")
        self.names = naming(names)
        self._scrape_s = float(scrape_interval_s) if scrape_interval_s else None
        self._api = PrometheusHttp(self.url, token_env, float(timeout_s))

    def __repr__(self) -> str:
        """`PrometheusMetrics('http://...')`."""
        return f"PrometheusMetrics({self.url!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._api.close()

    def scrape_interval_s(self) -> float:
        """The longest scrape interval of the active targets (or the option; 60 s if unknown)."""
        if self._scrape_s is None:
            data = self._api.get("targets", state="active")
            found = []
            for target in (data or {}).get("activeTargets", []):
                try:
                    found.append(seconds(str(target.get("scrapeInterval", ""))))
                except ValueError:
                    continue
            self._scrape_s = max(found) if found else DEFAULT_SCRAPE_S
        return self._scrape_s

    def metric_names(self) -> list[str]:
        """Vigil's names for the mapped metrics the server holds, and every other metric's name."""
        held = set(self._api.get("label/__name__/values") or [])
        mapped = {
            name
            for name, entry in self.names.items()
            if entry.metric in held or f"{entry.metric}_bucket" in held
        }
        covered = {entry.metric for entry in self.names.values()}
        raw = {name for name in held if not any(name.startswith(m) for m in covered)}
        return sorted(mapped | raw)

    def _mapped(self, name: str) -> Mapped:
        """The mapping of a Vigil series; an unmapped name is read as the metric of that name."""
        return self.names.get(name, Mapped(name))

    def _window_s(self, step_s: float) -> float:
        """The range an increase is taken over: the step, and at least two scrapes."""
        return max(float(step_s), 2 * self.scrape_interval_s())

    def query_range(
        self,
        name: str,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_s: int = 60,
    ) -> list[Series]:
        """A counter's increase per step, a histogram's count per step, or a gauge's value."""
        mapped = self._mapped(name)
        window = _duration(self._window_s(step_s))
        if mapped.kind == "counter":
            expr = f"increase({selector(mapped, labels)}[{window}])"
        elif mapped.kind == "histogram":
            expr = f"increase({selector(mapped, labels, '_count')}[{window}])"
        else:
            expr = selector(mapped, labels)
        return self._range(name, mapped, expr, start, end, step_s)

    def quantile_range(
        self,
        histogram: str,
        quantile: float,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_s: int = 60,
    ) -> list[Series]:
        """`histogram_quantile` of the bucket increases per step, in Vigil's unit."""
        mapped = self._mapped(histogram)
        window = _duration(self._window_s(step_s))
        by = ",".join(["le", *(mapped.label(k) for k in sorted(labels))])
        inner = f"sum by ({by}) (increase({selector(mapped, labels, '_bucket')}[{window}]))"
        expr = f"histogram_quantile({float(quantile)!r}, {inner})"
        if mapped.scale != 1.0:
            expr = f"({expr}) * {mapped.scale:g}"
        return self._range(histogram, mapped, expr, start, end, step_s)

    def bucket_counts(
        self, histogram: str, labels: Mapping[str, str], start: datetime, end: datetime
    ) -> BucketCounts:
        """Observations per bucket in [start, end), counted by Prometheus (drift from buckets)."""
        mapped = self._mapped(histogram)
        window_s = (end - start).total_seconds()
        least = 2 * self.scrape_interval_s()
        if window_s < least:
            reason = f"a {window_s:g} s window is shorter than two scrapes ({least:g} s)"
            return BucketCounts((), (), window_s, reason)
        buckets = selector(mapped, labels, "_bucket")
        expr = f"sum by (le) (increase({buckets}[{_duration(window_s)}]))"
        result = self._api.get("query", query=expr, time=f"{end.timestamp():.3f}")
        cumulative = sorted(
            (float(sample["metric"]["le"]), float(sample["value"][1]))
            for sample in (result or {}).get("result", [])
            if "le" in sample.get("metric", {})
        )
        if not cumulative:
            return BucketCounts((), (), window_s, f"no {mapped.metric} buckets in the window")
        edges = tuple(le for le, _ in cumulative if le != float("inf"))
        totals = [count for _, count in cumulative]
        counts = tuple(max(0.0, b - a) for a, b in zip([0.0, *totals[:-1]], totals, strict=True))
        return BucketCounts(edges, counts, window_s)

    def _range(
        self, name: str, mapped: Mapped, expr: str, start: datetime, end: datetime, step_s: float
    ) -> list[Series]:
        """Evaluate `expr` at the end of each step in [start, end]; one Series per label set."""
        import numpy as np

        step = max(1.0, float(step_s))
        first = start.timestamp() + step
        if first > end.timestamp():
            first = end.timestamp()
        data = self._api.get(
            "query_range", query=expr, start=f"{first:.3f}", end=f"{end.timestamp():.3f}", step=step
        )
        if not isinstance(data, dict) or data.get("resultType") != "matrix":
            raise BackendError(f"prometheus {self.url}: a range query did not answer a matrix")
        back = {theirs: ours for ours, theirs in mapped.labels.items()}
        out = []
        for item in data.get("result", []):
            points = item.get("values", [])
            labels = {
                back.get(k, k): str(v) for k, v in item.get("metric", {}).items() if k != "__name__"
            }
            out.append(
                Series(
                    name=name,
                    labels=labels,
                    timestamps=np.array([float(t) for t, _ in points], dtype=np.float64),
                    values=_values([v for _, v in points]),
                )
            )
        return out


def _duration(seconds_: float) -> str:
    """A PromQL range in whole milliseconds (`5018ms`): PromQL takes no fractional seconds."""
    return f"{max(1, round(seconds_ * 1000))}ms"


def _values(raw: list[Any]) -> np.ndarray:
    """Sample values (strings, NaN and ±Inf spelt as Prometheus does) as floats."""
    import numpy as np

    return np.array([float(value) for value in raw], dtype=np.float64)
