"""The demo workspace: real artifacts, 14 days of history, a planted incident the data supports."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from backends.contracts import STAGES
from backends.embedded import EmbeddedBackend
from console.cli import main
from console.demo.build import COMPLETE, GROUND_TRUTH, build
from console.demo.spec import DemoSpec

pytestmark = pytest.mark.slow

TINY = DemoSpec(
    days=4, fraud_rows=4000, other_rows=1000, train_rows=3000, reference_rows=1000, epochs=2
)
MODELS = ("fraud-detector", "eta-regressor", "churn-classifier")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def at(text: str) -> datetime:
    """An ISO instant with a Z suffix as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def backend(demo_workspace: Path) -> EmbeddedBackend:
    return EmbeddedBackend(workspace=str(demo_workspace))


@pytest.fixture(scope="module")
def truth(demo_workspace: Path) -> dict:
    return json.loads((demo_workspace / GROUND_TRUTH).read_text())


@pytest.fixture(scope="module")
def fraud_log(backend: EmbeddedBackend) -> pd.DataFrame:
    start, end = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    return backend.window("fraud-detector", start, end)


def _span(backend: EmbeddedBackend, model: str) -> tuple[datetime, datetime]:
    """The logged time range of a model, which must exist."""
    span = backend.time_range(model)
    assert span is not None
    return span


def test_three_models_with_versions_lineage_aliases_and_traffic(backend: EmbeddedBackend) -> None:
    from console.demo.train import code_hash, environment

    models = {m.name: m for m in backend.list_models()}
    assert set(MODELS) <= set(models)
    env_hash = hashlib.sha256(json.dumps(environment(), sort_keys=True).encode()).hexdigest()
    runtimes = set()
    for name in MODELS:
        model = models[name]
        assert len(model.versions) >= 2
        assert model.alias("champion") is not None and model.alias("challenger") is not None
        assert model.alias("champion") != model.alias("challenger")
        for version in model.versions:
            runtimes.add(version.runtime)
            lineage = version.lineage
            for value in (lineage.data_hash, lineage.config_hash):
                assert HEX64.match(value)
            assert lineage.code_hash == code_hash()
            assert lineage.environment_hash == env_hash
        assert len({v.lineage.data_hash for v in model.versions}) == len(model.versions)
        assert len({v.lineage.config_hash for v in model.versions}) == len(model.versions)
        assert sum(model.latency_budget_ms.values()) == pytest.approx(model.slo_p99_ms)
        weights = backend.stored_traffic(name)
        assert sum(weights.values()) == 100
    assert runtimes == {"onnx", "torch"}
    fraud = models["fraud-detector"]
    challenger = fraud.alias("challenger")
    assert challenger is not None and challenger.version == "3"
    assert backend.stored_traffic("fraud-detector") == {"2": 90, "3": 10}
    assert {f.name: f.kind for f in fraud.features}["device_type"] == "categorical"


def test_fraud_log_has_a_million_rows_over_fourteen_days(
    backend: EmbeddedBackend, fraud_log: pd.DataFrame
) -> None:
    assert len(fraud_log) >= 1_000_000
    first, last = _span(backend, "fraud-detector")
    assert last - first > timedelta(days=13, hours=23)
    assert {"ts", "request_id", "version", "score", "prediction", "label"} <= set(fraud_log)
    assert {f"{stage}_ms" for stage in STAGES} <= set(fraud_log)
    assert set(fraud_log["device_type"].astype(str).unique()) == {
        "desktop",
        "ios",
        "android",
        "tablet",
    }
    assert fraud_log["request_id"].is_unique
    for name in ("eta-regressor", "churn-classifier"):
        assert (
            0
            < len(backend.window(name, first, last + timedelta(seconds=1), ["ts"]))
            < len(fraud_log)
        )


def test_per_minute_metrics_for_every_serving_version_and_host(
    backend: EmbeddedBackend, truth: dict
) -> None:
    end = at(truth["incident_window"]["end"])
    start = end - timedelta(days=14)
    requests = backend.query_range("requests_total", {"model": "fraud-detector"}, start, end)
    by_version = {s.labels["version"]: s for s in requests}
    assert len(by_version["2"].timestamps) == 14 * 24 * 60
    assert by_version["3"].timestamps.min() >= at(truth["deploy"]["at"]).timestamp()
    for name in ("cpu_utilization", "memory_used_bytes", "queue_depth", "gc_pause_ms"):
        assert backend.query_range(name, {}, start, end), name
    p99 = backend.quantile_range("stage_latency_ms", 0.99, {"model": "eta-regressor"}, start, end)
    assert {s.labels["stage"] for s in p99} == set(STAGES)


