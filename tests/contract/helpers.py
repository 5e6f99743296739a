"""Builders the contract tests share: versions, times and a seeded log frame."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from backends.contracts import Lineage, ModelVersion

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def version(model: str, name: str, days: int = 0, aliases: tuple[str, ...] = ()) -> ModelVersion:
    """A version of `model` created `days` after T0."""
    return ModelVersion(
        model=model,
        version=name,
        created_at=T0 + timedelta(days=days),
        runtime="onnx",
        artifact_uri=f"models/{model}/{name}/model.onnx",
        lineage=Lineage(f"code-{name}", f"data-{name}", f"cfg-{name}", "env"),
        aliases=aliases,
        metrics={"auc": 0.9},
        description=f"version {name}",
    )


def log_rows(n: int, start: datetime, span_s: float, seed: int = 0) -> pd.DataFrame:
    """`n` logged requests spread over `span_s` seconds from `start`, versions 1 and 2."""
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.uniform(0, span_s, n))
    amount = rng.normal(100, 20, n)
    amount[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "ts": pd.Timestamp(start) + pd.to_timedelta(offsets, unit="s"),
            "request_id": [f"req-{seed}-{i}" for i in range(n)],
            "version": np.where(rng.random(n) < 0.8, "1", "2"),
            "amount": amount,
            "country": rng.choice(["US", "FR", "DE"], n),
            "score": rng.random(n),
            "prediction": rng.integers(0, 2, n),
            "inference_ms": rng.gamma(2.0, 5.0, n),
        }
    )


def points(name: str, labels: dict[str, str], start: datetime, values: list[float]) -> Any:
    """A write_points frame: one point a minute from `start`."""
    base = start.timestamp()
    return pd.DataFrame(
        {
            "name": name,
            "labels": [labels] * len(values),
            "ts": [base + 60.0 * i for i in range(len(values))],
            "value": values,
        }
    )
