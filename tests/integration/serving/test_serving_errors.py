"""Malformed requests get a 4xx naming the problem, and the server stays up."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration
GOOD = {"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]}


def _input(**changes):
    entry = {**GOOD["inputs"][0], **changes}
    return {"inputs": [entry]}


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/v2/models/fraud/infer", b"{oops", 400, "not valid JSON"),
        ("/v2/models/fraud/infer", b'{"inputs": 3}', 400, "'inputs' list"),
        ("/v2/models/fraud/infer", _input(shape=[1, 4], data=[1, 2, 3, 4]), 400, "shape [1, 4]"),
        ("/v2/models/fraud/infer", _input(datatype="INT64"), 400, "datatype INT64"),
        ("/v2/models/fraud/infer", _input(datatype="FP8"), 400, "unknown datatype 'FP8'"),
        ("/v2/models/fraud/infer", _input(data=[1, 2]), 400, "2 values but shape [1, 3]"),
        ("/v2/models/fraud/infer", _input(name="features"), 400, "unknown input 'features'"),
        ("/v2/models/ghost/infer", GOOD, 404, "unknown model 'ghost'"),
        ("/v2/models/fraud/versions/9/infer", GOOD, 404, "no loaded version '9'"),
        ("/v2/models/fraud/nothing", GOOD, 404, "no endpoint POST"),
    ],
)
def test_bad_requests_get_a_clear_4xx(server, path, body, status, message):
    if isinstance(body, bytes):
        answer = server.http.post(path, content=body)
    else:
        answer = server.http.post(path, json=body)
    assert answer.status_code == status
    assert message in answer.json()["error"]
    assert server.http.post("/v2/models/fraud/infer", json=GOOD).status_code == 200


def test_a_body_over_the_limit_is_refused(server):
    huge = b'{"inputs": [' + b" " * (9 * 1024 * 1024) + b"]}"
    answer = server.http.post("/v2/models/fraud/infer", content=huge, timeout=30)
    assert answer.status_code == 413
    assert "over the limit" in answer.json()["error"]
    assert server.http.get("/v2/health/live").status_code == 200


def test_metadata_of_unknown_models_and_versions(server):
    assert server.http.get("/v2/models/ghost").status_code == 404
    answer = server.http.get("/v2/models/fraud/versions/9")
    assert answer.status_code == 404 and "'9'" in answer.json()["error"]
    assert server.http.get("/v2/models/fraud/versions/2/ready").json()["ready"] is True


def test_wrong_method_is_a_405_in_the_v2_error_shape(server):
    answer = server.http.get("/v2/models/fraud/infer")
    assert answer.status_code == 405 and "not allowed" in answer.json()["error"]


def test_the_routing_key_and_request_id_headers(server):
    headers = {"x-routing-key": "user-42", "x-request-id": "from-header"}
    answer = server.http.post("/v2/models/fraud/infer", json=GOOD, headers=headers)
    assert answer.json()["id"] == "from-header"
    assert answer.headers["x-model-version"] == answer.json()["model_version"]
