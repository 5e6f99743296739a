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
) -> SliceTable:
    """The worst slices of `frame` for a metric, as a table whose rows are ranked worst first.

    Accuracy and error rate both rank by errors; a latency or a score ranks by
    its value (higher is worse). Candidate columns default to every column but
    the ids, timestamps, label, prediction, score and stage timings.
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
