"""Three served models with three hours of per-minute metrics ending at DATA_END, two incidents.

fraud-detector has a 10 % canary of v4, churn-predictor is healthy, and
eta-regressor runs over its p99 SLO with one open P1. The console's overview,
model screen and services tests read it from the in-memory backend;
`tests/tui/workspace.py` writes the same into an embedded workspace.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from backends.contracts import Lineage, ModelVersion
from backends.embedded import EmbeddedBackend
from backends.memory import MemoryBackend
from console.config import Context
from tests.datasets import memory_backend, memory_context

DATA_END = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
NOW = DATA_END + timedelta(days=3)
HISTORY = timedelta(hours=3)
TASKS = {
    "fraud-detector": "binary-classification",
    "churn-predictor": "binary-classification",
    "eta-regressor": "regression",
}
SLO_P99_MS = {"fraud-detector": 100.0, "churn-predictor": 200.0, "eta-regressor": 80.0}
VERSIONS = {
    "fraud-detector": (("3", ("champion",), 2), ("4", ("challenger",), 15)),
    "churn-predictor": (("1", ("champion",), 5),),
    "eta-regressor": (("7", (), 1), ("8", ("champion",), 10)),
}
WEIGHTS = {
    "fraud-detector": {"3": 90, "4": 10},
    "churn-predictor": {"1": 100},
    "eta-regressor": {"8": 100},
}
P99_MS = {"fraud-detector": 87.0, "churn-predictor": 150.0, "eta-regressor": 96.0}
ERROR_SHARE = {"fraud-detector": 0.01, "churn-predictor": 0.002, "eta-regressor": 0.05}
STAGE_SHARES = (("inference", 0.6), ("network", 0.4))


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


def _metrics() -> pd.DataFrame:
    """Per minute and version: requests at the version's weight, errors, and stage p99s."""
    minutes = np.arange((DATA_END - HISTORY).timestamp(), DATA_END.timestamp() + 1, 60.0)
    rows = []
    for model, weights in WEIGHTS.items():
        for version, weight in weights.items():
            labels = {"model": model, "version": version}
            errors = weight * ERROR_SHARE[model]
            for name, value in (("requests_total", float(weight)), ("errors_total", errors)):
                rows += [(name, labels, ts, value) for ts in minutes]
            for stage, share in STAGE_SHARES:
                stage_labels = {**labels, "stage": stage, "quantile": "0.99"}
                value = P99_MS[model] * share
                rows += [("stage_latency_ms", stage_labels, ts, value) for ts in minutes]
    return pd.DataFrame(rows, columns=["name", "labels", "ts", "value"])


def write_three_models(backend: MemoryBackend | EmbeddedBackend) -> None:
    """Write the models, splits, metrics and incidents through the backend's write API."""
    for model, versions in VERSIONS.items():
        backend.upsert_model(model, TASKS[model], slo_p99_ms=SLO_P99_MS[model])
        for version, aliases, day in versions:
            backend.register_version(_version(model, version, aliases, day))
        backend.set_weights(model, WEIGHTS[model])
    backend.write_points(_metrics())
    old = backend.open_incident("fraud-detector", "old drift", "P3", DATA_END - timedelta(days=1))
    backend.close_incident(old.incident_id, DATA_END - timedelta(hours=20))
    backend.open_incident("eta-regressor", "p99 over SLO", "P1", DATA_END - timedelta(minutes=20))


def three_models(name: str = "test") -> Context:
    """A fresh in-memory context holding the three models."""
    context = memory_context(name)
    backend = memory_backend(context)
    write_three_models(backend)
    backend.changes.clear()
    return context
