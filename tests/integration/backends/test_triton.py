"""kserve_v2 against a real Triton (PyTriton's binary): reads; load and unload by repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from backends.capabilities import capabilities, supports
from backends.contracts import (
    BackendError,
    Lineage,
    ModelVersion,
    NotFoundError,
    SupportsCompareAndSet,
    SupportsLoad,
    SupportsRollback,
    SupportsTrafficSplit,
)
from backends.embedded import EmbeddedBackend
from backends.kserve_v2 import KServeV2Serving, RefusedChange
from tests.integration.backends import launch
from tests.integration.backends.contexts import install_context
from tests.integration.backends.servers import Server, running

pytestmark = pytest.mark.integration
MODELS = {"doubler": 2.0, "cycled": 3.0, "gated": 4.0}
VIGIL = (sys.executable, "-m", "console")
CYCLE_RUNBOOK = """name: cycle
description: Unload a model's version, then load it again.
risk: low
parameters:
  model: {type: string, required: true, description: the model}
steps:
  - name: unload
    type: unload
    version: "1"
  - name: load
    type: load
    version: "1"
"""


@pytest.fixture(scope="module")
def triton_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Triton, explicit model control, with `doubler`, `cycled` and `gated` (x * 2, 3, 4) loaded."""
    with running(lambda: launch.triton(tmp_path_factory.mktemp("triton"), MODELS)) as server:
        yield server


@pytest.fixture
def serving(triton_server: Server) -> Iterator[KServeV2Serving]:
    """A fresh backend on the module's Triton (nothing probed yet)."""
    backend = KServeV2Serving(triton_server.url, timeout_s=30)
    try:
        yield backend
    finally:
        backend.close()


def infer(server: Server, model: str, values: list[float]) -> httpx.Response:
    """A V2 inference request straight to Triton (not through Vigil)."""
    body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [len(values)], "data": values}]}
    return httpx.post(f"{server.url}/v2/models/{model}/infer", json=body, timeout=30)


def ready(server: Server, model: str) -> int:
    """Triton's own readiness answer for a model (200 when it serves)."""
    return httpx.get(f"{server.url}/v2/models/{model}/ready", timeout=30).status_code


def test_models_and_readiness_are_read(triton_server: Server, serving: KServeV2Serving) -> None:
    assert sorted(endpoint.model for endpoint in serving.endpoints()) == sorted(MODELS)
    status = serving.status("doubler")
    assert status.healthy
    assert [(v.version, v.state) for v in status.versions] == [("1", "ready")]
    assert dict(status.weights) == {}
    assert infer(triton_server, "doubler", [1.5]).json()["outputs"][0]["data"] == [3.0]
    with pytest.raises(NotFoundError):
        serving.status("no-such-model")


@pytest.mark.parametrize("token", [None, "a-token-triton-ignores"])
def test_the_repository_extension_offers_load_and_nothing_else(
    triton_server: Server, token: str | None
) -> None:
    serving = KServeV2Serving(triton_server.url, token=token, timeout_s=30)
    try:
        assert capabilities(serving) == frozenset({SupportsLoad})
        for capability in (SupportsTrafficSplit, SupportsCompareAndSet, SupportsRollback):
            assert isinstance(serving, capability)  # the class has the methods ...
            assert not supports(serving, capability)  # ... Triton does not split traffic
        with pytest.raises(BackendError, match="admin"):
            serving.rollback("doubler", "1")
    finally:
        serving.close()


def test_unload_makes_a_model_unavailable_and_load_makes_it_ready(
    triton_server: Server, serving: KServeV2Serving
) -> None:
    unloaded = serving.unload("cycled", "1")
    assert [(v.version, v.state) for v in unloaded.versions] == [("1", "unloaded")]
    assert not unloaded.healthy
    assert ready(triton_server, "cycled") != 200
    assert infer(triton_server, "cycled", [2.0]).status_code != 200
    assert not serving.status("cycled").healthy

    loaded = serving.load("cycled", "1")
    assert [(v.version, v.state) for v in loaded.versions] == [("1", "ready")]
    assert loaded.healthy
    assert ready(triton_server, "cycled") == 200
    assert infer(triton_server, "cycled", [2.0]).json()["outputs"][0]["data"] == [6.0]


def test_load_and_unload_say_what_they_cannot_do(
    triton_server: Server, serving: KServeV2Serving
) -> None:
    with pytest.raises(NotFoundError):
        serving.load("no-such-model", "1")
    with pytest.raises(NotFoundError):
        serving.unload("doubler", "9")
    with pytest.raises(BackendError, match="version 9 is absent"):
        serving.load("doubler", "9")  # Triton loads its versions by policy; 9 is not one
    assert serving.status("doubler").healthy  # nothing was taken down on the way


