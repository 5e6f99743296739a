"""Slices on the SQL log over DuckDB: grouped counts cross, rows do not, and the tables agree."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from backends.contracts import FeatureSpec, Model
from backends.sql import SqlInferenceLog
from backends.sql.workspace import workspace_views
from console.analysis.slices import SliceTable
from console.cli import main
from console.services.slices_view import SliceMetricChoice, SliceOptions, read_slices
from tests.contract.helpers import version
from tests.integration.backends.contexts import install_context
from tests.integration.sql.counts import DAY, T0, logged_rows
from tests.integration.sql.over_workspace import LogOverWorkspace, duckdb_url

MODEL = Model(
    "fraud",
    "binary-classification",
    (),
    features=(
        FeatureSpec("amount", "numeric"),
        FeatureSpec("age", "numeric"),
        FeatureSpec("country", "categorical"),
    ),
)
NOW = (T0 + DAY / 2, T0 + 2 * DAY)
BEFORE = (T0, T0 + DAY / 2)
CHOICES = [
    SliceMetricChoice("accuracy"),
    SliceMetricChoice("error_rate"),
    SliceMetricChoice("mean_score"),
    SliceMetricChoice("brier"),
    SliceMetricChoice("latency", "inference_ms"),
]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LogOverWorkspace]:
    """Two days of `fraud` requests (NaN, ±inf, None, half labelled), read by the SQL log too."""
    folder = tmp_path_factory.mktemp("duckdb-slices")
    made = LogOverWorkspace(SqlInferenceLog, folder, duckdb_url(folder))
    try:
        made.register_version(version("fraud", "1"))
        made.append("fraud", planted(logged_rows(6000, seed=1, shift=8.0)))
        yield made
    finally:
        made.close()


def planted(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows where BR, and large amounts on version 2, are wrong, scored high and slow."""
    rng = np.random.default_rng(5)
    bad = (rows["country"] == "BR").to_numpy() | (
        (rows["amount"] > 110).to_numpy() & (rows["version"] == "2").to_numpy()
    )
    bad &= rng.random(len(rows)) < 0.8
    labelled = rows["label"].notna().to_numpy()
    truth = rows["label"].fillna(0).to_numpy()
    good = rng.random(len(rows)) < 0.85
    prediction = np.where(bad | ~good, 1 - truth, truth)
    return rows.assign(
        prediction=np.where(labelled, prediction, rows["prediction"]),
        score=np.where(bad, np.where(truth == 0, 0.95, 0.6), rows["score"] / 2),
        inference_ms=rows["inference_ms"] + np.where(bad, 20.0, 0.0),
    )


def _sent(run):
    """The statements DuckDB received while `run()` ran, and its result."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if conn.dialect.name == "duckdb":
            sent.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        result = run()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    return sent, result


def assert_same_table(got: SliceTable, expected: SliceTable) -> None:
    """Same slices in the same order with the same supports; numbers to float rounding."""
    assert (got.metric_name, got.n, got.note) == (expected.metric_name, expected.n, expected.note)
    assert got.overall == pytest.approx(expected.overall, rel=1e-9)
    assert [s.name for s in got.slices] == [s.name for s in expected.slices]
    for mine, theirs in zip(got.slices, expected.slices, strict=True):
        assert (mine.support, mine.baseline_support) == (theirs.support, theirs.baseline_support)
        for field in ("metric", "delta", "share", "ci_low", "ci_high", "score", "baseline_metric"):
            value = getattr(theirs, field)
            close = pytest.approx(value, rel=1e-9, abs=1e-12) if value is not None else None
            assert getattr(mine, field) == close, (mine.name, field)


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
    sent, read = _sent(lambda: read_slices(source, MODEL, NOW, choice))
    grouped = [s for s in sent if "GROUPING SETS" in s]
    assert len(grouped) == 1 and "percentile_cont" in " ".join(sent).lower()
    assert len(sent) == 3, sent  # the columns (an empty window), the profile, the counts
    assert sum(1 for s in sent if "GROUP BY" not in s and "count(" not in s.lower()) == 1
    sent, _ = _sent(lambda: read_slices(source, MODEL, NOW, choice, BEFORE))
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


@pytest.fixture
def sql_context(demo_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Context `sql`: the demo's registry, its Parquet log read by DuckDB."""
    url = f"duckdb:///{tmp_path / 'log.duckdb'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for statement in workspace_views(demo_workspace, "duckdb"):
            connection.exec_driver_sql(statement)
    engine.dispose()
    embedded = {"type": "embedded", "workspace": str(demo_workspace)}
    install_context(
        tmp_path,
        monkeypatch,
        "sql",
        {
            "registry": embedded,
            "features": embedded,
            "inference_log": {"type": "sql", "url": url, "table": "{model}"},
        },
    )
    return "sql"


@pytest.mark.parametrize(
    "extra",
    [(), ("--metric", "mean_score", "--baseline-window", "2026-11-18T00:00Z/2026-11-19T00:00Z")],
    ids=["accuracy", "mean-score-against-a-day"],
)
def test_vigil_slices_on_a_sql_log_prints_the_embedded_numbers(
    sql_context: str,
    demo_workspace: Path,
    capsys: pytest.CaptureFixture[str],
    extra: tuple[str, ...],
) -> None:
    argv = ["slices", "--model", "fraud-detector", "--window", "3d", *extra, "--json"]
    sent, code = _sent(lambda: main(["--context", sql_context, *argv]))
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
