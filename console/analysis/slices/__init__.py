"""Slices: metric per slice with support, share, delta and CI; automatic worst-slice discovery."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from console.analysis.slices.discovery import find_slices, sliceline_score
from console.analysis.slices.metrics import (
    METRICS,
    Predicate,
    SliceMetric,
    SliceTable,
    metric_by_column,
    row_values,
    weighted_overall,
    wilson_interval,
)

__all__ = [
    "METRICS",
    "Predicate",
    "SliceMetric",
    "SliceTable",
    "find_slices",
    "metric_by_column",
    "row_values",
    "sliceline_score",
    "weighted_overall",
    "wilson_interval",
    "worst_slices",
]

EXCLUDED = ("ts", "request_id", "score", "prediction", "label")


def worst_slices(
    frame: pd.DataFrame,
    *,
    label: str = "label",
    prediction: str = "prediction",
    metric: str = "error_rate",
    metric_column: str | None = None,
    columns: Sequence[str] | None = None,
    max_predicates: int = 2,
    min_support: int = 30,
    top: int = 20,
    baseline: pd.DataFrame | None = None,
) -> SliceTable:
    """The worst slices of `frame` for a metric, as a table whose rows are ranked worst first.

    Accuracy and error rate both rank by errors; a latency or a score ranks by
    its value (higher is worse). Candidate columns default to every column but
    the ids, timestamps, label, prediction, score and stage timings.

    With a `baseline` frame (an earlier window), slices are ranked instead by
    how much their metric got worse against the same slice in the baseline
    (Welch's z of the change; either direction for a mean score), which finds
    what an incident changed rather than what is always hard.
    """
    values = row_values(frame, metric, label=label, prediction=prediction, column=metric_column)
    errors = 1.0 - values if metric == "accuracy" else values
    used = {label, prediction, metric_column, *EXCLUDED}
    automatic = [c for c in frame.columns if c not in used and not str(c).endswith("_ms")]
    candidates = list(columns) if columns is not None else automatic
    missing = [c for c in candidates if c not in frame]
    if missing:
        raise ValueError(f"column(s) not found: {', '.join(missing)}")
    proportion = metric in ("accuracy", "error_rate")
    if baseline is not None:
        return _changed(
            frame,
            baseline,
            values,
            metric,
            candidates,
            label,
            prediction,
            metric_column,
            max_predicates,
            min_support,
            top,
        )
    rows = find_slices(
        frame,
        errors,
        candidates,
        max_predicates=max_predicates,
        min_support=min_support,
        top=top,
        proportion=proportion,
    )
    kept = errors[~np.isnan(errors)]
    overall_error = float(kept.mean()) if kept.size else float("nan")
    if metric == "accuracy":
        rows = tuple(_as_accuracy(row) for row in rows)
        overall = 1.0 - overall_error
    else:
        overall = overall_error
    dropped = int(errors.size - kept.size)
    note = f"{dropped} row(s) without a value (e.g. no label yet) left out" if dropped else ""
    return SliceTable(metric, overall, overall, int(kept.size), rows, note)


def _as_accuracy(row: SliceMetric) -> SliceMetric:
    """A slice found on errors, reported as accuracy (metric, delta and CI flipped)."""
    from dataclasses import replace

    return replace(
        row, metric=1 - row.metric, delta=-row.delta, ci_low=1 - row.ci_high, ci_high=1 - row.ci_low
    )


def _changed(
    frame: pd.DataFrame,
    baseline: pd.DataFrame,
    values: np.ndarray,
    metric: str,
    columns: Sequence[str],
    label: str,
    prediction: str,
    metric_column: str | None,
    max_predicates: int,
    min_support: int,
    top: int,
) -> SliceTable:
    """Slices ranked by how much they got worse against a baseline window."""
    from console.analysis.slices.discovery import find_changed_slices
    from console.analysis.slices.metrics import mean_interval

    then = row_values(baseline, metric, label=label, prediction=prediction, column=metric_column)
    flip = metric == "accuracy"
    found = find_changed_slices(
        frame,
        1.0 - values if flip else values,
        baseline,
        1.0 - then if flip else then,
        columns,
        max_predicates=max_predicates,
        min_support=min_support,
        top=top,
        two_sided=metric == "mean_score",
    )
    kept = values[~np.isnan(values)]
    overall = float(kept.mean()) if kept.size else float("nan")
    proportion = metric in ("accuracy", "error_rate")
    rows = []
    for c in found:
        now = 1.0 - c.metric if flip else c.metric
        before = 1.0 - c.baseline_metric if flip else c.baseline_metric
        low, high = (
            wilson_interval(now * c.support, c.support)
            if proportion
            else mean_interval(c.metric, c.sum_squares, c.support)
        )
        rows.append(
            SliceMetric(
                predicates=c.predicates,
                support=c.support,
                share=c.support / kept.size if kept.size else 0.0,
                metric=now,
                delta=now - overall,
                ci_low=low,
                ci_high=high,
                score=c.z,
                baseline_metric=before,
                baseline_support=c.baseline_support,
            )
        )
    note = f"ranked by the z of each slice's change against a baseline of {len(baseline):,} rows"
    return SliceTable(metric, overall, overall, int(kept.size), tuple(rows), note)
