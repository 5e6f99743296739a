"""The overview's error rate: requests the server failed and requests it refused both count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from backends.memory import MemoryBackend
from console.services.metrics_window import error_rate

END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _store(rows: list[tuple[str, dict[str, str], float]]) -> MemoryBackend:
    """A metric store with one point per row, at each of the five minutes up to END."""
    backend = MemoryBackend()
    minutes = [(END - timedelta(minutes=m)).timestamp() for m in range(5)]
    backend.write_points(
        pd.DataFrame(
            [
                {"name": name, "labels": labels, "ts": ts, "value": value}
                for name, labels, value in rows
                for ts in minutes
            ]
        )
    )
    return backend


def test_refused_requests_count_as_failed_requests() -> None:
    served = {"model": "m", "version": "2"}
    store = _store(
        [
            ("requests_total", served, 98.0),
            ("errors_total", served, 1.0),
            ("rejected_total", {"model": "m", "code": "400"}, 2.0),
            ("rejected_total", {"model": "other", "code": "400"}, 50.0),
        ]
    )
    rate = error_rate(store, "m", END, 5)
    assert rate.requests == pytest.approx(5 * 100)
    assert rate.errors == pytest.approx(5 * 3)
    assert rate.rate == pytest.approx(0.03)


def test_a_store_without_refusals_reads_errors_over_requests() -> None:
    served = {"model": "m", "version": "2"}
    store = _store([("requests_total", served, 200.0), ("errors_total", served, 1.0)])
    assert error_rate(store, "m", END, 5).rate == pytest.approx(0.005)
