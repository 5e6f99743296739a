"""An unexpected failure: a 500 naming an error id, never the exception; the connection lives on."""

from __future__ import annotations

import http.client
import json

import pytest

from local_serving.admin import Tokens
from local_serving.examples import logistic_onnx
from local_serving.options import ServeOptions
from local_serving.server import BackgroundServer
from local_serving.source import MemoryWorkspace, ModelEntry, VersionEntry

pytestmark = pytest.mark.integration
SECRET = "/secret/path/in/the/exception"
BODY = json.dumps(
    {"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]}]}
)


@pytest.fixture
def running(tmp_path):
    model = logistic_onnx(tmp_path / "m.onnx", [0.5, 0.5], 0.0)
    workspace = MemoryWorkspace([ModelEntry("m", (VersionEntry("1", "onnx", str(model)),))])
    server = BackgroundServer(workspace, ServeOptions(port=0), Tokens((("t", "tok"),), None))
    server.start()
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    yield server, connection
    connection.close()
    server.stop()


def _ask(connection, method, path, body=None):
    headers = {"Content-Type": "application/json"} if body else {}
    connection.request(method, path, body=body, headers=headers)
    answer = connection.getresponse()
    return answer.status, json.loads(answer.read())


class _Exploding(dict):
    """A model table whose lookups fail as an unforeseen bug would."""

    def get(self, *args, **kwargs):
        raise RuntimeError(SECRET)


def test_an_escaped_exception_is_a_500_and_the_next_request_on_the_connection_works(running):
    server, connection = running
    manager = server.state.manager
    models = manager.models
    manager.models = _Exploding(models)
    status, doc = _ask(connection, "GET", "/v2/models/m")
    assert status == 500 and "internal error" in doc["error"] and SECRET not in doc["error"]
    manager.models = models
    status, doc = _ask(connection, "GET", "/v2/models/m")
    assert status == 200 and doc["name"] == "m"


def test_a_runtime_failure_is_a_500_without_its_text_and_counts_as_a_version_error(running):
    server, connection = running
    loaded = server.state.manager.models["m"].versions["1"]
    runner = loaded.runner

    def fail(feeds):
        raise RuntimeError(SECRET)

    original = runner.run
    runner.run = fail
    try:
        status, doc = _ask(connection, "POST", "/v2/models/m/infer", BODY)
    finally:
        runner.run = original
    assert status == 500 and SECRET not in doc["error"] and "internal error" in doc["error"]
    assert loaded.metrics.errors.value == 1
    status, _ = _ask(connection, "POST", "/v2/models/m/infer", BODY)
    assert status == 200


def test_an_admin_failure_is_a_500_without_its_text(running, monkeypatch):
    server, connection = running

    def fail(*args, **kwargs):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(server.state.manager, "set_shadow", fail)
    connection.request(
        "PUT",
        "/admin/models/m/shadow",
        body=json.dumps({"version": None}),
        headers={"Authorization": "Bearer tok", "Content-Type": "application/json"},
    )
    answer = connection.getresponse()
    doc = json.loads(answer.read())
    assert answer.status == 500 and SECRET not in doc["error"] and "internal error" in doc["error"]
