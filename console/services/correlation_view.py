"""The correlation screen's data: every infrastructure series against the model's metrics, with lag.

Infrastructure series are the metric store's series without a `model` label
(host metrics: memory, CPU, GC pauses, queue depth). Model metrics are the
model's mean score per bucket from the inference log, and its error count per
serving version. Each pair uses the functions of
`vigil timeline --correlate SELECTOR [--against SELECTOR] --json`
(`metric_points`, `score_points`, `lagged_correlation`, the same step and
lags), so the screen and the CLI agree number for number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from console.analysis.context import Sources
from console.services.analysis_window import AnalysisWindow, twin_command

if TYPE_CHECKING:
    from console.analysis.correlation import LagCorrelation

CORRELATION_WINDOW = "72h"
MAX_LAG = 60
MODEL_COUNTERS = ("errors_total",)


@dataclass(frozen=True)
class CorrelationPair:
    """An infrastructure series, a model metric, their lagged correlation and the CLI twin."""

    infra: str
    model_metric: str
    against: str | None
    result: LagCorrelation
    twin: str

    @property
    def strength(self) -> float:
        """|r| at the best lag (0 when nothing correlates), for ranking."""
        return abs(self.result.correlation) if self.result.correlation is not None else 0.0


@dataclass(frozen=True)
class CorrelationView:
    """Every pair, strongest first, and the series for the plot of each."""

    window: AnalysisWindow
    pairs: tuple[CorrelationPair, ...]
    step_s: float
    series: Mapping[str, tuple[np.ndarray, np.ndarray]]


def selector(name: str, labels: Mapping[str, str]) -> str:
    """`memory_used_bytes{host=serve-a}`, as `parse_selector` reads it back."""
    inner = ",".join(f"{key}={value}" for key, value in sorted(labels.items()))
    return f"{name}{{{inner}}}" if inner else name


def compute_correlation(source: Sources, window: AnalysisWindow) -> CorrelationView:
    """Correlate each infrastructure series with each model metric of the window."""
    from console.analysis.correlation import lagged_correlation
    from console.analysis.inputs import InputError
    from console.analysis.workspace import metric_points, score_points, step_for

    model = window.model
    start, end = window.start, window.end
    step = step_for(start, end)
    infra: list[str] = []
    model_series: list[str] = []
    for name in source.metrics.metric_names():
        for one in source.metrics.query_range(name, {}, start, end, step_s=int(step)):
            labels = dict(one.labels)
            owner = labels.get("model")
            if owner is None and "quantile" not in labels:
                infra.append(selector(name, labels))
            elif owner == model.name and name in MODEL_COUNTERS:
                model_series.append(selector(name, labels))
    if not infra:
        raise InputError("no infrastructure series (without a model label) in the metric store")
    series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for chosen in infra + model_series:
        series[chosen] = metric_points(source, chosen, start, end, step)
    targets: list[tuple[str, str | None]] = [(f"mean score of {model.name}", None)]
    try:
        series[targets[0][0]] = score_points(source, model, start, end, step)
    except InputError:
        targets = []
    targets += [(name, name) for name in model_series]
    pairs = []
    for x_name in infra:
        x_ts, x_values = series[x_name]
        for y_name, against in targets:
            y_ts, y_values = series[y_name]
            result = lagged_correlation(
                x_ts, x_values, y_ts, y_values, step_s=step, max_lag=MAX_LAG,
                x_name=x_name, y_name=y_name,
            )  # fmt: skip
            extra = ["--correlate", x_name, *(["--against", against] if against else [])]
            twin = twin_command("timeline", window, *extra)
            pairs.append(CorrelationPair(x_name, y_name, against, result, twin))
    pairs.sort(key=lambda pair: -pair.strength)
    return CorrelationView(window=window, pairs=tuple(pairs), step_s=step, series=series)


def aligned(view: CorrelationView, pair: CorrelationPair) -> tuple[np.ndarray, ...]:
    """Both series of a pair on one time grid (epoch seconds), as the correlation saw them."""
    from console.analysis.correlation import align

    x_ts, x_values = view.series[pair.infra]
    y_ts, y_values = view.series[pair.model_metric]
    return align(x_ts, x_values, y_ts, y_values, view.step_s)


def lead_text(pair: CorrelationPair) -> str:
    """`memory_used_bytes{host=serve-a} leads by 35 min`, or `neither leads`."""
    result = pair.result
    if result.correlation is None:
        return "no correlation (a flat or short series)"
    if result.leader == "none":
        return "neither leads (best at lag 0)"
    minutes = abs(result.best_lag_s) / 60
    return f"{result.leader} leads by {minutes:.0f} min"


def short_metric(name: str) -> str:
    """`errors_total v2` for `errors_total{model=m,version=2}`, `mean score` for the score."""
    if name.startswith("mean score"):
        return "mean score"
    base, _, labels = name.partition("{")
    version = next(
        (
            part.split("=", 1)[1]
            for part in labels.rstrip("}").split(",")
            if part.startswith("version=")
        ),
        None,
    )
    return f"{base} v{version}" if version else base


def pair_cells(pair: CorrelationPair) -> tuple[str, ...]:
    """One pair's row: the two series, r, the best lag in minutes, which side leads."""
    result = pair.result
    r = "-" if result.correlation is None else f"{result.correlation:+.2f}"
    lag = f"{result.best_lag_s / 60:+.0f} min"
    side = (
        "infra" if result.leader == pair.infra else "model" if result.leader != "none" else "none"
    )
    return (pair.infra, short_metric(pair.model_metric), r, lag, side)
