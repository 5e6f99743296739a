"""A window says what its data covers; a few live rows after a long history are not a verdict."""

from __future__ import annotations

from datetime import timedelta

from console.analysis.coverage import coverage
from console.analysis.inputs import resolve_window
from console.analysis.workspace import last_logged, model_drift
from tests.datasets.fraud_shift import END, FraudShift, fraud_shift


def _live_after_history(rows: int = 5) -> FraudShift:
    """The logged history, then `rows` live requests ten days after it ends (all shifted)."""
    data = fraud_shift()
    live = data.log.tail(rows).copy()
    live["ts"] = [END + timedelta(days=10, seconds=i) for i in range(rows)]
    live["amount"] = live["amount"] * 50
    data.backend.append("fraud", live)
    return data


def test_five_live_rows_after_a_history_are_insufficient_not_act() -> None:
    data = _live_after_history()
    model = data.model()
    start, end = resolve_window(None, None, "24h", last_logged(data.context, model.name))
    table = model_drift(data.context, model, start, end)
    assert table.n_current == 5
    assert {row.status for row in table.features} == {"insufficient"}
    assert all(row.psi is None for row in table.features)
    assert table.coverage is not None and table.coverage.rows == 5
    assert "data covers only" in table.coverage.note
    assert table.to_dict()["coverage"]["rows"] == 5


def test_a_window_straddling_history_and_live_data_names_its_gap() -> None:
    data = _live_after_history(rows=300)
    model = data.model()
    table = model_drift(data.context, model, END - timedelta(days=2), END + timedelta(days=11))
    assert table.coverage is not None
    note = table.coverage.note
    assert "no data from 11-19 23:59 to 11-30 00:00 (10 d)" in note


def test_a_full_window_has_no_coverage_note() -> None:
    stamps = fraud_shift().log["ts"]
    window = coverage(stamps[stamps >= END - timedelta(hours=24)], END - timedelta(hours=24), END)
    assert window.rows > 0 and window.note == ""
    assert coverage(stamps.iloc[:0], END - timedelta(hours=1), END).note == "no data in the window"


def test_latency_over_five_live_requests_names_no_stage_over_budget() -> None:
    from backends.contracts import STAGES
    from console.analysis.workspace import model_latency

    data = _live_after_history()
    model = data.model()
    start, end = resolve_window(None, None, "1h", last_logged(data.context, model.name))
    few = model_latency(data.context, model, start, end, STAGES)
    assert few.insufficient and few.over_budget is None
    assert "current 5 < minimum 200" in few.note
    assert few.to_dict()["stage_over_budget"] is None
    assert few.coverage is not None and few.coverage.rows == 5
    assert "data covers only" in few.to_dict()["coverage"]["note"]
    full = model_latency(data.context, model, END - timedelta(hours=24), END, STAGES)
    assert not full.insufficient and full.over_budget is not None


def test_slices_by_a_column_mark_small_groups_insufficient() -> None:
    from console.analysis.slices.metrics import metric_by_column, row_values

    log = fraud_shift().log
    frame = log[log["ts"] >= END - timedelta(hours=6)]
    table = metric_by_column(frame, "device_type", row_values(frame, "accuracy"), "accuracy")
    small = [row for row in table.slices if row.insufficient]
    assert [row.name for row in small] == ["device_type == tablet"]
    assert table.slices[-1].insufficient and "insufficient" in table.note
    assert all(row.support >= 200 for row in table.slices if not row.insufficient)
