"""The probe's bad requests each get a 4xx with a reason, over a live server that stays up."""

from __future__ import annotations

import json
import math
import signal
import socket
import time

import httpx
import numpy as np
import pandas as pd
import pytest

from local_serving.admin import Tokens
from local_serving.examples import logistic_onnx
from local_serving.options import ServeOptions
from local_serving.server import BackgroundServer
from local_serving.source import MemoryWorkspace, ModelEntry, VersionEntry

from .helpers import FRAUD_V1, Running, expected_scores, start_server, stop_server

pytestmark = pytest.mark.integration
ENTRY = {"name": "input", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}
GOOD = {"inputs": [ENTRY]}
INFER = "/v2/models/fraud/infer"


@pytest.fixture(scope="module")
def live(workspace):
    """A server with a one-second idle timeout, logging nothing into the shared workspace."""
    running = start_server(workspace, "--all-versions", "--idle-timeout", "1", "--sample-rate", "0")
    yield running
    assert stop_server(running) in (0, -signal.SIGTERM)  # with its decoder process


def _metric(running: Running, prefix: str) -> float:
    """The value of the first /metrics line starting with `prefix` (0 if absent)."""
    for line in running.http.get("/metrics").text.splitlines():
        if line.startswith(prefix):
            return float(line.split()[-1])
    return 0.0


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (
            json.dumps({"inputs": [{**ENTRY, "shape": [0, 3], "data": []}]}),
            {},
            "shape [0, 3] holds no values",
        ),
        (
            '{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3], '
            '"data": [1, 2, 1' + "0" * 400 + "]}]}",
            {},
            "FP32 data must be numbers",
        ),
        (
            json.dumps({**GOOD, "outputs": [{"name": "score", "parameters": "x"}]}),
            {},
            "output 'score': 'parameters' must be a JSON object",
        ),
        (
            json.dumps({"inputs": [{**ENTRY, "parameters": [1]}]}),
            {},
            "input 'input': 'parameters' must be a JSON object",
        ),
        (
            json.dumps({"inputs": [{**ENTRY, "datatype": 5}]}),
            {},
            "'datatype' must be a string",
        ),
        (
            json.dumps(GOOD),
            {"Inference-Header-Content-Length": "²".encode()},
            "must be a decimal integer",
        ),
        (
            '{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3], '
            '"data": [1, NaN, 3]}]}',
            {},
            "NaN is not a JSON number",
        ),
        (
            '{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3], '
            '"data": [1, 1e400, 3]}]}',
            {},
            "NaN, Infinity or a value beyond FP32",
        ),
        (json.dumps({"inputs": [{**ENTRY, "data": [1, None, 3]}]}), {}, "must be numbers"),
        (
            json.dumps({"inputs": [{**ENTRY, "data": [[[1], [2], [3]]]}]}),
            {},
            "nested data of shape [1, 3, 1] does not match [1, 3]",
        ),
        (json.dumps({"inputs": [ENTRY, ENTRY]}), {}, "input 'input' is given twice"),
    ],
)
def test_each_probe_case_is_a_400_with_a_reason(live, body, headers, message):
    headers = {"Content-Type": "application/json", **headers}
    answer = live.http.post(INFER, content=body.encode(), headers=headers)
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    assert live.http.post(INFER, json=GOOD).status_code == 200


def test_allowed_non_finite_values_go_back_as_null_and_spare_the_histograms(tmp_path):
    model = logistic_onnx(tmp_path / "m.onnx", [1.0, 1.0], 0.0)
    workspace = MemoryWorkspace(
        [ModelEntry("m", (VersionEntry("1", "onnx", str(model)),), features=("a", "b"))]
    )
    options = ServeOptions(port=0, allow_non_finite=True)
    server = BackgroundServer(workspace, options, Tokens((("t", "tok"),), None))
    url = server.start()
    try:
        body = (
            b'{"inputs": [{"name": "input", "datatype": "FP32", "shape": [3, 2], '
            b'"data": [NaN, 1, Infinity, 2, -Infinity, null]}]}'
        )
        answer = httpx.post(f"{url}/v2/models/m/infer", content=body)
        assert answer.status_code == 200
        doc = json.loads(answer.content, parse_constant=lambda token: pytest.fail(f"bare {token}"))
        assert doc["outputs"][0]["data"][0] is None
        metrics = httpx.get(f"{url}/metrics").text
        sums = [line for line in metrics.splitlines() if line.startswith("vigil_feature_value_sum")]
        assert sums and all(math.isfinite(float(line.split()[-1])) for line in sums)
    finally:
        server.stop()


