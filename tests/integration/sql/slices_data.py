"""The data and the comparison both engines' slices tests share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backends.contracts import FeatureSpec, Model
from console.analysis.slices import SliceTable
from console.services.slices_view import SliceMetricChoice
from tests.integration.sql.counts import DAY, T0

MODEL = Model(
    "fraud",
    "binary-classification",
    (),
    features=(
        FeatureSpec("amount", "numeric"),
        FeatureSpec("age", "numeric"),
        FeatureSpec("country", "categorical"),
    ),
)
NOW = (T0 + DAY / 2, T0 + 2 * DAY)
BEFORE = (T0, T0 + DAY / 2)
CHOICES = [
    SliceMetricChoice("accuracy"),
    SliceMetricChoice("error_rate"),
    SliceMetricChoice("mean_score"),
    SliceMetricChoice("brier"),
    SliceMetricChoice("latency", "inference_ms"),
]


def planted(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows where BR, and large amounts on version 2, are wrong, scored high and slow."""
    rng = np.random.default_rng(5)
    bad = (rows["country"] == "BR").to_numpy() | (
        (rows["amount"] > 110).to_numpy() & (rows["version"] == "2").to_numpy()
    )
    bad &= rng.random(len(rows)) < 0.8
    labelled = rows["label"].notna().to_numpy()
    truth = rows["label"].fillna(0).to_numpy()
    good = rng.random(len(rows)) < 0.85
    prediction = np.where(bad | ~good, 1 - truth, truth)
    return rows.assign(
        prediction=np.where(labelled, prediction, rows["prediction"]),
        score=np.where(bad, np.where(truth == 0, 0.95, 0.6), rows["score"] / 2),
        inference_ms=rows["inference_ms"] + np.where(bad, 20.0, 0.0),
    )


def assert_same_table(got: SliceTable, expected: SliceTable) -> None:
    """Same slices in the same order with the same supports; numbers to float rounding."""
    assert (got.metric_name, got.n, got.note) == (expected.metric_name, expected.n, expected.note)
    assert got.overall == pytest.approx(expected.overall, rel=1e-9)
    assert [s.name for s in got.slices] == [s.name for s in expected.slices]
    for mine, theirs in zip(got.slices, expected.slices, strict=True):
        assert (mine.support, mine.baseline_support) == (theirs.support, theirs.baseline_support)
        for field in ("metric", "delta", "share", "ci_low", "ci_high", "score", "baseline_metric"):
            value = getattr(theirs, field)
            close = pytest.approx(value, rel=1e-9, abs=1e-12) if value is not None else None
            assert getattr(mine, field) == close, (mine.name, field)