def test_late_labels_missing_for_the_last_hours_and_attached_later(
    demo_workspace: Path, fraud_log: pd.DataFrame, truth: dict
) -> None:
    end = pd.Timestamp(truth["incident_window"]["end"])
    last_hour = fraud_log[fraud_log["ts"] >= end - pd.Timedelta(hours=1)]
    assert len(last_hour) > 0 and last_hour["label"].isna().all()
    old = fraud_log[fraud_log["ts"] < end - pd.Timedelta(days=2)]
    assert old["label"].notna().mean() > 0.99
    stored = pd.concat(
        pq.read_table(p, columns=["ts", "label"]).to_pandas()
        for p in (demo_workspace / "inference" / "fraud-detector").rglob("part-*.parquet")
    )
    assert len(stored) == len(fraud_log) and stored["label"].isna().all()
    joined = fraud_log[
        (fraud_log["ts"] >= end - pd.Timedelta(hours=20))
        & (fraud_log["ts"] < end - pd.Timedelta(hours=12))
    ]
    assert joined["label"].notna().mean() > 0.95
    assert list((demo_workspace / "labels" / "fraud-detector").rglob("*.parquet"))


def _encode(meta: dict, frame: pd.DataFrame) -> np.ndarray:
    """The artifact input built from meta.json alone, as a client would."""
    columns = []
    for name in meta["feature_order"]:
        if "=" in name:
            feature, category = name.split("=", 1)
            columns.append((frame[feature].astype(str) == category).to_numpy(np.float32))
        else:
            columns.append(frame[name].to_numpy(np.float32))
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("model", MODELS)
def test_artifacts_load_and_reproduce_the_logged_scores(
    demo_workspace: Path, backend: EmbeddedBackend, model: str
) -> None:
    import onnxruntime as ort
    import torch

    first, last = _span(backend, model)
    found = backend.get_model(model)
    log = backend.window(model, first, last + timedelta(seconds=1))
    served = set(log["version"].unique())
    assert served
    for version in found.versions:
        path = demo_workspace / version.artifact_uri
        meta = json.loads((path.parent / "meta.json").read_text())
        assert path.name == ("model.pt" if version.runtime == "torch" else "model.onnx")
        assert meta["input"] == "input" and meta["outputs"]
        if version.version not in served:
            continue
        rows = log[log["version"] == version.version].tail(3000)
        x = _encode(meta, rows)
        if version.runtime == "onnx":
            session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            assert [o.name for o in session.get_outputs()] == meta["outputs"]
            got = session.run(None, {meta["input"]: x})[0][:, 0]
        else:
            module = torch.jit.load(str(path))
            with torch.no_grad():
                got = module(torch.from_numpy(x)).numpy()[:, 0]
        np.testing.assert_allclose(got, rows["score"].to_numpy(), atol=1e-4, rtol=1e-5)


