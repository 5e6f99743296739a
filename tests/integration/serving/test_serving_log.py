"""Sampled requests reach the workspace's inference log; late labels attach by request id."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from backends.embedded import EmbeddedBackend

from .helpers import FRAUD_V1, expected_scores

pytestmark = pytest.mark.integration
STAGE_COLUMNS = ["parse_ms", "inference_ms", "postprocess_ms", "serialize_ms"]


def _window(workspace, ids):
    backend = EmbeddedBackend(workspace)
    now = datetime.now(UTC)
    frame = backend.window("fraud", now - timedelta(hours=1), now + timedelta(hours=1))
    return frame[frame["request_id"].isin(ids)].sort_values("request_id")


def test_logged_rows_and_late_labels(server):
    run = uuid.uuid4().hex[:8]
    ids = [f"log-{run}-{i}" for i in range(5)]
    x = np.array([[i, i / 2, -i] for i in range(5)], dtype=np.float32)
    for request_id, row in zip(ids, x, strict=True):
        body = {
            "id": request_id,
            "inputs": [
                {"name": "input", "datatype": "FP32", "shape": [1, 3], "data": row.tolist()}
            ],
        }
        assert server.http.post("/v2/models/fraud/versions/1/infer", json=body).status_code == 200
    deadline = time.monotonic() + 20
    while len(rows := _window(server.workspace, ids)) < 5 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert rows["request_id"].tolist() == ids
    assert set(rows["version"]) == {"1"}
    np.testing.assert_allclose(rows[["x0", "x1", "x2"]].to_numpy(), x)
    np.testing.assert_allclose(rows["score"], expected_scores(FRAUD_V1, x), rtol=1e-5)
    assert rows["prediction"].tolist() == (expected_scores(FRAUD_V1, x) >= 0.5).astype(int).tolist()
    assert (rows[STAGE_COLUMNS].to_numpy() > 0).all()

    labels = [{"request_id": rid, "label": i % 2} for i, rid in enumerate(ids[:3])]
    labels.append({"request_id": "never-seen", "label": 1})
    answer = server.http.post(
        "/admin/models/fraud/labels", json={"labels": labels}, headers=server.admin
    )
    assert answer.json() == {"received": 4, "matched": 3}
    labelled = _window(server.workspace, ids)
    assert labelled["label"].iloc[:3].tolist() == [0.0, 1.0, 0.0]
    assert labelled["label"].iloc[3:].isna().all()


def test_bad_labels_are_a_400(server):
    answer = server.http.post(
        "/admin/models/fraud/labels", json={"labels": [{"label": 1}]}, headers=server.admin
    )
    assert answer.status_code == 400 and "request_id" in answer.json()["error"]
