"""Slices: metric per slice with support, share, delta and CI; automatic worst-slice discovery."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from console.analysis.slices.counted import Window
from console.analysis.slices.discovery import (
    ChangedSlice,
    find_changed_slices,
    find_slices,
    rank_changed,
    rank_slices,
    sliceline_score,
)
from console.analysis.slices.metrics import (
    METRICS,
    Predicate,
    SliceMetric,
    SliceTable,
    mean_interval,
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
    "worst_from_counts",
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
    return _worst_table(rows, metric, overall_error, int(kept.size), int(errors.size))


def _worst_table(
    rows: tuple[SliceMetric, ...], metric: str, overall_error: float, n: int, total: int
) -> SliceTable:
    """The worst-slices table: accuracy reported as such, rows without a value counted."""
    if metric == "accuracy":
        rows = tuple(_as_accuracy(row) for row in rows)
        overall = 1.0 - overall_error
    else:
        overall = overall_error
    dropped = total - n
    note = f"{dropped} row(s) without a value (e.g. no label yet) left out" if dropped else ""
    return SliceTable(metric, overall, overall, n, rows, note)


def worst_from_counts(
    windows: Sequence[Window],
    rows: Sequence[int],
    metric: str,
    *,
    min_support: int = 30,
    top: int = 20,
) -> SliceTable:
    """`worst_slices` from an engine's grouped counts: one window, or a window and its baseline.

    The counts are those of `counted.row_value(metric)`: errors for accuracy
    and error rate, the value itself otherwise. `rows` are the windows' rows,
    with a value or not.
    """
    now = windows[0]
    share = metric in ("accuracy", "error_rate")
    if len(windows) == 1:
        mean_error = now.total / now.n if now.n else float("nan")
        found = rank_slices(now.counted, now.n, mean_error, min_support, top=top, proportion=share)
        return _worst_table(found, metric, mean_error, now.n, int(rows[0]))
    changed = rank_changed(
        now.counted, windows[1].counted, min_support, top, two_sided=metric == "mean_score"
    )
    if metric == "accuracy":
        overall = (now.n - now.total) / now.n if now.n else float("nan")
    else:
        overall = now.total / now.n if now.n else float("nan")
    return _changed_table(changed, metric, overall, now.n, int(rows[1]))


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
    return _changed_table(found, metric, overall, int(kept.size), len(baseline))


def _changed_table(
    found: Sequence[ChangedSlice], metric: str, overall: float, n: int, baseline_rows: int
) -> SliceTable:
    """The table of slices ranked by their change, metric flipped back for accuracy."""
    flip = metric == "accuracy"
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
                share=c.support / n if n else 0.0,
                metric=now,
                delta=now - overall,
                ci_low=low,
                ci_high=high,
                score=c.z,
                baseline_metric=before,
                baseline_support=c.baseline_support,
            )
        )
    note = f"ranked by the z of each slice's change against a baseline of {baseline_rows:,} rows"
    return SliceTable(metric, overall, overall, n, tuple(rows), note)