def test_unloading_one_of_two_loaded_versions_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "triton"
    server = launch.triton(folder, {"twin": 1.0}, versions=("1", "2"))
    serving = KServeV2Serving(server.url, timeout_s=30)
    try:
        states = [(v.version, v.state) for v in serving.status("twin").versions]
        assert sorted(states) == [("1", "ready"), ("2", "ready")]
        with pytest.raises(RefusedChange, match="would also unload v2"):
            serving.unload("twin", "1")
        assert ready(server, "twin") == 200
        assert {v.state for v in serving.status("twin").versions} == {"ready"}
    finally:
        serving.close()
        server.stop()


def test_a_load_triton_fails_says_its_reason_and_leaves_the_rest_serving(tmp_path: Path) -> None:
    server = launch.triton(tmp_path / "triton", {"doubler": 2.0})
    broken = Path(server.extra["repository"]) / "broken"
    (broken / "1").mkdir(parents=True)
    (broken / "config.pbtxt").write_text(launch.TRITON_CONFIG.format(model="broken"))
    (broken / "1" / "model.py").write_text("raise RuntimeError('this model cannot start')\n")
    serving = KServeV2Serving(server.url, timeout_s=30)
    try:
        with pytest.raises(RefusedChange, match="cannot start") as refused:
            serving.load("broken", "1")
        assert "\n" not in str(refused.value)  # Triton's reason, not its traceback
        assert [(v.version, v.state) for v in serving.status("broken").versions] == [
            ("1", "failed")
        ]
        assert serving.status("doubler").healthy
    finally:
        serving.close()
        server.stop()


def test_a_triton_that_refuses_repository_loads_offers_none(tmp_path: Path) -> None:
    server = launch.triton(tmp_path / "triton", {"doubler": 2.0}, explicit=False)
    serving = KServeV2Serving(server.url, timeout_s=30)
    try:
        assert serving.status("doubler").healthy  # it serves and declares model_repository ...
        assert capabilities(serving) == frozenset()  # ... but loads nothing by request
        with pytest.raises(BackendError, match="no repository loads"):
            serving.unload("doubler", "1")
        assert ready(server, "doubler") == 200
    finally:
        serving.close()
        server.stop()


def test_a_stopped_triton_is_a_backend_error(tmp_path: Path) -> None:
    server = launch.triton(tmp_path / "triton", {"doubler": 2.0})
    probed = KServeV2Serving(server.url, timeout_s=5)
    fresh = KServeV2Serving(server.url, timeout_s=5)
    try:
        assert supports(probed, SupportsLoad)
        server.stop()
        with pytest.raises(BackendError, match="cannot reach"):
            probed.status("doubler")
        with pytest.raises(BackendError, match="cannot reach"):
            probed.load("doubler", "1")
        assert capabilities(fresh) == frozenset()
    finally:
        probed.close()
        fresh.close()
        server.stop()


def test_a_runbook_unloads_and_loads_through_the_gate(
    triton_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = {"type": "kserve_v2", "url": triton_server.url, "timeout_s": 30}
    workspace = install_context(tmp_path, monkeypatch, "tri", {"serving": spec})
    registry = EmbeddedBackend(str(workspace))
    try:
        registry.register_version(
            ModelVersion(
                model="gated",
                version="1",
                created_at=datetime(2026, 11, 1, tzinfo=UTC),
                runtime="torch",
                artifact_uri="gated/1",
                lineage=Lineage("c", "d", "p", "e"),
            ),
            model_task="regression",
        )
    finally:
        registry.close()
    runbook = tmp_path / "cycle.yaml"
    runbook.write_text(CYCLE_RUNBOOK)

    def vigil(*args: str) -> subprocess.CompletedProcess[str]:
        command = [*VIGIL, "--context", "tri", *args]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=300, env=dict(os.environ), check=False
        )

    dry = vigil("runbook", "plan", str(runbook), "-p", "model=gated")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert ready(triton_server, "gated") == 200  # a dry run changes nothing live

    done = vigil("runbook", "run", str(runbook), "-p", "model=gated", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "unload v1 (ready → unloaded)" in done.stdout, done.stdout
    assert "load v1 (unloaded → ready)" in done.stdout, done.stdout
    assert ready(triton_server, "gated") == 200
    audit = json.loads(vigil("audit", "--json").stdout)["records"]
    steps = [(r["step"], r["outcome"]) for r in audit if r["step"] in ("unload", "load")]
    assert steps == [("unload", "ok"), ("load", "ok")], audit
