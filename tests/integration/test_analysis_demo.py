"""On the demo workspace, the analysis finds the planted incident recorded in ground_truth.json."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from console.analysis.inputs import parse_instant
from console.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def truth(demo_workspace: Path) -> dict[str, Any]:
    return json.loads((demo_workspace / "ground_truth.json").read_text())


def _json(capsys: pytest.CaptureFixture[str], workspace: Path, *argv: str) -> Any:
    code = main(["--workspace", str(workspace), *argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _window(truth: dict[str, Any], name: str) -> list[str]:
    return ["--start", truth[name]["start"], "--end", truth[name]["end"]]


def test_shifted_feature_tops_the_drift_table(capsys, demo_workspace, truth) -> None:
    document = _json(
        capsys,
        demo_workspace,
        "drift",
        "--model",
        truth["model"],
        *_window(truth, "incident_window"),
    )
    rows = document["features"]
    assert rows[0]["feature"] == truth["shifted_feature"]
    assert rows[0]["psi"] > 2 * rows[1]["psi"]
    before = _json(
        capsys,
        demo_workspace,
        "drift",
        "--model",
        truth["model"],
        *_window(truth, "reference_window"),
    )
    assert before["features"][0]["psi"] < rows[0]["psi"]


def test_tablet_slice_tops_the_slice_table(capsys, demo_workspace, truth) -> None:
    reference = f"{truth['reference_window']['start']}/{truth['reference_window']['end']}"
    document = _json(
        capsys,
        demo_workspace,
        "slices",
        "--model",
        truth["model"],
        *_window(truth, "incident_window"),
        "--metric",
        "mean_score",
        "--baseline-window",
        reference,
    )
    expected = {"column": truth["slice"]["column"], "op": "==", "value": truth["slice"]["value"]}
    top = document["slices"][0]
    assert top["predicates"] == [expected]
    assert top["metric"] > top["baseline_metric"]


def test_feature_fetch_is_the_stage_over_budget(capsys, demo_workspace, truth) -> None:
    document = _json(
        capsys,
        demo_workspace,
        "latency",
        "--model",
        truth["model"],
        *_window(truth, "incident_window"),
    )
    assert document["stage_over_budget"] == truth["stage_over_budget"]
    stages = {s["stage"]: s for s in document["stages"]}
    assert stages[truth["stage_over_budget"]]["over_budget"] is True


def test_timeline_shows_the_deploy_before_the_drop(capsys, demo_workspace, truth) -> None:
    deploy_at = parse_instant(truth["deploy"]["at"])
    drop_at = parse_instant(truth["drop_at"])
    start = (deploy_at - timedelta(hours=12)).isoformat()
    document = _json(
        capsys,
        demo_workspace,
        "timeline",
        "--model",
        truth["model"],
        "--start",
        start,
        "--end",
        truth["incident_window"]["end"],
    )
    events = [e | {"at": datetime.fromisoformat(e["at"])} for e in document["events"]]
    deploys = [
        e
        for e in events
        if e["kind"] == "deploy" and f"v{truth['deploy']['version']}" in e["summary"]
    ]
    assert deploys and abs(deploys[0]["at"] - deploy_at) <= timedelta(minutes=1)
    found = [
        e
        for e in events
        if e["signal"]
        and e["source"] == "inference_log"
        and e["at"] >= drop_at - timedelta(hours=1)
    ]
    assert found, "no step change found in the inference log after the drop"
    drop = found[0]
    assert deploys[0]["at"] < drop["at"] <= drop_at + timedelta(hours=6)
    assert document["first_layer"] == truth["first_layer"]
    infra = truth["infra_metric"]
    moved = [
        e
        for e in events
        if e["signal"]
        and e["detail"].get("metric") == infra["name"]
        and all(e["detail"].get("labels", {}).get(k) == v for k, v in infra["labels"].items())
    ]
    assert moved and deploys[0]["at"] < moved[0]["at"] < drop["at"]


def test_amount_is_act_within_tablets_on_the_incident_window(capsys, demo_workspace, truth) -> None:
    window = ["--model", truth["model"], *_window(truth, "incident_window")]
    whole = _json(capsys, demo_workspace, "drift", *window)
    overall = next(r for r in whole["features"] if r["feature"] == truth["shifted_feature"])
    assert overall["status"] == "stable"
    column, value = truth["slice"]["column"], truth["slice"]["value"]
    inside = _json(capsys, demo_workspace, "drift", *window, "--slice", f"{column}={value}")
    top = inside["features"][0]
    assert top["feature"] == truth["shifted_feature"] and top["status"] == "act"
    assert 2.5 < top["psi"] < 4.5
    assert inside["slice"] == [f"{column} == {value}"]
    ranked = _json(capsys, demo_workspace, "drift", *window, "--by-segment")
    pair = ranked["pairs"][0]
    assert pair["segment"] == {"column": column, "op": "==", "value": value}
    assert pair["feature"] == truth["shifted_feature"] and pair["psi"] == top["psi"]
    assert pair["rows"] == top["n_current"] and 0.03 < pair["share"] < 0.08


def test_the_postmortem_agrees_with_itself_and_its_check_fires(capsys, demo_workspace, truth):
    report = _json(capsys, demo_workspace, "postmortem", "--model", truth["model"])
    layer = report["root_cause_layer"]
    assert f"**Root-cause layer:** {layer}" in report["markdown"]
    assert f"Root-cause layer: **{layer}**" in report["markdown"]
    gaps = {gap["layer"]: gap for gap in report["monitoring_gaps"]}
    assert {"infrastructure", "data", "model", "accuracy"} <= set(gaps)
    assert gaps["accuracy"]["delay_s"] is not None
    check = report["recommended_checks"][0]
    column, value = truth["slice"]["column"], truth["slice"]["value"]
    assert f"{column}={value}" in check["argv"]
    impact = report["impact"]
    window = ["--start", impact["start"], "--end", impact["end"]]
    assert main(["--workspace", str(demo_workspace), *check["argv"], *window]) == 1
    capsys.readouterr()
