"""Drift from counts says what its window covers, equal to the rows path: DuckDB over the Parquet.

The coverage (rows, first and last request, the widest gap) comes from one
GROUP BY per minute, and from the engine's widest gap between consecutive
rows only when no gap spans more than a minute.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from backends.capabilities import names, supports
from backends.contracts import SupportsWindowCoverage
from backends.sql import SqlInferenceLog
from backends.sql.workspace import ROWS_SCHEMA
from console.analysis.coverage import coverage
from console.analysis.drift.counted import coverage_of_minutes
from console.cli import main
from tests.datasets.fraud_shift import END, requests
from tests.integration.sql.fixtures import demo_views, install_sql_context, statements_sent
from tests.integration.sql.over_workspace import duckdb_url, over_workspace

WINDOW = ("drift", "--model", "fraud-detector", "--window", "24h", "--json")
MODEL = "fraud"


def drift_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    """`vigil ... drift --json` in this process: its document (exit code 0 or 1)."""
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr().out
    assert code in (0, 1), out
    document: dict[str, Any] = json.loads(out)
    return document


@pytest.fixture
def sql_context(demo_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Context `sql` (as conftest's) reading time ranges and coverage from label-free views."""
    return install_sql_context(demo_workspace, tmp_path, monkeypatch, ROWS_SCHEMA)


def test_the_time_range_from_the_label_free_rows_is_the_same(
    demo_workspace: Path, tmp_path: Path
) -> None:
    url = demo_views(demo_workspace, tmp_path / "db", ROWS_SCHEMA)
    joined = SqlInferenceLog(url, "{model}")
    rows = SqlInferenceLog(url, "{model}", rows_table=f"{ROWS_SCHEMA}.{{model}}")
    assert supports(rows, SupportsWindowCoverage) and "SupportsWindowCoverage" in names(rows)
    try:
        with statements_sent() as sent:
            for model in ("fraud-detector", "churn-classifier", "eta-regressor"):
                assert rows.time_range(model) == joined.time_range(model) is not None
                start, end = joined.time_range(model) or (None, None)
                assert start is not None and end is not None
                assert rows.window_minutes(model, start, end) == joined.window_minutes(
                    model, start, end
                )
    finally:
        joined.close()
        rows.close()
    ranges = [s for s in sent if "min(" in s and "max(" in s and "GROUP BY" not in s]
    assert any(ROWS_SCHEMA in s for s in ranges) and any(ROWS_SCHEMA not in s for s in ranges)
    with pytest.raises(ValueError, match="rows_table"):
        SqlInferenceLog(url, "{model}", rows_table="one_table")


@pytest.mark.parametrize("slice_args", [(), ("--slice", "device_type=tablet")])
def test_vigil_drift_json_has_the_embedded_coverage(
    sql_context: str,
    demo_workspace: Path,
    capsys: pytest.CaptureFixture[str],
    slice_args: tuple[str, ...],
) -> None:
    counted = drift_json(capsys, "--context", sql_context, *WINDOW, *slice_args)
    rows = drift_json(capsys, "--workspace", str(demo_workspace), *WINDOW, *slice_args)
    assert counted["tests"] == "counts" and rows["tests"] != "counts"
    assert counted["coverage"] is not None and counted["coverage"]["rows"] > 100
    assert counted["coverage"] == rows["coverage"]


def gappy_rows() -> pd.DataFrame:
    """Requests over two hours with nothing for 40 minutes in the middle, and 3 rows at 10 s."""
    start = END - timedelta(hours=2)
    before = requests(1000, start, start + timedelta(minutes=50), 3, False)
    after = requests(300, start + timedelta(minutes=90), END, 4, False)
    late = before.iloc[:3].copy()
    late["ts"] = [END + timedelta(minutes=5, seconds=10 * i) for i in range(3)]
    frame = pd.concat([before, after, late], ignore_index=True)
    frame["request_id"] = [f"g{i}" for i in range(len(frame))]
    return frame


def windows() -> list[tuple[str, datetime, datetime]]:
    """A window with a long gap, a dense one, one of three rows, one row, and an empty one."""
    start = END - timedelta(hours=2)
    return [
        ("gap", start - timedelta(minutes=10), END + timedelta(minutes=1)),
        ("dense", start + timedelta(minutes=5), start + timedelta(minutes=45)),
        ("three rows", END + timedelta(minutes=5), END + timedelta(minutes=6)),
        ("one row", END + timedelta(minutes=5), END + timedelta(minutes=5, seconds=5)),
        ("empty", END + timedelta(hours=1), END + timedelta(hours=2)),
    ]


def test_the_engines_coverage_equals_the_rows_coverage(tmp_path: Path) -> None:
    with over_workspace(SqlInferenceLog, tmp_path, duckdb_url(tmp_path / "db")) as made:
        made.append(MODEL, gappy_rows())
        for name, start, end in windows():
            stamps = made.workspace.window(MODEL, start, end, columns=["ts"])["ts"]
            expected = coverage(stamps, start, end)
            minutes = made.log.window_minutes(MODEL, start, end)
            asked: list[bool] = []

            def widest(
                start: datetime = start, end: datetime = end, asked: list[bool] = asked
            ) -> Any:
                asked.append(True)
                return made.log.widest_gap(MODEL, start, end)

            got = coverage_of_minutes(minutes, start, end, widest)
            assert got == expected, name
            assert got.to_dict() == expected.to_dict(), name
            # the exact gap is asked for only when no gap between minutes spans over a minute
            assert bool(asked) == (name in ("dense", "three rows", "one row")), name
            if name == "gap":
                assert got.gap_start is not None and got.gap_end is not None
                assert got.gap_end - got.gap_start > timedelta(minutes=39)
                assert "no data from" in got.note
