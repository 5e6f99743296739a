"""Slices from grouped counts an engine computed (SupportsGroupCounts) instead of rows.

The engine first profiles the slice columns (distinct values, missing ones,
exact quantiles), from which `plan_keys` chooses each column's key exactly
as `discovery.encode` would on the same rows: a numeric column with more
distinct finite values than bins is cut at its quartiles, any other column
is grouped by value. The engine then returns, per window, n, the value's
sum and its sum of squares for every grouping set; `counted_windows` turns
those into the per-level tables that `rank_slices` and `rank_changed` read.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from backends.contracts import GroupKey, GroupProfile, RowValue
from console.analysis.samples import DEFAULT_MIN_SAMPLES
from console.analysis.slices.discovery import MAX_LEVELS, Counted, numeric_labels
from console.analysis.slices.metrics import BY_LEVELS, METRICS, Predicate, SliceTable, by_table

Kind = Literal["numeric", "categorical"]


def row_value(metric: str, column: str | None = None) -> RowValue:
    """What the engine sums per row for a metric (accuracy is ranked on its errors)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r} (known: {', '.join(METRICS)})")
    if metric in ("accuracy", "error_rate"):
        return RowValue("error")
    if metric == "brier":
        return RowValue("squared_error", column or "score")
    name = column or ("score" if metric == "mean_score" else "")
    if not name:
        raise ValueError(f"metric {metric} needs a column (got {name!r})")
    return RowValue("column", name)


def quantile_points(bins: int = 4) -> list[float]:
    """The inner quantiles that cut a numeric column into `bins` slices."""
    return [float(q) for q in np.linspace(0, 1, bins + 1)[1:-1]]


def plan_keys(
    profile: GroupProfile, kinds: Mapping[str, Kind], numeric_bins: int = 4
) -> tuple[GroupKey, ...]:
    """Each column's key as `encode` would choose it; a column that cannot slice is left out."""
    keys = []
    for column, kind in kinds.items():
        seen = profile.columns[column]
        if kind == "numeric" and seen.distinct_finite > numeric_bins and seen.quantiles:
            edges = np.unique(np.asarray(seen.quantiles, dtype=np.float64))
            keys.append(GroupKey(column, True, tuple(float(e) for e in edges)))
        elif 2 <= seen.distinct + (seen.missing > 0) <= MAX_LEVELS:
            keys.append(GroupKey(column, kind == "numeric"))
    return tuple(keys)


def grouping_sets(keys: Sequence[GroupKey], max_predicates: int) -> list[tuple[str, ...]]:
    """The grand total, every column alone and (with two predicates) every pair."""
    names = [key.column for key in keys]
    pairs = list(itertools.combinations(names, 2)) if max_predicates == 2 else []
    return [(), *((name,) for name in names), *pairs]


@dataclass(frozen=True)
class Window:
    """One window's statistics: per-level tables, and the value's n and sum over every row."""

    counted: Counted
    n: int
    total: float


@dataclass(frozen=True)
class _Levels:
    """A column's levels: the predicate of each, and how a key value finds its level."""

    predicates: tuple[Predicate, ...]
    index: Mapping[Any, int]
    missing: int | None


def _levels(
    key: GroupKey, missing: bool, values: Sequence[Any], missing_value: str | None = None
) -> _Levels:
    """The levels of one column: its bins, or the values seen in any window; then missing.

    By value, `missing_value` names the missing level `== (missing)` as the
    per-value table does; otherwise it is `is missing`.
    """
    if key.edges is not None:
        labels = numeric_labels(np.asarray(key.edges))
        predicates = [Predicate(key.column, "in", label) for label in labels]
        index: dict[Any, int] = {float(i): i for i in range(len(predicates))}
    else:
        texts = sorted({str(v) for v in values})
        predicates = [Predicate(key.column, "==", text) for text in texts]
        index = {text: i for i, text in enumerate(texts)}
    slot = None
    if missing:
        slot = len(predicates)
        if missing_value is not None and key.edges is None:
            predicates.append(Predicate(key.column, "==", missing_value))
        else:
            predicates.append(Predicate(key.column, "is", "missing"))
    return _Levels(tuple(predicates), index, slot)


