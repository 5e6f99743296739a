"""One model, `fraud`, whose `amount` shifts on tablets a day before END: drift, slices, timeline.

Four days of 20,000 logged requests (labels, scores, stage timings), a
reference sample, a memory metric that steps up six hours after the deploy of
version 3, one alert and one incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from backends.contracts import STAGES, FeatureSpec, Lineage, Model, ModelVersion, TimelineEvent
from backends.memory import MemoryBackend
from console.config import Context
from tests.datasets import memory_backend, memory_context

END = datetime(2026, 11, 20, tzinfo=UTC)
DEPLOY = END - timedelta(hours=40)
DROP = END - timedelta(hours=24)
BUDGET = {
    "network": 15.0,
    "feature_fetch": 25.0,
    "parse": 5.0,
    "inference": 40.0,
    "postprocess": 10.0,
    "serialize": 5.0,
}
FEATURES = (
    FeatureSpec("amount", "numeric"),
    FeatureSpec("age", "numeric"),
    FeatureSpec("device_type", "categorical"),
)


@dataclass(frozen=True)
class FraudShift:
    """The context, its backend, and the frames written into it."""

    context: Context
    backend: MemoryBackend
    log: pd.DataFrame
    reference: pd.DataFrame

    def model(self) -> Model:
        """The `fraud` model as the registry holds it."""
        return self.backend.get_model("fraud")


def _version(number: str, aliases: tuple[str, ...], at: datetime) -> ModelVersion:
    """A version of `fraud` registered at `at`."""
    lineage = Lineage("c", "d", "f", "e")
    return ModelVersion("fraud", number, at, "onnx", f"file:///m/{number}", lineage, aliases)


def requests(n: int, start: datetime, end: datetime, seed: int, shifted: bool) -> pd.DataFrame:
    """`n` logged requests in [start, end); with `shifted`, tablet amounts x6 after DROP."""
    rng = np.random.default_rng(seed)
    span = (end - start).total_seconds()
    ts = np.sort(start.timestamp() + rng.random(n) * span)
    device = rng.choice(["desktop", "ios", "android", "tablet"], n, p=[0.45, 0.3, 0.2, 0.05])
    amount = rng.lognormal(3.5, 0.8, n)
    hit = (device == "tablet") & (ts >= DROP.timestamp()) & shifted
    amount = np.where(hit, amount * 6, amount)
    label = (rng.random(n) < 0.1).astype(float)
    score = np.clip(0.1 + 0.3 * hit + rng.normal(0, 0.05, n), 0, 1)
    wrong = hit & (rng.random(n) < 0.5)
    prediction = np.where(wrong, 1 - label, label)
    frame = pd.DataFrame(
        {
            "ts": pd.to_datetime(np.round(ts * 1000).astype(np.int64), unit="ms", utc=True),
            "request_id": [f"r{i}" for i in range(n)],
            "version": np.where(rng.random(n) < 0.1, "3", "2"),
            "amount": amount,
            "age": rng.normal(40, 10, n),
            "device_type": device,
            "score": score,
            "prediction": prediction,
            "label": label,
        }
    )
    for stage in STAGES:
        scale = 30.0 if stage == "feature_fetch" else BUDGET[stage] / 4
        frame[f"{stage}_ms"] = rng.gamma(4, scale / 4, n)
    return frame


def _memory_metric(start: datetime, end: datetime) -> pd.DataFrame:
    """`memory_used_bytes{host=serve-a}` each minute: 8 GB, 12 GB from six hours after deploy."""
    ts = np.arange(start.timestamp(), end.timestamp(), 60, dtype=float)
    values = np.where(ts >= (DEPLOY + timedelta(hours=6)).timestamp(), 12e9, 8e9)
    labels = [{"host": "serve-a"}] * len(ts)
    return pd.DataFrame({"name": "memory_used_bytes", "labels": labels, "ts": ts, "value": values})


def fraud_shift(
    default_model: str | None = "fraud", *, timings: bool = True, incident: bool = True
) -> FraudShift:
    """The dataset in a fresh in-memory context; `timings` and `incident` can be left out."""
    context = memory_context(default_model=default_model)
    backend = memory_backend(context)
    backend.upsert_model(
        "fraud",
        "binary-classification",
        slo_p99_ms=100.0,
        features=FEATURES,
        latency_budget_ms=BUDGET,
    )
    backend.register_version(_version("2", ("champion",), END - timedelta(days=30)))
    backend.register_version(_version("3", ("challenger",), DEPLOY))
    log = requests(20_000, END - timedelta(days=4), END, 1, True)
    if not timings:
        log = log.drop(columns=[f"{stage}_ms" for stage in STAGES])
    backend.append("fraud", log)
    reference = requests(8_000, END - timedelta(days=30), END, 2, False).drop(columns=["ts"])
    backend.put_reference("fraud", reference)
    backend.write_points(_memory_metric(END - timedelta(days=5), END))
    backend.add_event(
        TimelineEvent(DROP + timedelta(hours=1), "alert", "model", "AccuracyDrop firing", "fraud")
    )
    if incident:
        backend.open_incident("fraud", "fraud: accuracy down", "P1", DROP + timedelta(hours=2))
    stored = backend.window("fraud", END - timedelta(days=4), END)
    return FraudShift(context, backend, stored, reference)