def _psi(reference: pd.Series, current: pd.Series) -> float:
    """Quantile PSI: reference deciles with open outer bins (categories as bins)."""
    if isinstance(reference.dtype, pd.CategoricalDtype) or reference.dtype == object:
        cats = sorted(set(reference.astype(str)) | set(current.astype(str)))
        ref = reference.astype(str).value_counts().reindex(cats, fill_value=0).to_numpy()
        cur = current.astype(str).value_counts().reindex(cats, fill_value=0).to_numpy()
    else:
        edges = np.unique(np.quantile(reference.to_numpy(float), np.linspace(0.1, 0.9, 9)))
        ref = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1)
        cur = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1)
    e = np.maximum(ref / ref.sum(), 1e-4)
    a = np.maximum(cur / cur.sum(), 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


def test_ground_truth_matches_the_data(
    backend: EmbeddedBackend, fraud_log: pd.DataFrame, truth: dict
) -> None:
    assert set(truth) == {
        "model",
        "deploy",
        "reference_window",
        "incident_window",
        "shifted_feature",
        "slice",
        "stage_over_budget",
        "infra_metric",
        "first_layer",
        "drop_at",
    }
    deploy, drop = at(truth["deploy"]["at"]), at(truth["drop_at"])
    ref_start, ref_end = (at(truth["reference_window"][k]) for k in ("start", "end"))
    inc_start, inc_end = (at(truth["incident_window"][k]) for k in ("start", "end"))
    assert ref_end <= deploy < drop == inc_start < inc_end
    feature: str = truth["shifted_feature"]
    column: str = truth["slice"]["column"]
    value: str = truth["slice"]["value"]
    ts = fraud_log["ts"]
    on_slice = fraud_log[column].astype(str) == value
    before = fraud_log[(ts < pd.Timestamp(drop)) & (ts >= pd.Timestamp(ref_start))]
    after = fraud_log[ts >= pd.Timestamp(drop)]
    slice_before, slice_after = before[on_slice[before.index]], after[on_slice[after.index]]
    assert slice_after[feature].median() > 3 * slice_before[feature].median()
    rest_ratio = after[~on_slice[after.index]][feature].median() / before[feature].median()
    assert 0.95 < rest_ratio < 1.05

    def accuracy(rows: pd.DataFrame) -> float:
        labelled = rows[rows["label"].notna()]
        return float((labelled["prediction"] == labelled["label"]).mean())

    assert accuracy(slice_after) < accuracy(slice_before) - 0.1
    slices = {
        name: accuracy(after[after[column].astype(str) == name])
        for name in after[column].astype(str).unique()
    }
    assert min(slices, key=lambda name: slices[name]) == value

    versions_before = set(fraud_log.loc[ts < pd.Timestamp(deploy), "version"])
    assert versions_before == {"2"}
    canary_share = (after["version"] == truth["deploy"]["version"]).mean()
    assert abs(canary_share - truth["deploy"]["weight"] / 100) < 0.02
    moves = [
        e
        for e in backend.registry_events("fraud-detector", ref_start, inc_end)
        if e.kind == "alias_moved" and e.detail.get("alias") == "challenger"
    ]
    assert [(m.at, m.version) for m in moves] == [(deploy, truth["deploy"]["version"])]

    reference = backend.reference("fraud-detector", "2")
    psi = {
        f.name: _psi(reference[f.name], after[f.name])
        for f in backend.get_model("fraud-detector").features
    }
    assert max(psi, key=lambda name: psi[name]) == feature


def test_stage_over_budget_and_infra_pressure(backend: EmbeddedBackend, truth: dict) -> None:
    model = backend.get_model(truth["model"])
    inc_start, inc_end = at(truth["incident_window"]["start"]), at(truth["incident_window"]["end"])
    ref_start, ref_end = (
        at(truth["reference_window"]["start"]),
        at(truth["reference_window"]["end"]),
    )
    over = []
    for stage in STAGES:
        series = backend.quantile_range(
            "stage_latency_ms", 0.99, {"model": model.name, "stage": stage}, inc_start, inc_end
        )
        assert series
        p99 = float(np.median(np.concatenate([s.values for s in series])))
        if p99 > model.latency_budget_ms[stage]:
            over.append(stage)
    assert over == [truth["stage_over_budget"]]
    metric = truth["infra_metric"]

    def mean(start: datetime, end: datetime) -> float:
        series = backend.query_range(metric["name"], metric["labels"], start, end)
        return float(np.mean(np.concatenate([s.values for s in series])))

    deploy, drop = at(truth["deploy"]["at"]), at(truth["drop_at"])
    assert mean(inc_start, inc_end) > 1.3 * mean(ref_start, ref_end)
    assert mean(deploy - timedelta(hours=2), deploy + timedelta(hours=2)) < 1.05 * mean(
        ref_start, ref_end
    )
    assert mean(drop - timedelta(hours=2), drop) > 1.3 * mean(ref_start, ref_end)
    incidents = backend.incidents(model.name, open_only=True)
    assert incidents and incidents[0].severity in ("P1", "P2")
    kinds = {e.kind for e in backend.timeline_events(model.name, deploy, inc_end)}
    assert {"deploy", "alert", "note"} <= kinds


def test_second_build_reuses_and_changes_nothing(demo_workspace: Path) -> None:
    def snapshot() -> dict[str, tuple[int, int]]:
        return {
            str(p.relative_to(demo_workspace)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in demo_workspace.rglob("*")
            if p.is_file()
        }

    before = snapshot()
    result = build(demo_workspace, DemoSpec(), quiet=True)
    assert result.reused
    assert snapshot() == before
    assert json.loads((demo_workspace / COMPLETE).read_text())["recipe"] == DemoSpec().recipe_hash()


def _artifact_digest(path: Path) -> str:
    """sha256 of a file; of the weights for TorchScript (its archive names vary per process)."""
    if path.suffix != ".pt":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    import torch

    state = torch.jit.load(str(path)).state_dict()
    digest = hashlib.sha256()
    for name, tensor in state.items():
        digest.update(name.encode() + tensor.numpy().tobytes())
    return digest.hexdigest()


def _fingerprint(path: Path) -> dict:
    """What two builds must agree on: registry, traffic, log checksum, artifacts, metrics."""
    backend = EmbeddedBackend(workspace=str(path))
    models = backend.list_models()
    logs = {}
    for model in models:
        first, last = _span(backend, model.name)
        frame = backend.window(model.name, first, last + timedelta(seconds=1))
        logs[model.name] = int(pd.util.hash_pandas_object(frame, index=False).sum())
    artifacts = {
        str(p.relative_to(path)): _artifact_digest(p)
        for p in sorted((path / "models").rglob("*"))
        if p.is_file()
    }
    end = datetime(2100, 1, 1, tzinfo=UTC)
    start = datetime(2000, 1, 1, tzinfo=UTC)
    memory = backend.query_range("memory_used_bytes", {"host": "serve-a"}, start, end)
    fingerprint = {
        "models": models,
        "traffic": {m.name: backend.stored_traffic(m.name) for m in models},
        "logs": logs,
        "artifacts": artifacts,
        "memory": memory[0].values.tolist(),
        "truth": (path / GROUND_TRUTH).read_text(),
    }
    backend.close()
    return fingerprint


def test_builds_are_deterministic_per_seed(tmp_path: Path) -> None:
    first = build(tmp_path / "a", TINY, quiet=True)
    second = build(tmp_path / "b", TINY, quiet=True)
    other = build(tmp_path / "c", replace(TINY, seed=8), quiet=True)
    assert not first.reused and not second.reused
    a, b, c = (_fingerprint(r.workspace) for r in (first, second, other))
    assert a == b
    assert a["logs"] != c["logs"]
    assert a["artifacts"] != c["artifacts"]


def test_cli_builds_reuses_rebuilds_and_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("console.demo.spec.DemoSpec", lambda seed: replace(TINY, seed=seed))
    workspace = tmp_path / "w"
    args = ["demo", "--workspace", str(workspace), "--no-tui", "--seed", "3"]
    assert main(args) == 0
    out = capsys.readouterr()
    assert "fraud-detector" in out.out and "INC-0001" in out.out
    assert "training fraud-detector" in out.err
    assert main(args) == 0
    assert "reusing" in capsys.readouterr().err
    assert main([*args, "--rebuild"]) == 0
    assert "training fraud-detector" in capsys.readouterr().err
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert main(["demo", "--workspace", str(foreign), "--no-tui"]) == 2
    assert "not a demo workspace" in capsys.readouterr().err
    assert (foreign / "notes.txt").read_text() == "mine"
    assert main(["demo", "--workspace", str(tmp_path / "x"), "--no-tui", "--seed", "-1"]) == 2
    monkeypatch.setitem(sys.modules, "torch", None)
    assert main(["demo", "--workspace", str(tmp_path / "y"), "--no-tui"]) == 2
    assert "pip install torch==2.13.0" in capsys.readouterr().err


def test_concurrent_builds_of_one_workspace_build_once(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    workspace = tmp_path / "shared"
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: build(workspace, TINY, quiet=True), range(2)))
    assert sorted(r.reused for r in results) == [False, True]
    assert (workspace / COMPLETE).exists() and not (workspace / ".demo-building").exists()
    assert results[0].summary == results[1].summary


def test_a_rebuild_is_refused_while_a_server_runs_on_the_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess

    import httpx

    from console.demo.build import DemoError

    workspace = tmp_path / "w"
    build(workspace, TINY, quiet=True)
    command = [sys.executable, "-m", "local_serving", "--workspace", str(workspace), "--port", "0"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            try:
                info = json.loads((workspace / "serving.json").read_text())
                if info["pid"] == server.pid:
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        token = (workspace / "admin.token").read_text()
        assert main(["demo", "--workspace", str(workspace), "--no-tui", "--rebuild"]) == 2
        assert f"a server runs on {workspace}" in capsys.readouterr().err
        with pytest.raises(DemoError, match="stop it before rebuilding"):
            build(workspace, replace(TINY, seed=5), quiet=True)
        assert (workspace / "admin.token").read_text() == token
        assert json.loads((workspace / "serving.json").read_text())["pid"] == server.pid
        assert httpx.get(f"{info['url']}/v2/health/ready", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(30)
    assert build(workspace, replace(TINY, seed=5), quiet=True).reused is False
