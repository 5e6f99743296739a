"""A model's drift from counts its backends compute: the SQL log's bins, Prometheus's buckets.

`counted_drift` sends the cached training-reference fit's edges to an
inference log that counts windows (`SupportsWindowCounts`, the SQL log) and
builds the table from the counts it returns: one statement per window, no
rows. `bucket_drift` reads a metric store's histograms (`SupportsBucketCounts`,
Prometheus): each feature's and the score's bucket increases in the current
window against a reference window's, or against the training reference
counted in the same buckets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

import numpy as np
import pandas as pd

from backends.capabilities import supports
from backends.contracts import BucketCounts, Model, SupportsBucketCounts, SupportsWindowCounts
from console.analysis.context import AnalysisContext
from console.analysis.drift.bands import get_profile
from console.analysis.drift.counted import (
    bucket_row,
    counts_in_buckets,
    drift_of_buckets,
    drift_of_counts,
    edges_of_fit,
    window_coverage,
)
from console.analysis.drift.reference import CATEGORICAL, DEFAULT_BINS, NUMERIC
from console.analysis.drift.segments import SliceSpec, as_predicates, slice_names
from console.analysis.drift.table import DriftTable
from console.analysis.inputs import InputError
from console.analysis.samples import DEFAULT_MIN_SAMPLES
from console.analysis.workspace import _feature_names, feature_kinds, serving_version, training_fit

SCORE = "score"
FEATURE_HISTOGRAM = "feature_value"
SCORE_HISTOGRAM = "prediction_score"


def pushed_slice(slice: SliceSpec | None, kinds: Mapping[str, str]) -> dict[str, str] | None:
    """The slice as column equalities the engine can filter on, or None when it cannot.

    `COL=VALUE` on a categorical feature compares text on both paths; a
    numeric equality, a bin (`in [a, b)`) or `is missing` stay on the rows.
    """
    predicates = as_predicates(slice)
    if all(p.op == "==" and kinds.get(p.column) == CATEGORICAL for p in predicates):
        return {p.column: p.value for p in predicates}
    return None


def counts_pushdown(
    log: object,
    *,
    mode: str = "quantile",
    reference_window: tuple[datetime, datetime] | None = None,
    slice: SliceSpec | None = None,
    kinds: Mapping[str, str] | None = None,
    exact: bool = False,
) -> bool:
    """True when the request can be answered from the log's counts alone.

    Quantile mode against the training reference, without `--exact`, and a
    slice only of categorical equalities (`kinds`: the model's features): the
    rest (a fit of a logged window, Evidently's own bins, exact KS) needs the
    rows, which the SQL log still returns.
    """
    return (
        supports(log, SupportsWindowCounts)
        and mode == "quantile"
        and reference_window is None
        and pushed_slice(slice, kinds or {}) is not None
        and not exact
    )


def _names(model: Model, columns: Sequence[str] | None) -> list[str]:
    """The features asked for (default: all the model declares), without the score."""
    wanted = [c for c in columns or () if c != SCORE]
    return _feature_names(model, wanted or None) if wanted or columns is None else []


def counted_drift(
    context: AnalysisContext,
    model: Model,
    start: datetime,
    end: datetime,
    *,
    columns: Sequence[str] | None = None,
    bins: int = DEFAULT_BINS,
    profile: str = "strict",
    version: str | None = None,
    slice: SliceSpec | None = None,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> DriftTable:
    """Quantile-mode drift of [start, end) from the log's counts in the training fit's bins.

    Inside a slice the reference fit keeps the slice's reference rows (as the
    rows path does) and the engine filters the window on the same equalities.
    """
    log = context.inference_log
    kinds = feature_kinds(model)
    predicates = as_predicates(slice)
    where = pushed_slice(predicates, kinds)
    if not isinstance(log, SupportsWindowCounts) or where is None:
        raise InputError(f"the inference log of {model.name} cannot count this window")
    names = _feature_names(model, columns)
    if columns is None:  # a feature the slice fixes is constant inside it: nothing to compare
        names = [n for n in names if n not in where] or names
    fitted = training_fit(context, model, names, bins=bins, predicates=predicates)
    counted = log.window_bin_counts(
        model.name, edges_of_fit(fitted, names), start, end, version=version, where=where
    )
    table = drift_of_counts(fitted, counted, profile=get_profile(profile), min_samples=min_samples)
    covered = window_coverage(log, model.name, start, end, version=version, where=where)
    return replace(table, slice=slice_names(predicates), coverage=covered)


Reference = BucketCounts | tuple[tuple[float, ...], np.ndarray]


def bucket_pairs(
    context: AnalysisContext,
    model: Model,
    names: Sequence[str],
    start: datetime,
    end: datetime,
    *,
    version: str | None = None,
    reference_window: tuple[datetime, datetime] | None = None,
) -> Iterator[tuple[str, Reference, BucketCounts]]:
    """Each name's reference and current bucket counts (the score's histogram for `score`).

    The reference is the same histogram over `reference_window`, or without
    one the training reference's values counted in the current buckets.
    """
    metrics = context.metrics
    if not supports(metrics, SupportsBucketCounts) or not isinstance(metrics, SupportsBucketCounts):
        raise InputError("the context's metric store keeps no histogram buckets (prometheus does)")
    kinds = feature_kinds(model)
    base = {"model": model.name, **({"version": version} if version is not None else {})}
    training: pd.DataFrame | None = None
    for name in names:
        histogram, labels = (
            (SCORE_HISTOGRAM, base)
            if name == SCORE
            else (FEATURE_HISTOGRAM, {**base, "feature": name})
        )
        current = metrics.bucket_counts(histogram, labels, start, end)
        reference: Reference
        if reference_window is not None:
            reference = metrics.bucket_counts(histogram, labels, *reference_window)
        elif current.insufficient:
            reference = ((), np.zeros(0))
        elif name == SCORE or kinds.get(name, NUMERIC) != NUMERIC:
            why = "the training reference has no score" if name == SCORE else "categorical"
            reference = BucketCounts((), (), 0.0, f"{why}: compare with --reference-window")
        else:
            if training is None:
                ref_version = serving_version(model)
                training = context.features.reference(model.name, ref_version)
            if name not in training:
                raise InputError(f"{name} is not in the training reference of {model.name}")
            reference = (current.edges, counts_in_buckets(training[name].to_numpy(), current.edges))
        yield name, reference, current


def bucket_drift(
    context: AnalysisContext,
    model: Model,
    start: datetime,
    end: datetime,
    *,
    columns: Sequence[str] | None = None,
    profile: str = "strict",
    version: str | None = None,
    reference_window: tuple[datetime, datetime] | None = None,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> DriftTable:
    """Drift of each feature and the score from the metric store's histogram buckets."""
    kinds = feature_kinds(model)
    score = columns is None or SCORE in columns
    names = [*_names(model, columns), *([SCORE] if score else [])]
    chosen = get_profile(profile)
    pairs = bucket_pairs(
        context, model, names, start, end, version=version, reference_window=reference_window
    )
    rows = [
        bucket_row(
            name,
            reference,
            current,
            profile=chosen,
            min_samples=min_samples,
            kind=kinds.get(name, NUMERIC),
        )
        for name, reference, current in pairs
    ]
    return drift_of_buckets(rows, profile=chosen, min_samples=min_samples)
