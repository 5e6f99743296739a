"""Vigil-Client-Timing: client-side stage times parsed strictly and recorded with the server's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from local_serving.http.client_timing import client_timing
from local_serving.metrics.serving import STAGES, ServingMetrics
from local_serving.protocol.v2 import ProtocolError
from local_serving.recorder import Recorder, Sample
from local_serving.source import InputLayout, MemoryWorkspace


def test_the_header_gives_seconds_per_client_stage():
    assert client_timing("network=4, feature_fetch=31.5") == (
        ("network", 0.004),
        ("feature_fetch", 0.0315),
    )
    assert client_timing(None) == () and client_timing("  ") == ()


@pytest.mark.parametrize(
    "header",
    ["parse=3", "network", "network=-1", "network=nan", "network=1e400", "network=1,network=2"],
)
def test_a_malformed_header_is_a_400(header):
    with pytest.raises(ProtocolError) as raised:
        client_timing(header)
    assert raised.value.status == 400


def test_client_stages_reach_the_log_row_and_the_rollups():
    workspace = MemoryWorkspace([])
    recorder = Recorder(workspace, ServingMetrics({}), STAGES, flush_interval_s=60)
    sample = Sample("r1", InputLayout(("a",)), np.array([[1.0]]), np.array([0.3]), np.array([0]))
    client = (("network", 0.004), ("feature_fetch", 0.030))
    recorder.submit("m", "1", (0.001, 0.002, 0.0, 0.0), False, sample, client)
    recorder.submit("m", "1", (0.001, 0.002, 0.0, 0.0), False, None)
    recorder.stop()
    row = pd.concat(workspace.logged["m"]).iloc[0]
    assert row["feature_fetch_ms"] == pytest.approx(30.0)
    assert row["network_ms"] == pytest.approx(4.0)
    assert row["inference_ms"] == pytest.approx(2.0)
    points = pd.concat(workspace.points)
    stages = {labels.get("stage") for labels in points["labels"]}
    assert {"network", "feature_fetch", "inference"} <= stages
