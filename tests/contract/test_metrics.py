"""MetricStore + SupportsMetricWrite: round trip, label matching, quantiles, downsampling."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from backends.contracts import MetricStore, SupportsMetricWrite
from tests.contract.factories import factories_for
from tests.contract.helpers import T0, points

METRICS = factories_for(MetricStore, SupportsMetricWrite)
HOUR = timedelta(hours=1)
SEC = timedelta(seconds=1)


@pytest.mark.parametrize("backend", METRICS, indirect=True)
def test_points_round_trip_with_label_matching(backend) -> None:
    v1 = {"model": "fraud", "version": "1"}
    v2 = {"model": "fraud", "version": "2"}
    frame = pd.concat(
        [points("requests", v1, T0, [1.0, 2.0, 3.0]), points("requests", v2, T0, [7.0, 8.0])]
    )
    assert backend.write_points(frame) == 5
    both = backend.query_range("requests", {"model": "fraud"}, T0, T0 + HOUR)
    assert sorted(s.labels["version"] for s in both) == ["1", "2"]
    (one,) = backend.query_range("requests", {"version": "2"}, T0, T0 + HOUR)
    assert dict(one.labels) == v2
    np.testing.assert_array_equal(one.values, [7.0, 8.0])
    np.testing.assert_array_equal(one.timestamps, [T0.timestamp(), T0.timestamp() + 60])
    assert backend.query_range("requests", {"version": "3"}, T0, T0 + HOUR) == []
    assert backend.query_range("latency", {}, T0, T0 + HOUR) == []
    assert "requests" in backend.metric_names()


@pytest.mark.parametrize("backend", METRICS, indirect=True)
def test_range_end_is_exclusive(backend) -> None:
    backend.write_points(points("requests", {"m": "a"}, T0, [1.0, 2.0, 3.0]))
    (series,) = backend.query_range("requests", {}, T0 + 60 * SEC, T0 + 120 * SEC)
    np.testing.assert_array_equal(series.values, [2.0])


@pytest.mark.parametrize("backend", METRICS, indirect=True)
def test_quantile_range_picks_the_quantile_series(backend) -> None:
    labels = {"model": "fraud", "stage": "inference"}
    frame = pd.concat(
        [
            points("stage_latency_ms", {**labels, "quantile": "0.5"}, T0, [10.0, 11.0]),
            points("stage_latency_ms", {**labels, "quantile": "0.99"}, T0, [40.0, 90.0]),
        ]
    )
    backend.write_points(frame)
    (p99,) = backend.quantile_range("stage_latency_ms", 0.99, {"stage": "inference"}, T0, T0 + HOUR)
    np.testing.assert_array_equal(p99.values, [40.0, 90.0])
    assert p99.labels["quantile"] == "0.99"
    (p50,) = backend.quantile_range("stage_latency_ms", 0.5, labels, T0, T0 + HOUR)
    np.testing.assert_array_equal(p50.values, [10.0, 11.0])


@pytest.mark.parametrize("backend", METRICS, indirect=True)
def test_a_longer_step_averages_each_step(backend) -> None:
    backend.write_points(points("qps", {"m": "a"}, T0, [float(i) for i in range(10)]))
    (series,) = backend.query_range("qps", {}, T0, T0 + HOUR, step_s=300)
    np.testing.assert_allclose(series.values, [2.0, 7.0])
    np.testing.assert_array_equal(series.timestamps, [T0.timestamp(), T0.timestamp() + 300])
