"""The analysis commands: file mode, workspace mode (in-memory context), JSON and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from console.cli import main
from console.config import Context
from tests.datasets.fraud_shift import DEPLOY, DROP, END, fraud_shift

SEED_TRIGGERS = """
triggers:
  - {metric: accuracy, threshold: 0.05, window: 7d}
  - {metric: feature_drift_psi, threshold: 0.2, features: [amount, age]}
  - {metric: prediction_distribution_shift, threshold: 0.1, window: 24h}
"""


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"a": rng.normal(size=3000), "b": rng.choice(["x", "y"], 3000)})
    current = pd.DataFrame({"a": rng.normal(0.8, 1, 2000), "b": rng.choice(["x", "y"], 2000)})
    reference.to_csv(tmp_path / "ref.csv", index=False)
    current.to_parquet(tmp_path / "cur.parquet")
    return tmp_path / "ref.csv", tmp_path / "cur.parquet"


@pytest.fixture
def context(monkeypatch: pytest.MonkeyPatch) -> Context:
    """The in-memory fraud workspace as the context every command opens.

    Commands that import `open_context` by name keep their own binding, so each is
    patched too: otherwise the result depends on which test imported them first.
    """
    memory = fraud_shift().context
    for module in ("console.cli.common", "console.cli.postmortem"):
        monkeypatch.setattr(f"{module}.open_context", lambda args: memory)
    return memory


def test_drift_files_json_and_fail_on(capsys, files) -> None:
    reference, current = files
    code, out, _ = _run(
        capsys, "drift", "--reference", str(reference), "--current", str(current), "--json"
    )
    document = json.loads(out)
    assert code == 0
    first = document["features"][0]
    assert first["feature"] == "a" and first["status"] == "act" and first["kind"] == "numeric"
    assert {"psi", "bins", "n_reference", "n_current"} <= set(first)
    assert (first["n_reference"], first["n_current"]) == (3000, 2000)
    code, out, _ = _run(
        capsys,
        "drift",
        "--reference",
        str(reference),
        "--current",
        str(current),
        "--fail-on",
        "act",
    )
    assert code == 1 and "profile strict" in out and "ε 0.0001" in out


def test_drift_evidently_mode_and_columns(capsys, files) -> None:
    reference, current = files
    code, out, _ = _run(
        capsys,
        "drift",
        "--reference",
        str(reference),
        "--current",
        str(current),
        "--mode",
        "evidently",
        "--columns",
        "b",
        "--json",
    )
    document = json.loads(out)
    assert code == 0 and document["mode"] == "evidently"
    assert [f["feature"] for f in document["features"]] == ["b"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--reference", "{d}/missing.csv", "--current", "{cur}"], "missing.csv: no such file"),
        (["--reference", "{ref}", "--current", "{d}/notes.txt"], "unknown format .txt"),
        (["--reference", "{ref}"], "needs both"),
        (["--reference", "{ref}", "--current", "{cur}", "--columns", "zz"], "no column(s) zz"),
        (["--reference", "{ref}", "--current", "{cur}", "--bins", "1"], "at least 2"),
        (["--reference", "{d}/broken.csv", "--current", "{cur}"], "broken.csv: cannot read"),
    ],
)
def test_drift_bad_input_exits_2_naming_the_file(capsys, files, argv, message) -> None:
    reference, current = files
    (reference.parent / "notes.txt").write_text("x")
    (reference.parent / "broken.csv").write_bytes(b"\x00\xff\xfe")
    values = {"d": str(reference.parent), "ref": str(reference), "cur": str(current)}
    code, out, err = _run(capsys, "drift", *[a.format(**values) for a in argv])
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_slices_file_mode_json(capsys, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n = 6000
    device = rng.choice(["desktop", "tablet"], n, p=[0.9, 0.1])
    label = rng.integers(0, 2, n)
    wrong = np.where(device == "tablet", rng.random(n) < 0.4, rng.random(n) < 0.05)
    frame = pd.DataFrame({"device": device, "y": label, "p": np.where(wrong, 1 - label, label)})
    frame.to_csv(tmp_path / "data.csv", index=False)
    code, out, _ = _run(
        capsys,
        "slices",
        "--data",
        str(tmp_path / "data.csv"),
        "--label",
        "y",
        "--prediction",
        "p",
        "--json",
    )
    document = json.loads(out)
    assert code == 0
    top = document["slices"][0]
    assert top["predicates"] == [{"column": "device", "op": "==", "value": "tablet"}]
    assert top["delta"] < 0 and top["support"] == int((device == "tablet").sum())
    code, _, err = _run(capsys, "slices", "--data", str(tmp_path / "data.csv"))
    assert code == 2 and "no column(s) label, prediction" in err


def test_latency_file_mode(capsys, tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {"network_ms": rng.gamma(4, 2, 3000), "inference_ms": rng.gamma(9, 6, 3000)}
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    argv = ["latency", "--data", str(tmp_path / "t.csv"), "--budget", "network=15,inference=45"]
    code, out, _ = _run(capsys, *argv, "--json", "--fail-on-budget")
    document = json.loads(out)
    assert code == 1 and document["stage_over_budget"] == "inference"
    code, _, err = _run(capsys, "latency", "--data", str(tmp_path / "t.csv"), "--budget", "x")
    assert code == 2 and "not STAGE=MS" in err


def test_retrain_check_with_values_file(capsys, tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(SEED_TRIGGERS)
    (tmp_path / "v.json").write_text(json.dumps({"accuracy": 0.07}))
    argv = [
        "retrain-check",
        "--config",
        str(tmp_path / "t.yaml"),
        "--values",
        str(tmp_path / "v.json"),
    ]
    code, out, _ = _run(capsys, *argv, "--json", "--fail-on-fire")
    document = json.loads(out)
    assert code == 1 and document["decision"]["fires"] is True
    assert [t["fires"] for t in document["decision"]["triggers"]] == [True, False, False]
    code, out, _ = _run(
        capsys,
        "retrain-check",
        "--interval",
        "5000",
        "1e6",
        "0.5",
        "0.95",
        "0.02",
        "--sample-size",
        "0.05",
        "0.02",
        "--json",
    )
    document = json.loads(out)
    assert round(document["interval"]["sqrt_law"], 5) == 1.02598
    assert document["sample_size"]["per_arm"] == 1865
    assert round(document["sample_size"]["per_arm_formula"], 1) == 1864.1
    code, out, _ = _run(capsys, "retrain-check", "--sample-size", "0.05", "0.005")
    assert code == 0 and "sample size 29,826 per arm" in out
    (tmp_path / "bad.yaml").write_text("triggers: [{metric: accuracy}]")
    code, _, err = _run(
        capsys,
        "retrain-check",
        "--config",
        str(tmp_path / "bad.yaml"),
        "--values",
        str(tmp_path / "v.json"),
    )
    assert code == 2 and "bad.yaml: triggers[0]" in err


def test_workspace_drift_finds_the_shifted_feature(capsys, context) -> None:
    start, end = DROP.isoformat(), END.isoformat()
    code, out, _ = _run(
        capsys, "drift", "--model", "fraud", "--start", start, "--end", end, "--json"
    )
    document = json.loads(out)
    assert code == 0 and document["features"][0]["feature"] == "amount"
    assert "training reference" in document["source"]
    code, _, err = _run(capsys, "drift", "--model", "nope", "--json")
    assert code == 2 and "no model 'nope'" in err


def test_workspace_slices_against_a_baseline_window(capsys, context) -> None:
    baseline = f"{(END - pd.Timedelta(days=4)).isoformat()}/{DEPLOY.isoformat()}"
    argv = ["slices", "--start", DROP.isoformat(), "--end", END.isoformat(), "--json"]
    code, out, _ = _run(capsys, *argv, "--baseline-window", baseline)
    top = json.loads(out)["slices"][0]
    assert code == 0 and top["predicates"][0]["value"] == "tablet"
    assert top["change"] < 0 and top["baseline_metric"] > top["metric"]


def test_workspace_latency_timeline_postmortem(capsys, context, tmp_path: Path) -> None:
    code, out, _ = _run(capsys, "latency", "--window", "24h", "--json")
    assert code == 0 and json.loads(out)["stage_over_budget"] == "feature_fetch"
    code, out, _ = _run(
        capsys, "timeline", "--window", "72h", "--json", "--correlate", "memory_used_bytes"
    )
    assert json.loads(out)["correlation"]["x"] == "memory_used_bytes"
    events = json.loads(out)["events"]
    kinds = [e["kind"] for e in events]
    assert code == 0 and "deploy" in kinds and "alert" in kinds
    assert kinds.index("deploy") < kinds.index("alert")
    assert json.loads(out)["first_layer"] == "model"
    code, out, _ = _run(
        capsys, "postmortem", "--window", "72h", "--output", str(tmp_path / "pm.md")
    )
    markdown = (tmp_path / "pm.md").read_text()
    assert code == 0 and out == ""
    assert markdown.startswith("# Postmortem: fraud: accuracy down")
    assert "tablet" in markdown and "## The monitoring gap" in markdown
    severity = next(line for line in markdown.splitlines() if "**Severity:**" in line)
    assert "P1" in severity and "accuracy on" in severity and "device_type == tablet" in severity


def test_workspace_retrain_check(capsys, context, tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(SEED_TRIGGERS)
    code, out, _ = _run(capsys, "retrain-check", "--config", str(tmp_path / "t.yaml"), "--json")
    decision = json.loads(out)["decision"]
    assert code == 0
    assert set(decision["values"]) == {
        "accuracy",
        "feature_drift_psi",
        "prediction_distribution_shift",
    }
    assert decision["values"]["prediction_distribution_shift"] > 0


def test_postmortem_recommends_a_check_that_fires_on_the_incident_window(capsys, context) -> None:
    code, out, err = _run(capsys, "postmortem", "--json")
    assert code == 0, err
    report = json.loads(out)
    header = report["root_cause_layer"]
    assert f"Root-cause layer: **{header}**" in report["markdown"]
    checks = report["recommended_checks"]
    assert checks and checks[0]["argv"][0] == "drift"
    impact = report["impact"]
    window = ["--start", impact["start"], "--end", impact["end"]]
    code, out, err = _run(capsys, *checks[0]["argv"], *window)
    assert code == 1, (out, err)
    assert checks[0]["command"].startswith("vigil drift --model fraud")
    layers = {gap["layer"] for gap in report["monitoring_gaps"]}
    assert {"data", "model"} <= layers