def _codes(column: pd.Series, levels: _Levels, binned: bool) -> np.ndarray:
    """The level of each result row's key value."""
    codes = []
    for value in column.tolist():
        if value is None or (isinstance(value, float) and np.isnan(value)):
            slot = levels.missing
        else:
            slot = levels.index.get(float(value) if binned else str(value))
        if slot is None:
            raise ValueError(f"the engine returned a group {value!r} outside the profile")
        codes.append(slot)
    return np.asarray(codes, dtype=np.int64)


def _table(frame: pd.DataFrame, columns: Sequence[tuple[str, _Levels, bool]]) -> np.ndarray:
    """A set's rows as a dense (levels..., 3) table of count, sum and sum of squares."""
    shape = tuple(len(levels.predicates) for _, levels, _ in columns)
    table = np.zeros((*shape, 3), dtype=np.float64)
    where = tuple(_codes(frame[name], levels, binned) for name, levels, binned in columns)
    stats = frame[["n", "total", "squares"]].to_numpy(dtype=np.float64)
    np.add.at(table, where, stats)
    return table


def counted_windows(
    keys: Sequence[GroupKey],
    profile: GroupProfile,
    sets: Sequence[tuple[str, ...]],
    windows: Sequence[Sequence[pd.DataFrame]],
) -> list[Window]:
    """Each window's per-level tables from the engine's frames (one per set, in `sets` order).

    Every window gets the same levels (a value seen in any window is a level
    in all), so the tables of a window and its baseline line up.
    """
    position = {chosen: i for i, chosen in enumerate(sets)}
    levels = {}
    for key in keys:
        alone = [answered[position[(key.column,)]][key.column] for answered in windows]
        seen = [v for column in alone for v in column.tolist() if v is not None and v == v]
        levels[key.column] = _levels(key, profile.columns[key.column].missing > 0, seen)
    names = [key.column for key in keys]
    described = {k.column: (k.column, levels[k.column], k.edges is not None) for k in keys}
    predicates = tuple(levels[name].predicates for name in names)
    result = []
    for frames in windows:
        singles = [_table(frames[position[(name,)]], [described[name]]) for name in names]
        doubles = {}
        for (i, left), (j, right) in itertools.combinations(enumerate(names), 2):
            chosen = position.get((left, right))
            if chosen is not None:
                doubles[(i, j)] = _table(frames[chosen], [described[left], described[right]])
        grand = frames[position[()]]
        n = int(grand["n"].sum())
        result.append(Window(Counted(predicates, singles, doubles), n, float(grand["total"].sum())))
    return result


def by_key(profile: GroupProfile, column: str, kind: Kind) -> GroupKey:
    """The `--by` column's key as `metric_by_column` groups rows: deciles past 20 values."""
    seen = profile.columns[column]
    if kind == "numeric" and seen.distinct > BY_LEVELS and seen.quantiles:
        edges = np.unique(np.asarray(seen.quantiles, dtype=np.float64))
        return GroupKey(column, True, tuple(float(e) for e in edges))
    return GroupKey(column, kind == "numeric")


def by_from_counts(
    key: GroupKey,
    profile: GroupProfile,
    frames: Sequence[pd.DataFrame],
    metric: str,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> SliceTable:
    """`metric_by_column` from the engine's counts of sets `[(), (column,)]`.

    `profile` is of every row (`RowValue("rows")`), as the per-value table
    groups every row; the counts are of the rows with a value.
    """
    grand, alone = frames
    values = [v for v in alone[key.column].tolist() if v is not None and v == v]
    absent = profile.columns[key.column].missing > 0 if key.edges is not None else None
    has_missing = bool(absent) if absent is not None else len(values) < len(alone)
    levels = _levels(key, has_missing, values, missing_value="(missing)")
    stats = _table(alone, [(key.column, levels, key.edges is not None)]).reshape(-1, 3)
    n = int(grand["n"].sum())
    total = float(grand["total"].sum())
    if metric == "accuracy":  # the engine counted errors; the table is of correct predictions
        total = n - total
        correct = stats[:, 0] - stats[:, 1]
        stats = np.column_stack((stats[:, 0], correct, correct))
    overall = total / n if n else float("nan")
    dropped = int(profile.rows[0]) - n
    return by_table(levels.predicates, stats, n, overall, dropped, metric, min_samples)
