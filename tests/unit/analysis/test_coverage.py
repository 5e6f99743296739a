"""A window says what its data covers; a few live rows after a long history are not a verdict."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from console.analysis.coverage import coverage
from console.analysis.inputs import resolve_window
from console.analysis.workspace import last_logged, model_drift
from tests.unit.analysis.fake_context import END, FakeContext


def _live_after_history(rows: int = 5) -> FakeContext:
    """The fake history, then `rows` live requests ten days after it ends (all shifted)."""
    context = FakeContext()
    live = context.log.tail(rows).copy()
    live["ts"] = [END + timedelta(days=10, seconds=i) for i in range(rows)]
    live["amount"] = live["amount"] * 50
    context.log = pd.concat([context.log, live], ignore_index=True)
    return context


def test_five_live_rows_after_a_history_are_insufficient_not_act() -> None:
    context = _live_after_history()
    model = context.model()
    start, end = resolve_window(None, None, "24h", last_logged(context, model.name))
    table = model_drift(context, model, start, end)
    assert table.n_current == 5
    assert {row.status for row in table.features} == {"insufficient"}
    assert all(row.psi is None for row in table.features)
    assert table.coverage is not None and table.coverage.rows == 5
    assert "data covers only" in table.coverage.note
    assert table.to_dict()["coverage"]["rows"] == 5


def test_a_window_straddling_history_and_live_data_names_its_gap() -> None:
    context = _live_after_history(rows=300)
    model = context.model()
    table = model_drift(context, model, END - timedelta(days=2), END + timedelta(days=11))
    assert table.coverage is not None
    note = table.coverage.note
    assert "no data from 11-19 23:59 to 11-30 00:00 (10 d)" in note


def test_a_full_window_has_no_coverage_note() -> None:
    context = FakeContext()
    stamps = context.log["ts"]
    window = coverage(stamps[stamps >= END - timedelta(hours=24)], END - timedelta(hours=24), END)
    assert window.rows > 0 and window.note == ""
    assert coverage(stamps.iloc[:0], END - timedelta(hours=1), END).note == "no data in the window"
