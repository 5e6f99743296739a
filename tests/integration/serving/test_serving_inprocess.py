"""An in-process server on an in-memory workspace: thread executor, readiness, batch logging."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from local_serving.admin import Tokens
from local_serving.examples import logistic_onnx
from local_serving.options import ServeOptions
from local_serving.server import BackgroundServer
from local_serving.source import MemoryWorkspace, ModelEntry, VersionEntry

from .helpers import expected_scores

pytestmark = pytest.mark.integration
WEIGHTS = ([0.3, -0.6], 0.05)


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inprocess")
    good = logistic_onnx(folder / "good.onnx", *WEIGHTS)
    broken = folder / "broken.onnx"
    broken.write_bytes(b"\x00garbage")
    workspace = MemoryWorkspace(
        [
            ModelEntry("good", (VersionEntry("1", "onnx", str(good)),), features=("a", "b")),
            ModelEntry("broken", (VersionEntry("1", "onnx", str(broken)),)),
        ]
    )
    options = ServeOptions(port=0, executor="thread", sample_rate=1.0, flush_interval_s=0.1)
    server = BackgroundServer(workspace, options, Tokens((("t", "tok"),), None))
    url = server.start()
    yield workspace, httpx.Client(base_url=url, timeout=30)
    server.stop()


def test_thread_executor_serves_a_batch_and_logs_each_row(running):
    workspace, client = running
    x = np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 3.0]], dtype=np.float32)
    body = {
        "id": "batch-1",
        "inputs": [{"name": "input", "datatype": "FP32", "shape": [3, 2], "data": x.tolist()}],
    }
    answer = client.post("/v2/models/good/infer", json=body).json()
    np.testing.assert_allclose(answer["outputs"][0]["data"], expected_scores(WEIGHTS, x), rtol=1e-5)
    client.post(
        "/admin/models/good/labels", json={"labels": []}, headers={"Authorization": "Bearer tok"}
    )
    rows = np.concatenate([frame["request_id"].to_numpy() for frame in workspace.logged["good"]])
    assert list(rows) == ["batch-1/0", "batch-1/1", "batch-1/2"]


def test_a_model_without_a_ready_version_is_not_ready(running):
    _, client = running
    ready = client.get("/v2/health/ready")
    assert ready.status_code == 400 and "broken" in ready.json()["error"]
    assert client.get("/v2/models/good/ready").json()["ready"] is True
    infer = client.post(
        "/v2/models/broken/infer",
        json={"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}]},
    )
    assert infer.status_code == 503 and "no version with traffic" in infer.json()["error"]
    status = client.get("/admin/models/broken", headers={"Authorization": "Bearer tok"}).json()
    assert status["versions"][0]["state"] == "failed" and status["versions"][0]["error"]


def test_a_read_only_server_refuses_admin_changes(tmp_path):
    model = logistic_onnx(tmp_path / "m.onnx", *WEIGHTS)
    workspace = MemoryWorkspace([ModelEntry("m", (VersionEntry("1", "onnx", str(model)),))])
    options = ServeOptions(port=0, read_only=True)
    server = BackgroundServer(workspace, options, Tokens((("t", "tok"),), None))
    url = server.start()
    try:
        admin = {"Authorization": "Bearer tok"}
        change = httpx.post(f"{url}/admin/models/m/rollback", json={"to": "1"}, headers=admin)
        assert change.status_code == 403 and "read-only" in change.json()["error"]
        assert httpx.get(f"{url}/admin/models/m", headers=admin).json()["weights"] == {"1": 100}
        assert workspace.traffic_changes == []
    finally:
        server.stop()


def test_the_client_without_a_token_reads_what_v2_offers(running, monkeypatch):
    from backends.kserve_v2 import KServeV2Serving

    monkeypatch.delenv("VIGIL_ADMIN_TOKEN", raising=False)
    _, client = running
    reader = KServeV2Serving(str(client.base_url).rstrip("/"), timeout_s=10)
    endpoints = {e.model: e for e in reader.endpoints()}
    assert set(endpoints) == {"good", "broken"}
    good = endpoints["good"]
    assert good.healthy and [(v.version, v.state) for v in good.versions] == [("1", "ready")]
    assert dict(good.weights) == {}
    assert not endpoints["broken"].healthy
    reader.close()


class _ReadOnlyStore(MemoryWorkspace):
    """A workspace whose traffic store fails (a read-only disk, say)."""

    def store_traffic(self, model, weights, actor):
        raise OSError("read-only file system")


def test_a_split_that_cannot_be_stored_is_applied_with_a_warning(tmp_path):
    one = logistic_onnx(tmp_path / "1.onnx", *WEIGHTS)
    two = logistic_onnx(tmp_path / "2.onnx", *WEIGHTS)
    versions = (VersionEntry("1", "onnx", str(one)), VersionEntry("2", "onnx", str(two)))
    workspace = _ReadOnlyStore([ModelEntry("m", versions, weights={"1": 50, "2": 50})])
    server = BackgroundServer(workspace, ServeOptions(port=0), Tokens((("t", "tok"),), None))
    url = server.start()
    try:
        body = {"weights": {"1": 100, "2": 0}}
        answer = httpx.put(
            f"{url}/admin/models/m/traffic", json=body, headers={"Authorization": "Bearer tok"}
        )
        assert answer.status_code == 200
        assert answer.json()["weights"] == {"1": 100, "2": 0}
        assert "not stored: read-only file system" in answer.json()["warning"]
    finally:
        server.stop()


def test_a_change_refused_with_503_changed_nothing(tmp_path):
    one = logistic_onnx(tmp_path / "1.onnx", *WEIGHTS)
    two = logistic_onnx(tmp_path / "2.onnx", *WEIGHTS)
    versions = (VersionEntry("1", "onnx", str(one)), VersionEntry("2", "onnx", str(two)))
    workspace = MemoryWorkspace([ModelEntry("m", versions, weights={"1": 100, "2": 0})])
    options = ServeOptions(port=0, drain_timeout_s=0.2)
    server = BackgroundServer(workspace, options, Tokens((("t", "tok"),), None))
    url = server.start()
    admin = {"Authorization": "Bearer tok"}
    served = server.state.manager.models["m"]
    stuck = served.versions["1"]
    routed_by = served.table.generation
    served.enter(routed_by, stuck)  # a request that does not finish within the drain timeout
    try:
        answer = httpx.put(
            f"{url}/admin/models/m/traffic", json={"weights": {"1": 0, "2": 100}}, headers=admin
        )
        assert answer.status_code == 503 and "put back as it was" in answer.json()["error"]
        assert answer.json()["weights"] == {"1": 100, "2": 0}
        status = httpx.get(f"{url}/admin/models/m", headers=admin).json()
        assert status["weights"] == {"1": 100, "2": 0}
        assert status["generation"] == answer.json()["generation"]
        assert workspace.traffic_changes == []
        assert served.table.versions == ("1",)
    finally:
        served.leave(routed_by, stuck)
        server.stop()
