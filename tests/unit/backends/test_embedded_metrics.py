"""The embedded metric store's write path: label forms, series identity, NaN, bad input."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backends.embedded import EmbeddedBackend
from backends.embedded.metrics import downsample, quantile_label

T0 = datetime(2026, 11, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def backend(tmp_path: Path) -> EmbeddedBackend:
    """A fresh embedded backend."""
    return EmbeddedBackend(str(tmp_path))


def test_equal_labels_in_any_form_share_one_series(backend, tmp_path: Path) -> None:
    base = T0.timestamp()
    frame = pd.DataFrame(
        {
            "name": "qps",
            "labels": [{"b": "2", "a": "1"}, {"a": "1", "b": "2"}, json.dumps({"a": 1, "b": 2})],
            "ts": [base, base + 60, base + 120],
            "value": [1.0, 2.0, 3.0],
        }
    )
    assert backend.write_points(frame) == 3
    backend.write_points(frame.assign(ts=frame.ts + 180))
    (series,) = backend.query_range("qps", {"a": "1"}, T0, T0 + HOUR)
    np.testing.assert_array_equal(series.values, [1, 2, 3, 1, 2, 3])
    with sqlite3.connect(tmp_path / "vigil.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM series").fetchone() == (1,)


def test_points_across_days_and_out_of_order_come_back_sorted(backend) -> None:
    stamps = [T0.timestamp() + 86_400 + 60, T0.timestamp() + 30, T0.timestamp() + 86_400]
    frame = pd.DataFrame({"name": "x", "labels": [{}] * 3, "ts": stamps, "value": [3.0, 1.0, 2.0]})
    backend.write_points(frame)
    (series,) = backend.query_range("x", {}, T0, T0 + 2 * timedelta(days=1))
    np.testing.assert_array_equal(series.values, [1.0, 2.0, 3.0])
    assert list(series.timestamps) == sorted(stamps)


def test_nan_values_survive_and_are_ignored_when_averaging(backend) -> None:
    base = T0.timestamp()
    frame = pd.DataFrame(
        {
            "name": "x",
            "labels": [{}] * 3,
            "ts": [base, base + 60, base + 120],
            "value": [1.0, np.nan, 3.0],
        }
    )
    backend.write_points(frame)
    (raw,) = backend.query_range("x", {}, T0, T0 + HOUR)
    assert np.isnan(raw.values[1])
    (averaged,) = backend.query_range("x", {}, T0, T0 + HOUR, step_s=600)
    np.testing.assert_allclose(averaged.values, [2.0])


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (pd.DataFrame({"name": ["x"], "ts": [1.0], "value": [1.0]}), "labels"),
        (pd.DataFrame({"name": ["x"], "labels": [{}], "ts": ["soon"], "value": [1]}), "numeric"),
        (pd.DataFrame({"name": ["x"], "labels": [[1]], "ts": [1.0], "value": [1]}), "mapping"),
        (pd.DataFrame({"name": ["x"], "labels": ["{"], "ts": [1.0], "value": [1]}), "JSON"),
    ],
)
def test_bad_frames_are_refused_with_a_reason(backend, frame, reason) -> None:
    with pytest.raises(ValueError, match=reason):
        backend.write_points(frame)
    assert backend.metric_names() == []


def test_downsample_and_quantile_label() -> None:
    starts, means = downsample(np.array([0.0, 60, 300, 360]), np.array([1.0, 3, np.nan, 5]), 300)
    np.testing.assert_array_equal(starts, [0.0, 300.0])
    np.testing.assert_allclose(means, [2.0, 5.0])
    assert [quantile_label(q) for q in (0.99, 0.5, 1)] == ["0.99", "0.5", "1.0"]


def test_a_bad_step_or_quantile_is_refused(backend) -> None:
    with pytest.raises(ValueError, match="step_s"):
        backend.query_range("x", {}, T0, T0 + HOUR, step_s=0)
    with pytest.raises(ValueError, match="quantile"):
        backend.quantile_range("x", 99, {}, T0, T0 + HOUR)


def test_datetime_timestamps_are_read_as_epoch_seconds(backend) -> None:
    stamps = pd.to_datetime([T0, T0 + timedelta(minutes=1)], utc=True)
    frame = pd.DataFrame({"name": "x", "labels": [{}] * 2, "ts": stamps, "value": [1.0, 2.0]})
    backend.write_points(frame)
    (series,) = backend.query_range("x", {}, T0, T0 + HOUR)
    np.testing.assert_array_equal(series.timestamps, [T0.timestamp(), T0.timestamp() + 60])


def test_per_minute_rollups_are_merged_into_one_block(backend, tmp_path: Path) -> None:
    base = T0.timestamp()
    for minute in range(150):
        labels = [{"model": "fraud", "quantile": "0.99"}, {"model": "churn", "quantile": "0.99"}]
        frame = pd.DataFrame(
            {
                "name": "p99",
                "labels": labels,
                "ts": base + 60.0 * minute,
                "value": [minute, -minute],
            }
        )
        backend.write_points(frame)
    with sqlite3.connect(tmp_path / "vigil.db") as conn:
        blocks = conn.execute("SELECT COUNT(*) FROM point_block").fetchone()[0]
    assert blocks < 2 * 60
    (fraud,) = backend.quantile_range("p99", 0.99, {"model": "fraud"}, T0, T0 + 3 * HOUR)
    np.testing.assert_array_equal(fraud.values, np.arange(150, dtype=float))
    np.testing.assert_array_equal(fraud.timestamps, base + 60.0 * np.arange(150))
