"""The recorder: sampled rows to the inference log, per-minute rollups to the metric store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from local_serving.metrics.serving import STAGES, ServingMetrics
from local_serving.recorder import Recorder, Sample
from local_serving.source import InputLayout, MemoryWorkspace


def _recorder():
    workspace = MemoryWorkspace([])
    metrics = ServingMetrics({})
    return workspace, metrics, Recorder(workspace, metrics, STAGES, flush_interval_s=60)


def test_sampled_rows_carry_features_score_version_and_stage_timings():
    workspace, metrics, recorder = _recorder()
    inputs = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    sample = Sample(
        "req-1", InputLayout(("a", "b")), inputs, np.array([0.2, 0.9]), np.array([0, 1]), 0.25
    )
    recorder.submit("m", "2", (0.001, 0.002, 0.0005, 0.0001), False, sample)
    recorder.submit("m", "2", (0.001, 0.002, 0.0005, 0.0001), False, None)
    recorder.flush()
    rows = pd.concat(workspace.logged["m"])
    assert rows["request_id"].tolist() == ["req-1/0", "req-1/1"]
    assert rows["version"].tolist() == ["2", "2"]
    assert rows["a"].tolist() == [1.0, 3.0] and rows["b"].tolist() == [2.0, 4.0]
    assert rows["score"].tolist() == [0.2, 0.9] and rows["prediction"].tolist() == [0, 1]
    assert rows["inference_ms"].tolist() == [2.0, 2.0]
    assert rows["sample_rate"].tolist() == [0.25, 0.25]
    assert str(rows["ts"].dt.tz) == "UTC"
    assert metrics.log_rows.counter("m").value == 2


def test_rollups_give_quantiles_requests_and_errors_per_minute():
    workspace, _, recorder = _recorder()
    for i in range(100):
        recorder.submit("m", "1", (0.001, (i + 1) / 1000, 0.0, 0.0), False, None)
    recorder.submit("m", "1", (), True, None)
    recorder.stop()
    points = pd.concat(workspace.points)
    by_name = {name: group for name, group in points.groupby("name")}
    assert by_name["requests_total"]["value"].tolist() == [101.0]
    assert by_name["errors_total"]["value"].tolist() == [1.0]
    latency = by_name["stage_latency_ms"]
    inference = latency[[labels["stage"] == "inference" for labels in latency["labels"]]]
    values = {
        labels["quantile"]: value
        for labels, value in zip(inference["labels"], inference["value"], strict=True)
    }
    assert set(values) == {"0.5", "0.95", "0.99"}
    assert abs(values["0.5"] - 50.5) < 1e-9 and abs(values["0.99"] - 99.01) < 1e-9
    assert all(ts % 60 == 0 for ts in points["ts"])


def test_a_full_queue_drops_and_counts():
    workspace = MemoryWorkspace([])
    metrics = ServingMetrics({})
    recorder = Recorder(workspace, metrics, STAGES, max_pending=3)
    for _ in range(5):
        recorder.submit("m", "1", (0.0, 0.0, 0.0, 0.0), False, None)
    assert metrics.log_dropped.counter("m").value == 2


def test_one_hot_blocks_decode_back_to_categories():
    layout = InputLayout(("amount",), (("device", ("ios", "android")), ("country", ("FR", "DE"))))
    assert layout.width == 5
    assert layout.decode([12.5, 0.0, 1.0, 1.0, 0.0]) == {
        "amount": 12.5,
        "device": "android",
        "country": "FR",
    }
    assert layout.decode([1.0, 0.0, 0.0, 0.0, 0.0])["device"] is None
    assert InputLayout(()).decode([3.0, 4.0]) == {"f0": 3.0, "f1": 4.0}


def test_a_layout_follows_the_encoded_column_order():
    from local_serving.source.embedded import layout_of

    layout = layout_of(["amount", "age", "device=ios", "device=android", "country=FR"])
    assert layout.numeric == ("amount", "age")
    assert layout.categorical == (("device", ("ios", "android")), ("country", ("FR",)))
    with pytest.raises(ValueError, match="after one-hot"):
        layout_of(["device=ios", "amount"])


def test_refusals_are_counted_per_minute_and_code_apart_from_the_versions_errors():
    workspace, _, recorder = _recorder()
    recorder.submit("m", "1", (0.001, 0.002, 0.0, 0.0), False, None)
    for status in (400, 400, 404):
        recorder.reject("m", status)
    recorder.stop()
    points = pd.concat(workspace.points)
    rejected = points[points["name"] == "rejected_total"]
    by_code = {
        labels["code"]: value
        for labels, value in zip(rejected["labels"], rejected["value"], strict=True)
    }
    assert by_code == {"400": 2.0, "404": 1.0}
    assert {labels["model"] for labels in rejected["labels"]} == {"m"}
    errors = points[points["name"] == "errors_total"]["value"].tolist()
    requests = points[points["name"] == "requests_total"]["value"].tolist()
    assert errors == [0.0] and requests == [1.0]


class Clock:
    """A settable time.time for the recorder."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_request_queued_late_in_its_minute_lands_in_that_minutes_one_rollup(monkeypatch):
    from local_serving.recorder import writer

    clock = Clock(1_800_000_000.0 + 59.99)  # a minute's last instant
    monkeypatch.setattr(writer.time, "time", clock)
    workspace, _, recorder = _recorder()
    recorder.submit("m", "1", (0.001, 0.002, 0.0, 0.0), False, None)
    clock.now += 0.5  # a flush just after the minute ended
    recorder.flush()
    clock.now -= 0.499  # a request stamped in that minute, queued after the drain
    recorder.submit("m", "1", (0.001, 0.002, 0.0, 0.0), False, None)
    clock.now += 5.0
    recorder.flush()
    points = pd.concat(workspace.points)
    requests = points[points["name"] == "requests_total"]
    assert requests["ts"].tolist() == [1_800_000_000] and requests["value"].tolist() == [2.0]


def test_rollups_the_store_refuses_go_with_the_next_flush(monkeypatch):
    from local_serving.recorder import writer

    class Refusing(MemoryWorkspace):
        refuse = True

        def write_points(self, frame: pd.DataFrame) -> int:
            if self.refuse:
                raise OSError("database is locked")
            return super().write_points(frame)

    workspace = Refusing([])
    recorder = Recorder(workspace, ServingMetrics({}), STAGES, flush_interval_s=60)
    clock = Clock(1_800_000_000.0)
    monkeypatch.setattr(writer.time, "time", clock)
    recorder.submit("m", "1", (0.001, 0.002, 0.0, 0.0), False, None)
    clock.now += 120
    recorder.flush()
    assert workspace.points == []
    workspace.refuse = False
    recorder.submit("m", "1", (0.001, 0.002, 0.0, 0.0), True, None)
    clock.now += 65
    recorder.flush()
    points = pd.concat(workspace.points)
    requests = points[points["name"] == "requests_total"]
    assert sorted(requests["ts"].tolist()) == [1_800_000_000, 1_800_000_120]
    assert requests["value"].tolist() == [1.0, 1.0]


def test_rollups_refused_at_shutdown_are_reported_lost(caplog):
    class Refusing(MemoryWorkspace):
        def write_points(self, frame: pd.DataFrame) -> int:
            raise OSError("database is locked")

    recorder = Recorder(Refusing([]), ServingMetrics({}), STAGES, flush_interval_s=60)
    recorder.submit("m", "1", (0.001, 0.002, 0.0, 0.0), False, None)
    recorder.stop()
    assert "points could not be written before the server stopped" in caplog.text
