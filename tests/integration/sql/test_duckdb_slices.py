"""Slices on the SQL log over DuckDB: grouped counts cross, rows do not, and the tables agree."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from console.cli import main
from console.services.slices_view import SliceMetricChoice, SliceOptions, read_slices
from tests.integration.sql.counts import DAY, T0, logged_rows
from tests.integration.sql.fixtures import fraud_log, statements_sent
from tests.integration.sql.over_workspace import LogOverWorkspace, duckdb_url
from tests.integration.sql.slices_data import (
    BEFORE,
    CHOICES,
    MODEL,
    NOW,
    assert_same_table,
    planted,
)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LogOverWorkspace]:
    """Two days of `fraud` requests (NaN, ±inf, None, half labelled), read by the SQL log too."""
    folder = tmp_path_factory.mktemp("duckdb-slices")
    with fraud_log(
        folder, duckdb_url(folder), planted(logged_rows(6000, seed=1, shift=8.0))
    ) as made:
        yield made


@pytest.mark.parametrize("choice", CHOICES, ids=lambda c: c.label.replace(" ", "-"))
@pytest.mark.parametrize("compared", [False, True], ids=["window", "against-baseline"])
def test_slices_from_grouped_counts_equal_slices_from_rows(
    both: LogOverWorkspace, choice: SliceMetricChoice, compared: bool
) -> None:
    baseline = BEFORE if compared else None
    options = SliceOptions(min_support=20, top=40)
    rows = read_slices(SimpleNamespace(inference_log=both.workspace), MODEL, NOW, choice, baseline)
    assert not rows.pushed_down and rows.table.slices
    counted = read_slices(SimpleNamespace(inference_log=both.log), MODEL, NOW, choice, baseline)
    assert counted.pushed_down and counted.frame is None and counted.rows == rows.rows
    assert_same_table(counted.table, rows.table)
    wider = read_slices(
        SimpleNamespace(inference_log=both.log), MODEL, NOW, choice, baseline, options
    )
    assert_same_table(
        wider.table,
        read_slices(
            SimpleNamespace(inference_log=both.workspace), MODEL, NOW, choice, baseline, options
        ).table,
    )
    names = {p.column for s in wider.table.slices for p in s.predicates}
    assert {"amount", "country"} <= names or choice.metric != "accuracy"


def test_a_window_is_a_profile_and_one_grouping_sets_statement(both: LogOverWorkspace) -> None:
    source = SimpleNamespace(inference_log=both.log)
    choice = SliceMetricChoice("accuracy")
    read_slices(source, MODEL, NOW, choice)  # the table's columns are read once
    with statements_sent("duckdb") as sent:
        read = read_slices(source, MODEL, NOW, choice)
    grouped = [s for s in sent if "GROUPING SETS" in s]
    assert len(grouped) == 1 and "percentile_cont" in " ".join(sent).lower()
    assert len(sent) == 3, sent  # the columns (an empty window), the profile, the counts
    assert sum(1 for s in sent if "GROUP BY" not in s and "count(" not in s.lower()) == 1
    with statements_sent("duckdb") as sent:
        read_slices(source, MODEL, NOW, choice, BEFORE)
    assert sum("GROUPING SETS" in s for s in sent) == 2 and len(sent) == 4
    assert read.table.slices


def test_a_column_the_log_does_not_have_is_a_clear_error(both: LogOverWorkspace) -> None:
    from console.analysis.inputs import InputError

    source = SimpleNamespace(inference_log=both.log)
    with pytest.raises(InputError, match="column\\(s\\) not found: ghost"):
        read_slices(
            source, MODEL, NOW, SliceMetricChoice("accuracy"), options=SliceOptions(("ghost",))
        )
    with pytest.raises(InputError, match="no requests logged"):
        read_slices(source, MODEL, (T0 + 9 * DAY, T0 + 10 * DAY), SliceMetricChoice("accuracy"))


@pytest.mark.parametrize(
    "extra",
    [
        (),
        ("--metric", "mean_score", "--baseline-window", "2026-11-18T00:00Z/2026-11-19T00:00Z"),
        ("--by", "device_type"),
    ],
    ids=["accuracy", "mean-score-against-a-day", "by-device-type"],
)
def test_vigil_slices_on_a_sql_log_prints_the_embedded_numbers(
    sql_context: str,
    demo_workspace: Path,
    capsys: pytest.CaptureFixture[str],
    extra: tuple[str, ...],
) -> None:
    argv = ["slices", "--model", "fraud-detector", "--window", "3d", *extra, "--json"]
    with statements_sent("duckdb") as sent:
        code = main(["--context", sql_context, *argv])
    counted = json.loads(capsys.readouterr().out)
    assert code == 0 and any("GROUPING SETS" in s for s in sent)
    assert main(["--workspace", str(demo_workspace), *argv]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert counted["slices"] and counted["source"] == rows["source"]
    assert (counted["n"], counted["note"]) == (rows["n"], rows["note"])
    assert [s["name"] for s in counted["slices"]] == [s["name"] for s in rows["slices"]]
    for mine, theirs in zip(counted["slices"], rows["slices"], strict=True):
        assert mine["support"] == theirs["support"]
        assert mine["metric"] == pytest.approx(theirs["metric"], rel=1e-9)
        assert mine["score"] == pytest.approx(theirs["score"], rel=1e-9)


def test_the_drill_down_is_the_slice_rows_filtered_by_the_engine(both: LogOverWorkspace) -> None:
    from console.analysis.slices import Predicate
    from console.services.analysis_window import AnalysisWindow
    from console.services.slices_view import slice_requests

    window = AnalysisWindow(MODEL, NOW[0], NOW[1], "2026-11-01T12:00..2026-11-03T00:00", None)
    slices = [
        [Predicate("country", "==", "BR")],
        [Predicate("country", "is", "missing")],
        [Predicate("amount", "is", "missing")],
        [Predicate("amount", "in", "(-inf, 95)")],
        [Predicate("amount", "in", "[110, inf)"), Predicate("version", "==", "2")],
    ]
    window_rows = len(both.workspace.window("fraud", *NOW))
    embedded, sql = (SimpleNamespace(inference_log=log) for log in (both.workspace, both.log))
    for predicates in slices:
        expected = slice_requests(embedded, window, predicates)
        with statements_sent("duckdb") as sent:
            got = slice_requests(sql, window, predicates)
        reads = [s for s in sent if "WHERE 1 = 0" not in s]  # the first read learns the columns
        assert len(reads) == 1 and "GROUP BY" not in reads[0] and "WHERE" in reads[0]
        assert 0 < len(got) < window_rows
        assert got["request_id"].tolist() == expected["request_id"].tolist(), predicates
        assert list(got.columns) == list(expected.columns)
    logged = both.workspace.window("fraud", *NOW)
    top = slice_requests(sql, window, [Predicate("amount", "in", "[110, inf)")])
    assert int((logged["amount"] == np.inf).sum()) == int((top["amount"] == np.inf).sum()) > 0


@pytest.mark.parametrize("column", ["country", "amount", "age", "version", "inference_ms"])
@pytest.mark.parametrize(
    "choice", [SliceMetricChoice("accuracy"), SliceMetricChoice("latency", "inference_ms")]
)
def test_the_per_value_table_from_grouped_counts_equals_the_rows_one(
    both: LogOverWorkspace, column: str, choice: SliceMetricChoice
) -> None:
    from console.services.slices_view import read_by_column

    rows = read_by_column(SimpleNamespace(inference_log=both.workspace), MODEL, NOW, choice, column)
    with statements_sent("duckdb") as sent:
        counted = read_by_column(
            SimpleNamespace(inference_log=both.log), MODEL, NOW, choice, column
        )
    assert counted.pushed_down and not rows.pushed_down and counted.rows == rows.rows
    assert sum("GROUPING SETS" in s for s in sent) == 1
    assert len(rows.table.slices) >= 2 and rows.table.slices[0].support
    assert_same_table(counted.table, rows.table)
    assert counted.table.overall_from_slices == pytest.approx(rows.table.overall_from_slices)
    assert [s.insufficient for s in counted.table.slices] == [
        s.insufficient for s in rows.table.slices
    ]
