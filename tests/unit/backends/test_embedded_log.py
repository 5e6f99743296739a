"""The Parquet inference log: day partitions, file pruning, label updates, bins, references."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backends.contracts import BackendError, FeatureSpec, Lineage, ModelVersion, NotFoundError
from backends.embedded import EmbeddedBackend

T0 = datetime(2026, 11, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def _rows(n: int, start: datetime, span_s: float, prefix: str = "r") -> pd.DataFrame:
    """`n` requests evenly spread over `span_s` seconds."""
    offsets = np.linspace(0, span_s, n, endpoint=False)
    return pd.DataFrame(
        {
            "ts": pd.Timestamp(start) + pd.to_timedelta(offsets, unit="s"),
            "request_id": [f"{prefix}{i}" for i in range(n)],
            "version": "1",
            "country": (["US", "FR", None, "JP"] * n)[:n],
            "amount": np.arange(n, dtype=float),
        }
    )


@pytest.fixture
def backend(tmp_path: Path) -> EmbeddedBackend:
    """An embedded backend with `fraud` registered (champion 1, then 2)."""
    made = EmbeddedBackend(str(tmp_path))
    lineage = Lineage("c", "d", "k", "e")
    made.register_version(ModelVersion("fraud", "1", T0, "onnx", "a", lineage, ("champion",)))
    made.register_version(ModelVersion("fraud", "2", T0 + DAY, "torch", "b", lineage))
    return made


def test_one_file_per_day_and_a_window_opens_only_its_days(backend, tmp_path: Path) -> None:
    rows = _rows(300, T0, 3 * 86_400)
    backend.append("fraud", rows)
    files = sorted((tmp_path / "inference" / "fraud").glob("part-*.parquet"))
    assert len(files) == 3
    files[2].write_bytes(b"not parquet")
    window = backend.window("fraud", T0, T0 + DAY + timedelta(hours=1), columns=["amount"])
    assert len(window) == int((rows.ts < T0 + DAY + timedelta(hours=1)).sum()) == 105
    with pytest.raises(BackendError, match="cannot read"):
        backend.window("fraud", T0, T0 + 3 * DAY)


def test_naive_times_are_utc_and_epoch_seconds_work(backend) -> None:
    naive = _rows(2, T0, 60).assign(ts=lambda f: f.ts.dt.tz_localize(None))
    epoch = _rows(2, T0 + DAY, 60, "e").assign(ts=[(T0 + DAY).timestamp(), (T0 + DAY).timestamp()])
    backend.append("fraud", naive)
    backend.append("fraud", epoch)
    window = backend.window("fraud", T0, T0 + 2 * DAY, columns=["ts", "request_id"])
    assert window["ts"].iloc[0].to_pydatetime() == T0
    assert window["ts"].iloc[-1].to_pydatetime() == T0 + DAY


def test_a_later_label_replaces_an_earlier_one(backend) -> None:
    backend.append("fraud", _rows(4, T0, 60).assign(label=[1.0, np.nan, 0.0, np.nan]))
    backend.add_labels("fraud", pd.DataFrame({"request_id": ["r1", "r2"], "label": [1, 1]}))
    backend.add_labels("fraud", pd.DataFrame({"request_id": ["r1"], "label": [0]}))
    labels = backend.window("fraud", T0, T0 + DAY, columns=["label"])["label"].tolist()
    assert labels[:3] == [1.0, 0.0, 1.0] and np.isnan(labels[3])


def test_categorical_bins_count_unseen_and_missing(backend) -> None:
    backend.append("fraud", _rows(8, T0, 60))
    counts = backend.bin_counts(
        "fraud", "country", np.array(["US", "FR"], dtype=object), T0, T0 + DAY
    )
    assert counts.tolist() == [2, 2, 2, 2]


def test_values_on_an_edge_fall_in_the_upper_bin(backend) -> None:
    backend.append("fraud", _rows(4, T0, 60))
    counts = backend.bin_counts("fraud", "amount", np.array([1.0, 2.0]), T0, T0 + DAY)
    assert counts.tolist() == [1, 1, 2, 0]
    with pytest.raises(ValueError, match="ascending"):
        backend.bin_counts("fraud", "amount", np.array([2.0, 1.0]), T0, T0 + DAY)


def test_unknown_columns_and_bad_rows_are_clear_errors(backend) -> None:
    backend.append("fraud", _rows(4, T0, 60))
    with pytest.raises(NotFoundError, match="'amout'"):
        backend.window("fraud", T0, T0 + DAY, columns=["amout"])
    with pytest.raises(ValueError, match="request_id"):
        backend.append("fraud", pd.DataFrame({"ts": [T0], "version": ["1"]}))
    with pytest.raises(ValueError, match="not a valid name"):
        backend.append("../etc", _rows(1, T0, 1))


def test_an_empty_window_has_the_asked_columns(backend) -> None:
    window = backend.window("fraud", T0, T0 + DAY, columns=["ts", "score", "label"])
    assert list(window.columns) == ["ts", "score", "label"] and window.empty


def test_reference_defaults_to_the_champion(backend) -> None:
    backend.write_reference("fraud", "1", pd.DataFrame({"amount": [1.0, 2.0], "label": [0, 1]}))
    backend.write_reference("fraud", "2", pd.DataFrame({"amount": [5.0], "label": [1]}))
    assert backend.reference("fraud")["amount"].tolist() == [1.0, 2.0]
    assert backend.reference("fraud", "2")["amount"].tolist() == [5.0]
    with pytest.raises(NotFoundError):
        backend.reference("fraud", "9")


def test_freshness_follows_the_declared_features(backend) -> None:
    backend.upsert_model("fraud", features=[FeatureSpec("amount", "numeric")])
    backend.append("fraud", _rows(10, T0, 3600))
    fresh = backend.freshness("fraud")
    assert list(fresh) == ["amount"]
    assert fresh["amount"] == T0 + timedelta(seconds=3240)


def test_upsert_model_sets_the_operational_fields(backend) -> None:
    backend.upsert_model(
        "fraud",
        task="binary-classification",
        description="card fraud",
        slo_p99_ms=100.0,
        features=[FeatureSpec("amount", "numeric"), FeatureSpec("country", "categorical")],
        latency_budget_ms={"network": 15, "inference": 45},
    )
    model = backend.get_model("fraud")
    assert (model.description, model.slo_p99_ms) == ("card fraud", 100.0)
    assert [f.kind for f in model.features] == ["numeric", "categorical"]
    assert dict(model.latency_budget_ms) == {"network": 15.0, "inference": 45.0}
    assert len(model.versions) == 2
    with pytest.raises(ValueError, match="task"):
        backend.upsert_model("fraud", task="ranking")
