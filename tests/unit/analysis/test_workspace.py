"""Gathering through a context: the reference cache, PSI over time, latency fallbacks, models."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from backends.contracts import STAGES
from console.analysis.drift import REFERENCE_CACHE, drift_table, fit_reference
from console.analysis.inputs import InputError, parse_duration, parse_interval, resolve_window
from console.analysis.workspace import model_drift, model_latency, pick_model, psi_series
from tests.contract.helpers import points
from tests.datasets.fraud_shift import DROP, END, fraud_shift


def test_model_drift_fits_the_reference_once_per_version() -> None:
    data = fraud_shift()
    context = data.context
    REFERENCE_CACHE.clear()
    misses = REFERENCE_CACHE.misses
    first = model_drift(context, data.model(), DROP, END)
    second = model_drift(context, data.model(), DROP, END)
    assert REFERENCE_CACHE.misses == misses + 1
    assert [r.psi for r in first.features] == [r.psi for r in second.features]
    assert first.features[0].feature == "amount"
    with pytest.raises(InputError, match="unknown feature"):
        model_drift(context, data.model(), DROP, END, columns=["nope"])


def test_psi_over_time_rises_after_the_shift() -> None:
    data = fraud_shift()
    fit = fit_reference(data.reference, ["amount"])["amount"]
    start = END - timedelta(days=4)
    points = psi_series(fit, data.log, start, 6 * 3600.0)
    assert points is not None
    before = points.values[points.timestamps < DROP.timestamp()]
    after = points.values[points.timestamps >= DROP.timestamp()]
    assert np.nanmean(after) > 1.5 * np.nanmean(before)
    last = data.log[data.log["ts"] >= END - timedelta(hours=6)]
    expected = drift_table(data.reference, last, ["amount"]).features[0].psi
    assert points.values[-1] == pytest.approx(expected, rel=1e-12)


def test_latency_falls_back_to_metric_p99s() -> None:
    data = fraud_shift(timings=False)
    for stage in STAGES:
        value = 60.0 if stage == "feature_fetch" else 1.0
        labels = {"model": "fraud", "stage": stage, "quantile": "0.99"}
        data.backend.write_points(points("stage_latency_ms", labels, DROP, [value, value]))
    result = model_latency(data.context, data.model(), DROP, END, STAGES)
    assert result.over_budget is not None and result.over_budget.stage == "feature_fetch"
    assert "only p99s" in result.note


def test_pick_model_and_windows() -> None:
    context = fraud_shift(default_model=None).context
    assert pick_model(context, None).name == "fraud"
    assert parse_duration("90m") == timedelta(minutes=90)
    start, end = resolve_window(None, None, "24h", END)
    assert end - start == timedelta(hours=24) and end > END
    assert parse_interval("2026-11-19T00:00:00Z/2026-11-20T00:00:00Z")[1] == END
    for bad in ("tomorrow", "-3h"):
        with pytest.raises(InputError):
            parse_duration(bad)
    with pytest.raises(InputError, match="not both"):
        resolve_window("2026-11-19T00:00:00Z", None, "24h", END)
    with pytest.raises(InputError, match="after"):
        parse_interval("2026-11-20T00:00:00Z/2026-11-19T00:00:00Z")


def test_selectors_and_correlation_with_the_model_score() -> None:
    from console.analysis.workspace import correlate, parse_selector

    assert parse_selector("memory_used_bytes") == ("memory_used_bytes", {})
    assert parse_selector('lat{stage="fetch", quantile=0.99}') == (
        "lat",
        {"stage": "fetch", "quantile": "0.99"},
    )
    for bad in ("lat{stage}", "{x=1}", "lat{"):
        with pytest.raises(InputError):
            parse_selector(bad)
    data = fraud_shift()
    result = correlate(
        data.context,
        data.model(),
        "memory_used_bytes{host=serve-a}",
        None,
        END - timedelta(days=4),
        END,
        max_lag=20,
    )
    assert result.points > 100 and len(result.by_lag) == 41
    assert result.y == "mean score of fraud"
    assert result.correlation is not None and result.correlation > 0


def test_windows_align_to_whole_minutes_and_hold_exactly_their_duration() -> None:
    from datetime import UTC, datetime

    import pandas as pd

    last = datetime(2026, 11, 19, 23, 59, 41, 250_000, tzinfo=UTC)
    start, end = resolve_window(None, None, "24h", last)
    assert (start, end) == (datetime(2026, 11, 19, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))
    on_the_minute = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
    start, end = resolve_window(None, None, "1h", on_the_minute)
    assert start <= on_the_minute < end and (start.second, end.second) == (0, 0)
    every_minute = pd.date_range(end - timedelta(hours=30), end, freq="1min", inclusive="left")
    inside = every_minute[(every_minute >= start) & (every_minute < end)]
    assert len(inside) == 60
    _, stop = resolve_window("2026-11-19T06:00:00Z", None, None, last)
    assert stop == datetime(2026, 11, 20, tzinfo=UTC)
