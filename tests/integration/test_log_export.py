"""`vigil log export`: a logged window to Parquet or CSV, refusing what would lose or mislead."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from backends.embedded import EmbeddedBackend
from console.cli import main

WINDOW = ["--model", "fraud-detector", "--start", "2026-11-19T12:00:00Z"]
WINDOW += ["--end", "2026-11-19T13:00:00Z"]


def _window(workspace: Path) -> pd.DataFrame:
    """The same hour read straight from the backend."""
    backend = EmbeddedBackend(workspace=str(workspace))
    try:
        start = datetime(2026, 11, 19, 12, tzinfo=UTC)
        return backend.window("fraud-detector", start, datetime(2026, 11, 19, 13, tzinfo=UTC))
    finally:
        backend.close()


def test_csv_with_labels_holds_the_window_and_its_labels(
    demo_workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "hour.csv"
    args = ["--workspace", str(demo_workspace), "log", "export", str(out), "--with-labels"]
    assert main([*args, *WINDOW, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    expected = _window(demo_workspace)
    written = pd.read_csv(out)
    assert summary["rows"] == len(written) == len(expected) > 0
    assert (
        summary["labelled"]
        == int(written["label"].notna().sum())
        == expected["label"].notna().sum()
    )
    assert set(written["request_id"]) == set(expected["request_id"])
    assert {"amount", "device_type", "score", "prediction", "feature_fetch_ms"} <= set(written)


def test_parquet_without_labels_and_the_refusals(
    demo_workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "hour.parquet"
    base = ["--workspace", str(demo_workspace), "log", "export"]
    assert main([*base, str(out), *WINDOW]) == 0
    written = pd.read_parquet(out)
    assert "label" not in written and len(written) == len(_window(demo_workspace))
    assert "wrote" in capsys.readouterr().err

    out.write_bytes(b"mine")
    assert main([*base, str(out), *WINDOW]) == 2
    assert "exists (use --force" in capsys.readouterr().err
    assert out.read_bytes() == b"mine"
    assert main([*base, str(out), *WINDOW, "--force"]) == 0
    assert len(pd.read_parquet(out)) == len(written)

    assert main([*base, str(tmp_path / "hour.xlsx"), *WINDOW]) == 2
    assert "unknown format .xlsx" in capsys.readouterr().err
    early = ["--model", "fraud-detector", "--start", "2020-01-01T00:00:00Z"]
    early += ["--end", "2020-01-02T00:00:00Z"]
    assert main([*base, str(tmp_path / "empty.csv"), *early]) == 2
    assert "nothing written" in capsys.readouterr().err
    assert main([*base, str(tmp_path / "nowhere" / "x.csv"), *WINDOW]) == 2
    assert not (tmp_path / "empty.csv").exists() and not (tmp_path / "hour.xlsx").exists()
    assert not list(tmp_path.glob(".*.tmp"))
