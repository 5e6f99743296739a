"""Drift from counts: engine counts give the embedded rows; buckets count as Prometheus does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from backends.contracts import BucketCounts, FeatureSpec, Model
from console.analysis.drift.bands import get_profile
from console.analysis.drift.counted import (
    NO_TESTS_NOTE,
    bucket_labels,
    bucket_row,
    counts_in_buckets,
    drift_of_counts,
    edges_of_fit,
)
from console.analysis.drift.psi import psi_from_counts
from console.analysis.drift.pushdown import bucket_drift, counts_pushdown
from console.analysis.drift.reference import bin_window, fit_reference
from console.analysis.drift.table import drift_against

STRICT = get_profile("strict")


class CountingLog:
    """Stands for a log that counts windows (the method is all `SupportsWindowCounts` asks)."""

    def window_bin_counts(
        self,
        model: str,
        edges: dict[str, np.ndarray],
        start: datetime,
        end: datetime,
        version: str | None = None,
    ) -> dict[str, tuple[np.ndarray, int]]:
        """Never called here."""
        raise AssertionError("not called")


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reference and a shifted window with a numeric and a categorical feature."""
    rng = np.random.default_rng(3)
    reference = pd.DataFrame(
        {"x": rng.normal(0, 1, 3000), "c": rng.choice(np.array(["a", "b", "c"]), 3000)}
    )
    current = pd.DataFrame(
        {"x": rng.normal(0.5, 1, 2000), "c": rng.choice(np.array(["a", "b", "d"]), 2000)}
    )
    return reference, current


def test_a_table_from_counts_has_the_rows_psi_and_no_ks() -> None:
    reference, current = _frames()
    fitted = fit_reference(reference, ["x", "c"], kinds={"c": "categorical"})
    counted = {name: (bin_window(fitted[name], current[name]).counts, 0) for name in ("x", "c")}
    table = drift_of_counts(fitted, counted, profile=STRICT)
    rows = {row.feature: row for row in drift_against(fitted, current, ["x", "c"]).features}
    assert table.tests == "counts" and table.n_current == len(current)
    for row in table.features:
        assert row.psi == pytest.approx(rows[row.feature].psi, rel=1e-12)
        assert row.status == rows[row.feature].status and row.ks is None
        assert row.wasserstein is None and row.tests == "counts"
    by_name = {row.feature: row for row in table.features}
    assert NO_TESTS_NOTE in by_name["x"].note and NO_TESTS_NOTE not in by_name["c"].note
    assert rows["x"].ks is not None  # the rows path has one: the counts path says it cannot
    assert edges_of_fit(fitted)["c"].dtype == object


def test_values_are_counted_in_buckets_as_a_histogram_counts_them() -> None:
    counts = counts_in_buckets(np.array([0.5, 1.0, 1.0001, 3.0, np.nan, -9.0]), (1.0, 2.0))
    assert counts.tolist() == [3, 1, 1]  # le: 1.0 is in the first bucket; NaN is not observed
    assert bucket_labels((1.0, 2.0)) == ("<= 1", "(1, 2]", "> 2")


def test_a_bucket_row_compares_two_windows_or_says_why_it_cannot() -> None:
    edges = (0.25, 0.5, 0.75)
    reference = BucketCounts(edges, (100.0, 300.0, 400.0, 200.0), 60.0)
    current = BucketCounts(edges, (300.4, 299.6, 200.0, 200.0), 60.0)
    row = bucket_row("score", reference, current, profile=STRICT, min_samples=10)
    assert row.psi == pytest.approx(
        psi_from_counts(np.array([100, 300, 400, 200]), np.array([300, 300, 200, 200])), rel=1e-3
    )
    assert row.status == "act" and row.ks is None and row.tests == "buckets"
    assert row.labels == ("<= 0.25", "(0.25, 0.5]", "(0.5, 0.75]", "> 0.75")
    short = BucketCounts((), (), 1.5, "a 1.5 s window is shorter than two scrapes (2 s)")
    for one, other in ((reference, short), (short, current)):
        row = bucket_row("x0", one, other, profile=STRICT)
        assert row.status == "insufficient" and row.psi is None and "two scrapes" in row.note
    moved = BucketCounts((0.1, 0.5, 0.75), current.counts, 60.0)
    assert "differ" in bucket_row("x0", reference, moved, profile=STRICT).note


def test_counts_are_used_only_for_what_counts_can_answer() -> None:
    log = CountingLog()
    window = (datetime(2026, 11, 1), datetime(2026, 11, 2))
    assert counts_pushdown(log)
    assert not counts_pushdown(object())
    assert not counts_pushdown(log, mode="evidently")
    assert not counts_pushdown(log, reference_window=window)
    tablet = [("device_type", "tablet")]
    assert not counts_pushdown(log, slice=tablet)
    assert counts_pushdown(log, slice=tablet, kinds={"device_type": "categorical"})
    assert not counts_pushdown(log, slice=[("amount", "3")], kinds={"amount": "numeric"})
    assert not counts_pushdown(
        log, slice=[("device_type", "(missing)")], kinds={"device_type": "categorical"}
    )
    assert not counts_pushdown(log, exact=True)


class Buckets:
    """A metric store that counts fixed buckets (as Prometheus would) from given values."""

    def __init__(self, values: dict[str, np.ndarray], edges: tuple[float, ...]) -> None:
        """Values per histogram `feature` label (`score` for the score's histogram)."""
        self.values, self.edges = values, edges
        self.asked: list[tuple[str, dict[str, str]]] = []

    def bucket_counts(
        self, histogram: str, labels: Mapping[str, str], start: datetime, end: datetime
    ) -> BucketCounts:
        """The values of the labelled series counted in the buckets."""
        self.asked.append((histogram, dict(labels)))
        name = labels.get("feature", "score")
        if name not in self.values:
            return BucketCounts((), (), 60.0, f"no {histogram} buckets in the window")
        counts = counts_in_buckets(self.values[name], self.edges).astype(float)
        return BucketCounts(self.edges, tuple(counts), 60.0)


@dataclass
class Sources:
    """Only what bucket drift reads: a model's features, its training reference, the metrics."""

    metrics: Buckets
    frame: pd.DataFrame

    def reference(self, model: str, version: str | None = None) -> pd.DataFrame:
        """The training reference."""
        return self.frame

    @property
    def features(self) -> Sources:
        """This object is the feature store too."""
        return self


def test_bucket_drift_against_the_training_reference_counts_it_in_the_same_buckets() -> None:
    reference, current = _frames()
    model = Model(
        "m",
        "binary-classification",
        versions=(),
        features=(FeatureSpec("x", "numeric"), FeatureSpec("c", "categorical")),
    )
    edges = (-1.0, 0.0, 1.0)
    metrics = Buckets({"x": current["x"].to_numpy(), "score": np.linspace(0, 1, 500)}, edges)
    context = Sources(metrics, reference)
    window = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))
    table = bucket_drift(context, model, *window, min_samples=10)  # type: ignore[arg-type]
    rows = {row.feature: row for row in table.features}
    assert table.tests == "buckets" and set(rows) == {"x", "c", "score"}
    expected = psi_from_counts(
        counts_in_buckets(reference["x"].to_numpy(), edges),
        counts_in_buckets(current["x"].to_numpy(), edges),
    )
    assert rows["x"].psi == pytest.approx(expected, abs=1e-3) and rows["x"].ks is None
    assert rows["score"].status == "insufficient" and "--reference-window" in rows["score"].note
    assert rows["c"].status == "insufficient" and "no feature_value buckets" in rows["c"].note
    assert ("prediction_score", {"model": "m"}) in metrics.asked
