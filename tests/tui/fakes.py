"""An in-memory backend that implements the read contracts, for fault injection and snapshots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from backends.contracts import (
    BackendError,
    EndpointStatus,
    Incident,
    Lineage,
    Model,
    ModelVersion,
    NotFoundError,
    Series,
    VersionState,
)

DATA_END = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
NOW = DATA_END + timedelta(days=3)


def _version(model: str, version: str, aliases: tuple[str, ...], day: int) -> ModelVersion:
    """A version with deterministic lineage hashes."""
    seed = f"{model}{version}"
    return ModelVersion(
        model=model,
        version=version,
        created_at=datetime(2026, 11, day, 9, 30, tzinfo=UTC),
        runtime="onnx",
        artifact_uri=f"models/{model}/{version}/model.onnx",
        lineage=Lineage(
            code_hash=("c0de" + seed * 8)[:40],
            data_hash=("da7a" + seed * 8)[:40],
            config_hash=("cf9" + seed * 8)[:40],
            environment_hash=("e4v" + seed * 8)[:40],
        ),
        aliases=aliases,
    )


@dataclass
class FakeBackend:
    """Three models, per-minute metrics ending at DATA_END, one open incident."""

    models: list[Model] = field(default_factory=list)
    weights: dict[str, dict[str, int]] = field(default_factory=dict)
    incidents_list: list[Incident] = field(default_factory=list)
    p99_ms: dict[str, float] = field(default_factory=dict)
    error_share: dict[str, float] = field(default_factory=dict)

    def list_models(self) -> list[Model]:
        """Every model."""
        return list(self.models)

    def get_model(self, name: str) -> Model:
        """One model or NotFoundError."""
        for model in self.models:
            if model.name == name:
                return model
        raise NotFoundError(f"no model {name!r}")

    def registry_events(self, model: str | None, start: datetime, end: datetime) -> list[Any]:
        """No events."""
        return []

    def metric_names(self) -> list[str]:
        """The names the fake serves."""
        return ["requests_total", "errors_total", "stage_latency_ms"]

    def _minutes(self, start: datetime, end: datetime, step_s: int) -> np.ndarray:
        """Timestamps every `step_s` in [start, end) within the 3 h of history."""
        first = max(start, DATA_END - timedelta(hours=3))
        last = min(end, DATA_END + timedelta(seconds=1))
        begin = int(np.ceil(first.timestamp() / step_s) * step_s)
        return np.arange(begin, last.timestamp(), step_s, dtype=float)

    def query_range(
        self,
        name: str,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_s: int = 60,
    ) -> list[Series]:
        """Per-minute counts per version: 100 requests, error share per model."""
        model = labels["model"]
        out = []
        for version, weight in self.weights.get(model, {}).items():
            ts = self._minutes(start, end, step_s)
            requests = np.full(len(ts), float(weight))
            values = requests if name == "requests_total" else requests * self.error_share[model]
            out.append(Series(name, {"model": model, "version": version}, ts, values))
        return out

    def quantile_range(
        self,
        histogram: str,
        quantile: float,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_s: int = 60,
    ) -> list[Series]:
        """Per-stage p99: the model's total split over two stages (no end-to-end series)."""
        model = labels["model"]
        out: list[Series] = []
        if histogram != "stage_latency_ms":
            return out
        for version in self.weights.get(model, {}):
            ts = self._minutes(start, end, step_s)
            for stage, share in (("inference", 0.6), ("network", 0.4)):
                values = np.full(len(ts), self.p99_ms[model] * share)
                labels_out = {"model": model, "version": version, "stage": stage}
                out.append(Series(histogram, labels_out, ts, values))
        return out

    def endpoints(self) -> list[EndpointStatus]:
        """Every served model."""
        return [self.status(model) for model in self.weights]

    def status(self, model: str) -> EndpointStatus:
        """The stored traffic split."""
        if model not in self.weights:
            raise NotFoundError(f"{model} is not served")
        weights = self.weights[model]
        versions = tuple(VersionState(v, "ready", "onnx") for v in weights)
        return EndpointStatus(model, versions, dict(weights), healthy=True, live=False)

    def incidents(self, model: str | None = None, open_only: bool = False) -> list[Incident]:
        """Incidents, newest first."""
        found = [
            i
            for i in self.incidents_list
            if (model is None or i.model == model) and (not open_only or i.closed_at is None)
        ]
        return sorted(found, key=lambda i: i.opened_at, reverse=True)


def make_backend() -> FakeBackend:
    """The deterministic three-model fixture."""
    models = [
        Model(
            "fraud-detector",
            "binary-classification",
            (
                _version("fraud-detector", "3", ("champion",), 2),
                _version("fraud-detector", "4", ("challenger",), 15),
            ),
            slo_p99_ms=100.0,
        ),
        Model(
            "churn-predictor",
            "binary-classification",
            (_version("churn-predictor", "1", ("champion",), 5),),
            slo_p99_ms=200.0,
        ),
        Model(
            "eta-regressor",
            "regression",
            (
                _version("eta-regressor", "7", (), 1),
                _version("eta-regressor", "8", ("champion",), 10),
            ),
            slo_p99_ms=80.0,
        ),
    ]
    return FakeBackend(
        models=models,
        weights={
            "fraud-detector": {"3": 90, "4": 10},
            "churn-predictor": {"1": 100},
            "eta-regressor": {"8": 100},
        },
        incidents_list=[
            Incident(
                "INC-1",
                "eta-regressor",
                "p99 over SLO",
                "P1",
                DATA_END - timedelta(minutes=20),
            ),
            Incident(
                "INC-0",
                "fraud-detector",
                "old drift",
                "P3",
                DATA_END - timedelta(days=1),
                closed_at=DATA_END - timedelta(hours=20),
            ),
        ],
        p99_ms={"fraud-detector": 87.0, "churn-predictor": 150.0, "eta-regressor": 96.0},
        error_share={"fraud-detector": 0.01, "churn-predictor": 0.002, "eta-regressor": 0.05},
    )


class Broken:
    """A backend role that always fails, as a down server would."""

    def __init__(self, message: str = "connection refused") -> None:
        """Fail every call with `message`."""
        self.message = message

    def __getattr__(self, name: str) -> Any:
        """Any method raises BackendError."""

        def fail(*args: Any, **kwargs: Any) -> Any:
            raise BackendError(self.message)

        return fail


@dataclass
class FakeSource:
    """Backends by role, as a Context hands them out; any role can be swapped for a broken one."""

    backend: FakeBackend = field(default_factory=make_backend)
    broken: tuple[str, ...] = ()
    name: str = "test"

    def _role(self, role: str) -> Any:
        """The backend for a role, or a broken one."""
        return Broken(f"{role} backend down") if role in self.broken else self.backend

    @property
    def registry(self) -> Any:
        """The ModelRegistry."""
        return self._role("registry")

    @property
    def metrics(self) -> Any:
        """The MetricStore."""
        return self._role("metrics")

    @property
    def serving(self) -> Any:
        """The ServingControl."""
        return self._role("serving")

    @property
    def incidents(self) -> Any:
        """The IncidentStore."""
        return self._role("incidents")