def test_client_errors_are_counted_apart_from_the_versions_errors(live):
    errors = 'vigil_request_errors_total{model="fraud",version="1"}'
    rejected = 'vigil_rejected_requests_total{model="fraud",code="400"}'
    before_errors, before_rejected = _metric(live, errors), _metric(live, rejected)
    wrong_name = {"inputs": [{**ENTRY, "name": "features"}]}
    for body in (wrong_name, {"inputs": [{**ENTRY, "shape": [1, 4], "data": [1, 2, 3, 4]}]}):
        assert live.http.post(INFER, json=body).status_code == 400
    assert _metric(live, errors) == before_errors
    assert _metric(live, rejected) == before_rejected + 2


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({"Content-Type": "text/plain"}, 415, "Content-Type 'text/plain' is not accepted"),
        (
            {"Content-Type": "application/x-www-form-urlencoded"},
            415,
            "is not accepted: send application/json",
        ),
        (
            {"Content-Type": "application/json", "Origin": "https://evil.example"},
            403,
            "requests from web pages",
        ),
    ],
)
def test_web_pages_cannot_post_inference(live, headers, status, message):
    answer = live.http.post(INFER, content=json.dumps(GOOD).encode(), headers=headers)
    assert answer.status_code == status and message in answer.json()["error"]


def test_json_with_a_charset_and_no_content_type_are_served(live):
    body = json.dumps(GOOD).encode()
    typed = live.http.post(
        INFER, content=body, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert typed.status_code == 200
    untyped = httpx.post(live.url + INFER, content=body)  # what tritonclient sends
    assert untyped.status_code == 200


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes `sock` within `seconds`."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    return True


@pytest.mark.parametrize(
    "sent",
    [b"", b"POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 90\r\n\r\n{"],
)
def test_a_connection_waiting_on_the_client_is_closed_after_the_idle_timeout(live, sent):
    host, port = live.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(sent)
        assert _closed_within(sock, 10.0)


def test_a_slow_request_is_not_cut_by_the_idle_timeout(live):
    body = json.dumps(GOOD).encode()
    head = f"POST {INFER} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    host, port = live.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(head + body[:10])
        time.sleep(0.6)
        sock.sendall(body[10:])
        sock.settimeout(10)
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")


def test_a_large_body_is_decoded_off_the_event_loop_with_the_same_answer(live):
    x = np.random.default_rng(1).normal(size=(40_000, 3)).astype(np.float32)
    body = {"inputs": [{**ENTRY, "shape": list(x.shape), "data": x.tolist()}]}
    answer = live.http.post(INFER, json=body, timeout=60)
    assert answer.status_code == 200
    scores = np.asarray(answer.json()["outputs"][0]["data"])
    np.testing.assert_allclose(scores, expected_scores(FRAUD_V1, x), rtol=1e-4)
    x[7, 1] = np.nan
    bad = {"inputs": [{**ENTRY, "shape": list(x.shape), "data": x.tolist()}]}
    refused = live.http.post(INFER, content=json.dumps(bad).encode(), timeout=60)
    assert refused.status_code == 400 and "NaN is not a JSON number" in refused.json()["error"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/admin/models/fraud/traffic", b"[" * 50_000 + b"]" * 50_000),
        ("/admin/models/fraud/traffic", b'{"weights": {"1": NaN, "2": 0}}'),
        ("/admin/models/fraud/rollback", b'{"to": "1", "if_generation": 1e400}'),
        ("/admin/models/fraud/labels", b'{"labels": [{"request_id": "r", "label": {"a": 1}}]}'),
        (
            "/admin/models/fraud/labels",
            b'{"labels": [{"request_id": "r", "label": "yes"}, {"request_id": "s", "label": 1}]}',
        ),
        (
            "/admin/models/fraud/labels",
            b'{"labels": [{"request_id": "r", "label": 1' + b"0" * 400 + b"}]}",
        ),
        ("/admin/models/fraud/labels", b'{"labels": [{"request_id": "r", "label": NaN}]}'),
    ],
)
def test_odd_admin_bodies_are_a_400(live, path, body):
    method = "PUT" if path.endswith("traffic") else "POST"
    answer = live.http.request(method, path, content=body, headers=live.admin)
    assert answer.status_code == 400, answer.text
    if path.endswith("labels"):
        assert "must be a finite number" in answer.json()["error"]


def test_the_server_is_still_up(live):
    assert live.process.poll() is None
    assert live.http.get("/v2/health/live").status_code == 200


def test_a_refused_request_reaches_the_rollups_of_its_model(tmp_path):
    model = logistic_onnx(tmp_path / "m.onnx", [1.0, 1.0], 0.0)
    workspace = MemoryWorkspace(
        [ModelEntry("m", (VersionEntry("1", "onnx", str(model)),), features=("a", "b"))]
    )
    server = BackgroundServer(workspace, ServeOptions(port=0), Tokens((("t", "tok"),), None))
    url = server.start()
    try:
        good = {"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]}]}
        missing = {"inputs": [{**good["inputs"][0], "data": [1, None]}]}
        assert httpx.post(f"{url}/v2/models/m/infer", json=good).status_code == 200
        for _ in range(3):
            assert httpx.post(f"{url}/v2/models/m/infer", json=missing).status_code == 400
    finally:
        server.stop()
    points = pd.concat(workspace.points)
    totals: dict[tuple[str, str | None], float] = {}
    for name, labels, value in zip(points["name"], points["labels"], points["value"], strict=True):
        if name in ("requests_total", "errors_total", "rejected_total"):
            key = (name, labels.get("code"))
            totals[key] = totals.get(key, 0.0) + value  # the requests may straddle a minute
    assert totals == {
        ("requests_total", None): 1.0,
        ("errors_total", None): 0.0,
        ("rejected_total", "400"): 3.0,
    }
