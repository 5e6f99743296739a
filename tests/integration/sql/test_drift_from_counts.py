"""`vigil drift` on a SQL inference log: counts cross, rows do not, and the numbers are the same."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import pytest

from console.cli import main
from console.config import resolve_context
from console.services.drift import (
    DriftRequest,
    analysis_context,
    compute_drift,
    feature_distribution,
    modes_for,
    psi_history,
)
from console.tui.screens.drift import number
from tests.integration.sql.fixtures import statements_sent

WINDOW = ("--model", "fraud-detector", "--window", "24h", "--json")
SAME = (
    *("psi", "status", "js", "chi2", "chi2_pvalue", "n_reference", "n_current", "bins"),
    *("missing_current", "unseen_current", "infinite_current", "labels", "terms"),
)


def _drift(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    """Run `vigil ... drift` in this process; its exit code and JSON."""
    code = main([*argv])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip().startswith("{") else {}


def test_drift_from_pushed_down_counts_equals_the_embedded_backend(
    sql_context: str, demo_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with statements_sent("duckdb") as sent:
        code, counted = _drift(capsys, "--context", sql_context, "drift", *WINDOW)
    assert code == 0
    embedded_code, rows = _drift(capsys, "--workspace", str(demo_workspace), "drift", *WINDOW)
    assert embedded_code == 0
    assert (
        counted["tests"] == "counts"
        and "counted by the inference log's engine" in (counted["source"])
    )
    got = {row["feature"]: row for row in counted["features"]}
    expected = {row["feature"]: row for row in rows["features"]}
    assert set(got) == set(expected) and len(got) >= 5
    for feature, row in expected.items():
        for field in SAME:
            assert got[feature][field] == pytest.approx(row[field], rel=1e-12), (feature, field)
        if row["kind"] == "numeric":  # the embedded log has KS from its sketch; counts have none
            assert row["ks"] is not None
            assert got[feature]["ks"] is None and got[feature]["wasserstein"] is None
            assert "from counts" in got[feature]["note"]
    assert counted["n_current"] == rows["n_current"] > 10_000
    # the coverage: rows per minute, then (no gap over a minute) the widest gap, one row
    coverage = [s for s in sent if "date_trunc" in s or "lag(" in s]
    counting = [s for s in sent if "GROUP BY" in s and s not in coverage]
    assert len(counting) == 1, "one statement counts the whole window"
    assert 1 <= len(coverage) <= 2 and all("LIMIT" in s for s in coverage if "lag(" in s)
    ordered = [s for s in sent if "GROUP BY" not in s and "ORDER BY" in s and s not in coverage]
    assert not ordered, "no rows were read"
    assert len(sent) <= 6  # the columns once, the time range, the counts, the coverage


def test_a_categorical_slice_is_filtered_in_the_engine(
    sql_context: str, demo_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tablet = ("--slice", "device_type=tablet")
    with statements_sent("duckdb") as sent:
        code, sliced = _drift(capsys, "--context", sql_context, "drift", *WINDOW, *tablet)
    assert code == 0 and sliced["tests"] == "counts"
    assert sliced["slice"] == ["device_type == tablet"]
    code, rows = _drift(capsys, "--workspace", str(demo_workspace), "drift", *WINDOW, *tablet)
    assert code == 0
    got = {row["feature"]: row for row in sliced["features"]}
    expected = {row["feature"]: row for row in rows["features"]}
    assert set(got) == set(expected) and "device_type" not in got
    for feature, row in expected.items():
        for field in SAME:
            assert got[feature][field] == pytest.approx(row[field], rel=1e-12), (feature, field)
    assert expected["amount"]["status"] == "act"  # the demo's incident: amount inside tablets
    (counting,) = [s for s in sent if "GROUP BY" in s and "date_trunc" not in s]
    assert "device_type" in counting.split("GROUP BY")[0]  # the filter is in the statement


def test_what_needs_rows_still_reads_them_from_the_sql_log(
    sql_context: str, demo_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    earlier = ("--reference-window", "2026-11-17T00:00:00Z/2026-11-18T00:00:00Z")
    code, counted = _drift(capsys, "--context", sql_context, "drift", *WINDOW, *earlier)
    assert code == 0 and counted["tests"] == "sketch"
    code, rows = _drift(capsys, "--workspace", str(demo_workspace), "drift", *WINDOW, *earlier)
    assert code == 0
    assert [r["psi"] for r in counted["features"]] == pytest.approx(
        [r["psi"] for r in rows["features"]], rel=1e-12
    )


def test_the_drift_screen_service_counts_in_the_engine_too(
    sql_context: str, demo_workspace: Path
) -> None:
    sql = analysis_context(resolve_context(argparse.Namespace(context=sql_context)))
    embedded = analysis_context(resolve_context(argparse.Namespace(workspace=str(demo_workspace))))
    request = DriftRequest("fraud-detector", "24h")
    counted, rows = compute_drift(sql, request), compute_drift(embedded, request)
    assert counted.table.tests == "counts" and rows.table.tests == "sketch"
    assert counted.command == rows.command  # the same `vigil drift` prints it
    assert [(r.feature, r.psi) for r in counted.table.features] == [
        (r.feature, pytest.approx(r.psi, rel=1e-12)) for r in rows.table.features
    ]
    features = ["amount", "country"]
    assert psi_history(sql, request, counted.end, features, days=3) == pytest.approx(
        psi_history(embedded, request, rows.end, features, days=3)
    )
    shown = feature_distribution(sql, counted, "amount")
    assert shown == feature_distribution(embedded, rows, "amount")
    tablet = replace(request, predicates=(("device_type", "tablet"),))
    inside = compute_drift(sql, tablet)
    assert inside.table.tests == "counts" and inside.table.slice == ("device_type == tablet",)
    assert feature_distribution(sql, inside, "amount") == feature_distribution(
        embedded, compute_drift(embedded, tablet), "amount"
    )
    evidently = compute_drift(sql, replace(request, mode="evidently"))
    assert evidently.table.mode == "evidently" and evidently.table.tests != "counts"
    assert "buckets" not in modes_for(sql)  # no metric store with histograms in this context


async def test_the_drift_screen_on_the_sql_log_says_its_numbers_are_counts(
    sql_context: str, demo_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.tui.helpers import make_app, screen_text, settle
    from tests.tui.test_drift import DriftScreen, table_rows, wait_for

    context = resolve_context(argparse.Namespace(context=sql_context))
    app = make_app(context, refresh_s=3600)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"drift fraud-detector 24h device_type=tablet", "enter")
        screen = await wait_for(pilot, DriftScreen)
        assert screen.result.table.tests == "counts"
        text = screen_text(app)
        assert "counted by the log's engine: no KS" in text
        shown = {row[0]: row for row in table_rows(app, "#drift-table")}
        assert shown["amount"][3] == "act" and shown["amount"][4] == "-"  # KS: absent
        assert all(len(row[-1]) == 7 for row in shown.values())  # 7 days of sparkline from counts
    code, rows = _drift(
        capsys,
        "--workspace",
        str(demo_workspace),
        "drift",
        *WINDOW,
        "--slice",
        "device_type=tablet",
    )
    assert code == 0
    assert {f["feature"]: number(f["psi"]) for f in rows["features"]} == {
        name: row[2] for name, row in shown.items()
    }
