"""Small log and label files are merged without a reader ever seeing a row twice or losing one."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backends.embedded import EmbeddedBackend
from backends.embedded.partitions import COMPACT_AT, log_parts

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _batch(i: int) -> pd.DataFrame:
    """Two requests logged one second apart, as a server flush writes them."""
    at = pd.Timestamp(T0) + pd.Timedelta(seconds=2 * i)
    return pd.DataFrame(
        {
            "ts": [at, at + pd.Timedelta(seconds=1)],
            "request_id": [f"r{i}a", f"r{i}b"],
            "version": "1",
            "amount": [float(i), float(i)],
        }
    )


@pytest.fixture
def backend(tmp_path: Path) -> EmbeddedBackend:
    """A fresh embedded backend."""
    return EmbeddedBackend(str(tmp_path))


def test_many_small_flushes_are_merged_and_read_once(backend, tmp_path: Path) -> None:
    batches = COMPACT_AT + 5
    for i in range(batches):
        backend.append("fraud", _batch(i))
    directory = tmp_path / "inference" / "fraud"
    assert len(log_parts(directory)) < COMPACT_AT
    assert not list(directory.glob("replaces-*.json"))
    window = backend.window("fraud", T0, T0 + timedelta(days=1), columns=["ts", "request_id"])
    assert len(window) == 2 * batches
    assert window["request_id"].is_unique and window["ts"].is_monotonic_increasing


def test_a_merge_interrupted_before_deleting_shows_no_duplicates(backend, tmp_path: Path) -> None:
    for i in range(3):
        backend.append("fraud", _batch(i))
    directory = tmp_path / "inference" / "fraud"
    parts = log_parts(directory)
    victims = parts[:2]
    merged = directory / f"part-{victims[0][1]}-{victims[1][2]}-abcdef.parquet"
    pd.concat([pd.read_parquet(path) for path, _, _ in victims]).to_parquet(merged)
    (directory / "replaces-0123456789ab.json").write_text(
        json.dumps({"merged": merged.name, "replaced": [path.name for path, _, _ in victims]})
    )
    assert len(log_parts(directory)) == 2
    window = backend.window("fraud", T0, T0 + timedelta(days=1), columns=["request_id"])
    assert sorted(window["request_id"]) == sorted(f"r{i}{s}" for i in range(3) for s in "ab")
    merged.unlink()
    window = backend.window("fraud", T0, T0 + timedelta(days=1), columns=["request_id"])
    assert len(window) == 6


def test_many_label_posts_are_merged_and_the_latest_wins(backend, tmp_path: Path) -> None:
    backend.append("fraud", _batch(0))
    for i in range(COMPACT_AT + 3):
        backend.add_labels("fraud", pd.DataFrame({"request_id": ["r0a"], "label": [i % 2]}))
    backend.add_labels("fraud", pd.DataFrame({"request_id": ["r0b"], "label": [1]}))
    files = list((tmp_path / "labels" / "fraud" / "2026-11-01").glob("labels-*.parquet"))
    assert len(files) < COMPACT_AT
    window = backend.window("fraud", T0, T0 + timedelta(days=1), columns=["request_id", "label"])
    labels = dict(zip(window["request_id"], window["label"], strict=True))
    assert labels == {"r0a": float((COMPACT_AT + 2) % 2), "r0b": 1.0}


def test_a_copied_workspace_reads_the_same(backend, tmp_path: Path) -> None:
    for i in range(COMPACT_AT + 1):
        backend.append("fraud", _batch(i))
    copy = tmp_path.parent / (tmp_path.name + "-copy")
    shutil.copytree(tmp_path, copy)
    window = EmbeddedBackend(str(copy)).window("fraud", T0, T0 + timedelta(days=1))
    np.testing.assert_array_equal(
        window["amount"].to_numpy(), np.repeat(np.arange(COMPACT_AT + 1), 2)
    )


def test_a_read_racing_a_merge_is_retried(backend, monkeypatch) -> None:
    from backends.embedded import inference_log
    from backends.embedded.files import Vanished, read_parquet

    backend.append("fraud", _batch(0))
    calls: list[Path] = []

    def flaky(path: Path, columns: list[str] | None = None) -> object:
        calls.append(path)
        if len(calls) == 1:
            raise Vanished(f"{path} vanished while being read")
        return read_parquet(path, columns)

    monkeypatch.setattr(inference_log, "read_parquet", flaky)
    window = backend.window("fraud", T0, T0 + timedelta(days=1), columns=["request_id"])
    assert list(window["request_id"]) == ["r0a", "r0b"] and len(calls) == 2
