"""InferenceLog + SupportsLogWrite + SupportsBinCounts: windows, labels, time range, bins."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from backends.contracts import (
    InferenceLog,
    NotFoundError,
    SupportsBinCounts,
    SupportsLogWrite,
    SupportsRegister,
)
from tests.contract.factories import factories_for
from tests.contract.helpers import T0, log_rows, version

LOG = factories_for(InferenceLog, SupportsLogWrite, SupportsRegister)
BINS = factories_for(InferenceLog, SupportsLogWrite, SupportsBinCounts, SupportsRegister)
DAY = timedelta(days=1)


@pytest.fixture
def logged(backend) -> pd.DataFrame:
    """Two days of requests for `fraud`, registered with versions 1 and 2."""
    backend.register_version(version("fraud", "1"))
    backend.register_version(version("fraud", "2", 1))
    rows = log_rows(2000, T0, 2 * 86_400)
    assert backend.append("fraud", rows) == 2000
    return rows


@pytest.mark.parametrize("backend", LOG, indirect=True)
def test_window_filters_by_time(backend, logged) -> None:
    start, end = T0 + timedelta(hours=10), T0 + timedelta(hours=30)
    window = backend.window("fraud", start, end)
    expected = logged[(logged.ts >= start) & (logged.ts < end)]
    assert len(window) == len(expected) > 0
    assert window["ts"].min() >= start and window["ts"].max() < end
    assert str(window["ts"].dt.tz) == "UTC"
    assert list(window["request_id"]) == list(expected["request_id"])
    np.testing.assert_allclose(window["score"], expected["score"])
    assert window["label"].isna().all()


@pytest.mark.parametrize("backend", LOG, indirect=True)
def test_window_selects_columns_and_version(backend, logged) -> None:
    window = backend.window("fraud", T0, T0 + 2 * DAY, columns=["amount", "version"], version="2")
    assert list(window.columns) == ["amount", "version"]
    assert set(window["version"]) == {"2"}
    assert len(window) == int((logged.version == "2").sum())


@pytest.mark.parametrize("backend", LOG, indirect=True)
def test_late_labels_attach_by_request_id(backend, logged) -> None:
    ids = list(logged["request_id"][:3])
    labels = pd.DataFrame({"request_id": [*ids, "never-logged"], "label": [1, 0, 1, 1]})
    assert backend.add_labels("fraud", labels) == 3
    window = backend.window("fraud", T0, T0 + 2 * DAY, columns=["request_id", "label"])
    got = window.set_index("request_id")["label"]
    assert list(got[ids]) == [1.0, 0.0, 1.0]
    assert int(got.notna().sum()) == 3


@pytest.mark.parametrize("backend", LOG, indirect=True)
def test_time_range_is_first_and_last_logged(backend, logged) -> None:
    first, last = backend.time_range("fraud")
    assert first == logged["ts"].min().floor("us").to_pydatetime()
    assert last == logged["ts"].max().floor("us").to_pydatetime()
    backend.register_version(version("empty", "1"))
    assert backend.time_range("empty") is None


@pytest.mark.parametrize("backend", BINS, indirect=True)
def test_bin_counts_sum_to_rows_with_a_missing_bin(backend, logged) -> None:
    edges = np.array([80.0, 100.0, 120.0])
    counts = backend.bin_counts("fraud", "amount", edges, T0, T0 + DAY)
    window = logged[logged.ts < T0 + DAY]["amount"]
    assert len(counts) == len(edges) + 2
    assert counts.sum() == len(window)
    assert counts[-1] == int(window.isna().sum()) > 0
    assert counts[0] == int((window < 80).sum())


@pytest.mark.parametrize("backend", LOG, indirect=True)
def test_unknown_model_is_not_found(backend) -> None:
    with pytest.raises(NotFoundError):
        backend.window("nope", T0, T0 + DAY)
    with pytest.raises(NotFoundError):
        backend.time_range("nope")
