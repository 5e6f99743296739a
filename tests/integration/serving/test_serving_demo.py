"""The demo workspace is served as built: one-hot inputs decode to categories in the log."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime, timedelta

import pytest

from backends.embedded import EmbeddedBackend

from .helpers import start_server, stop_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_server(demo_workspace, tmp_path_factory):
    """A server on a copy of the demo (registry, models, references; not its logs)."""
    copy = tmp_path_factory.mktemp("demo-serving") / "workspace"
    skip = shutil.ignore_patterns("inference", "labels", "serving.json", "admin.token")
    shutil.copytree(demo_workspace, copy, ignore=skip)
    running = start_server(copy, "--sample-rate", "1", "--flush-interval", "0.2")
    yield running
    stop_server(running)


def _encoded_row(order: list[str]) -> tuple[list[float], dict[str, str]]:
    """Numeric columns at 1.0 and, per categorical, its second category hot."""
    values, chosen, seen = [], {}, {}
    for column in order:
        name, one_hot, category = column.partition("=")
        if not one_hot:
            values.append(1.0)
            continue
        seen[name] = seen.get(name, 0) + 1
        values.append(1.0 if seen[name] == 2 else 0.0)
        if seen[name] == 2:
            chosen[name] = category
    return values, chosen


def test_one_hot_inputs_decode_to_categories(demo_server):
    version = demo_server.http.get("/v2/models/fraud-detector").json()["versions"][0]
    meta_path = demo_server.workspace / "models" / "fraud-detector" / version / "meta.json"
    values, chosen = _encoded_row(json.loads(meta_path.read_text())["feature_order"])
    assert len(chosen) >= 2
    body = {
        "id": "demo-row",
        "inputs": [
            {"name": "input", "datatype": "FP32", "shape": [1, len(values)], "data": values}
        ],
    }
    path = f"/v2/models/fraud-detector/versions/{version}/infer"
    assert demo_server.http.post(path, json=body).status_code == 200
    backend = EmbeddedBackend(demo_server.workspace)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        now = datetime.now(UTC)
        frame = backend.window("fraud-detector", now - timedelta(hours=1), now + timedelta(hours=1))
        rows = frame[frame["request_id"] == "demo-row"]
        if len(rows):
            break
        time.sleep(0.2)
    (row,) = rows.to_dict("records")
    assert {name: row[name] for name in chosen} == chosen
    assert row["version"] == version and 0.0 <= row["score"] <= 1.0


def test_the_torch_regressor_answers(demo_server):
    meta = demo_server.http.get("/v2/models/eta-regressor").json()
    assert meta["platform"].startswith("pytorch")
    width = meta["inputs"][0]["shape"][1]
    body = {
        "inputs": [
            {"name": "input", "datatype": "FP32", "shape": [2, width], "data": [1.0] * (2 * width)}
        ]
    }
    answer = demo_server.http.post("/v2/models/eta-regressor/infer", json=body).json()
    assert answer["outputs"][0]["shape"][0] == 2
