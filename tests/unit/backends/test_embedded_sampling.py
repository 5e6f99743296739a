"""A window over rows logged at different sample rates weighs every row alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backends.embedded import EmbeddedBackend

T0 = datetime(2026, 11, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
SEAM = T0 + HOUR


def _rows(n: int, start: datetime, prefix: str, rate: float | None) -> pd.DataFrame:
    """`n` requests over the hour from `start`, logged at `rate` (no column when None)."""
    offsets = np.linspace(0, 3600, n, endpoint=False)
    frame = pd.DataFrame(
        {
            "ts": pd.Timestamp(start) + pd.to_timedelta(offsets, unit="s"),
            "request_id": [f"{prefix}{i}" for i in range(n)],
            "version": "1",
            "amount": np.arange(n, dtype=float),
        }
    )
    if rate is not None:
        frame["sample_rate"] = rate
    return frame


@pytest.fixture
def backend(tmp_path: Path) -> EmbeddedBackend:
    """A log of 2,000 history rows logged at 5 %, then 20,000 live rows logged in full."""
    made = EmbeddedBackend(str(tmp_path))
    made.append("fraud", _rows(2000, T0, "h", 0.05))
    made.append("fraud", _rows(20_000, SEAM, "live-", 1.0))
    return made


def test_a_window_across_the_seam_keeps_the_live_rows_at_the_history_rate(
    backend: EmbeddedBackend,
) -> None:
    both = backend.window("fraud", T0, SEAM + HOUR)
    live = both["request_id"].str.startswith("live-")
    assert (~live).sum() == 2000
    assert 850 < live.sum() < 1150  # 5 % of 20,000, as the history was logged
    assert "sample_rate" not in both.columns


def test_a_window_on_one_side_keeps_all_its_rows(backend: EmbeddedBackend) -> None:
    assert len(backend.window("fraud", SEAM, SEAM + HOUR)) == 20_000
    assert len(backend.window("fraud", T0, SEAM)) == 2000


def test_the_same_rows_are_kept_in_every_window_and_the_rate_is_readable(
    backend: EmbeddedBackend,
) -> None:
    wide = backend.window("fraud", T0, SEAM + HOUR, columns=["request_id", "sample_rate"])
    narrower = backend.window("fraud", T0 + HOUR / 2, SEAM + HOUR, columns=["request_id"])
    kept = set(wide.loc[wide["sample_rate"] == 1.0, "request_id"])
    assert kept == set(narrower.loc[narrower["request_id"].str.startswith("live-"), "request_id"])
    labelled = backend.window("fraud", T0, SEAM + HOUR, columns=["request_id", "label"])
    assert set(labelled["request_id"]) == set(wide["request_id"])


def test_rows_without_a_rate_are_kept_as_they_are(tmp_path: Path) -> None:
    backend = EmbeddedBackend(str(tmp_path))
    backend.append("fraud", _rows(2000, T0, "old", None))
    backend.append("fraud", _rows(4000, SEAM, "new", 0.1))
    assert len(backend.window("fraud", T0, SEAM + HOUR)) == 6000
