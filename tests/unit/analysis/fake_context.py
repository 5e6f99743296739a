"""A small in-memory context with the contract methods the analysis commands read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from backends.contracts import (
    STAGES,
    FeatureSpec,
    Incident,
    Lineage,
    Model,
    ModelVersion,
    NotFoundError,
    RegistryEvent,
    Series,
    TimelineEvent,
)

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


def _version(number: str, aliases: tuple[str, ...], at: datetime) -> ModelVersion:
    lineage = Lineage("c", "d", "f", "e")
    return ModelVersion("fraud", number, at, "onnx", f"file:///m/{number}", lineage, aliases)


def _frame(n: int, start: datetime, end: datetime, seed: int, shifted: bool) -> pd.DataFrame:
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


@dataclass
class FakeContext:
    """Registry, features, log, metrics and incidents for one model, `fraud`."""

    default_model: str | None = "fraud"
    log: pd.DataFrame = field(
        default_factory=lambda: _frame(20_000, END - timedelta(days=4), END, 1, True)
    )
    reference_frame: pd.DataFrame = field(
        default_factory=lambda: _frame(8_000, END - timedelta(days=30), END, 2, False)
    )

    @property
    def registry(self) -> FakeContext:
        return self

    features = registry
    inference_log = registry
    metrics = registry

    @property
    def incidents(self) -> FakeIncidents:
        return FakeIncidents()

    def model(self) -> Model:
        versions = (
            _version("2", ("champion",), END - timedelta(days=30)),
            _version("3", ("challenger",), DEPLOY),
        )
        specs = (
            FeatureSpec("amount", "numeric"),
            FeatureSpec("age", "numeric"),
            FeatureSpec("device_type", "categorical"),
        )
        return Model(
            "fraud",
            "binary-classification",
            versions,
            slo_p99_ms=100.0,
            features=specs,
            latency_budget_ms=BUDGET,
        )

    def list_models(self) -> list[Model]:
        return [self.model()]

    def get_model(self, name: str) -> Model:
        if name != "fraud":
            raise NotFoundError(f"no model {name!r}")
        return self.model()

    def registry_events(self, model: str | None, start: datetime, end: datetime) -> list[Any]:
        events = [
            RegistryEvent(DEPLOY, "fraud", "version_registered", "3"),
            RegistryEvent(DEPLOY, "fraud", "alias_moved", "3", {"alias": "challenger"}),
        ]
        return [e for e in events if start <= e.at < end]

    def reference(self, model: str, version: str | None = None) -> pd.DataFrame:
        return self.reference_frame.drop(columns=["ts"])

    def time_range(self, model: str) -> tuple[datetime, datetime] | None:
        return (self.log["ts"].min().to_pydatetime(), self.log["ts"].max().to_pydatetime())

    def window(
        self,
        model: str,
        start: datetime,
        end: datetime,
        columns: Any = None,
        version: str | None = None,
    ) -> pd.DataFrame:
        frame = self.log[(self.log["ts"] >= start) & (self.log["ts"] < end)]
        if version is not None:
            frame = frame[frame["version"] == version]
        if columns is not None:
            wanted = list(dict.fromkeys(["ts", *columns]))
            frame = frame[[c for c in wanted if c in frame]]
        return frame.reset_index(drop=True)

    def metric_names(self) -> list[str]:
        return ["memory_used_bytes"]

    def query_range(
        self, name: str, labels: Any, start: datetime, end: datetime, step_s: int = 60
    ) -> list[Series]:
        ts = np.arange(start.timestamp(), end.timestamp(), step_s, dtype=float)
        values = np.where(ts >= (DEPLOY + timedelta(hours=6)).timestamp(), 12e9, 8e9)
        return [Series(name, {"host": "serve-a"}, ts, values)]

    def quantile_range(self, *args: Any, **kwargs: Any) -> list[Series]:
        return []


class FakeIncidents:
    """The incident store: one alert, one incident, an empty audit log."""

    def timeline_events(self, model: str | None, start: datetime, end: datetime) -> list[Any]:
        event = TimelineEvent(DROP + timedelta(hours=1), "alert", "model", "AccuracyDrop firing")
        return [event] if start <= event.at < end else []

    def audit_log(self, since_seq: int = 0) -> list[Any]:
        return []

    def incidents(self, model: str | None = None, open_only: bool = False) -> list[Incident]:
        return [Incident("INC-1", "fraud", "fraud: accuracy down", "P1", DROP + timedelta(hours=2))]
