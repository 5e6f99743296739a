"""Metric per slice with support, share, delta against overall and a confidence interval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from console.analysis.samples import DEFAULT_MIN_SAMPLES

Z95 = 1.959963984540054
METRICS: dict[str, str] = {
    "accuracy": "share of rows where prediction == label (higher is better)",
    "error_rate": "share of rows where prediction != label (higher is worse)",
    "mean_score": "mean model score",
    "brier": "mean (score − label)², calibration and accuracy together (higher is worse)",
    "latency": "mean latency in ms of the chosen column",
}
PROPORTIONS = ("accuracy", "error_rate")


@dataclass(frozen=True)
class Predicate:
    """One condition of a slice: `column op value` (op is `==` or `in` for a numeric bin)."""

    column: str
    op: str
    value: str

    def __str__(self) -> str:
        """`device_type == tablet`."""
        return f"{self.column} {self.op} {self.value}"

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """Which rows of `frame` the predicate selects (`==` as text, `in [a, b)`, `is missing`)."""
        column = frame[self.column]
        if self.op == "is":
            return column.isna().to_numpy()
        if self.op == "in":
            low, high = (part.strip() for part in self.value.strip("[()]").split(","))
            values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
            with np.errstate(invalid="ignore"):
                present = ~np.isnan(values)  # the outer bins are open: ±inf belong to them
                above = values >= float(low) if low != "-inf" else present
                return above & (values < float(high) if high != "inf" else present)
        if _is_number(column) and _parses_as_number(self.value):
            return (column.to_numpy(dtype=np.float64, na_value=np.nan) == float(self.value)).astype(
                bool
            )
        return (column.notna() & (column.astype(str) == self.value)).to_numpy()


def _is_number(column: pd.Series) -> bool:
    """Whether a column holds numbers (not booleans), so `==` compares values, not text."""
    dtype = column.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _parses_as_number(text: str) -> bool:
    """Whether `text` reads as a float (`3`, `3.0`, `1e3`)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class SliceMetric:
    """A slice's metric with its support, traffic share, delta against overall and 95 % CI."""

    predicates: tuple[Predicate, ...]
    support: int
    share: float
    metric: float
    delta: float
    ci_low: float
    ci_high: float
    score: float | None = None
    baseline_metric: float | None = None
    baseline_support: int | None = None
    insufficient: bool = False

    @property
    def change(self) -> float | None:
        """The slice's metric now minus in the baseline window (when compared to one)."""
        return None if self.baseline_metric is None else self.metric - self.baseline_metric

    @property
    def name(self) -> str:
        """`a == x AND b in [1, 2)`."""
        return " AND ".join(str(p) for p in self.predicates) or "(all)"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values, predicates as `{column, op, value}`."""
        document = asdict(self)
        document["predicates"] = [asdict(p) for p in self.predicates]
        document["name"] = self.name
        document["change"] = self.change
        return document


@dataclass(frozen=True)
class SliceTable:
    """A metric over slices: the overall value, the same recomputed from the slices, the rows."""

    metric_name: str
    overall: float
    overall_from_slices: float
    n: int
    slices: tuple[SliceMetric, ...] = field(default_factory=tuple)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values with a `slices` list."""
        return {
            "metric": self.metric_name,
            "overall": self.overall,
            "overall_from_slices": self.overall_from_slices,
            "n": self.n,
            "note": self.note,
            "slices": [row.to_dict() for row in self.slices],
        }


def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def mean_interval(mean: float, sum_squares: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Normal interval of a mean from its sum of squares; the point when n < 2."""
    if n < 2:
        return mean, mean
    variance = max((sum_squares - n * mean * mean) / (n - 1), 0.0)
    half = z * float(np.sqrt(variance / n))
    return mean - half, mean + half


def _comparable(values: pd.Series) -> pd.Series:
    """Values as numbers where they read as numbers (`"1"`, `1`, `1.0` alike), else as text."""
    numbers = pd.to_numeric(values, errors="coerce")
    if pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.astype(np.float64)
    text = values.astype(object).where(values.isna(), values.astype(str).str.strip())
    return numbers.astype(object).where(numbers.notna(), text)


def agreement(label: pd.Series, prediction: pd.Series) -> np.ndarray:
    """1.0 where the prediction equals the label, else 0.0, whatever types each was stored as.

    A label stored as text (`"1"`, `"fraud"`) and a prediction stored as a
    number or as text compare by value: numbers as numbers, the rest as text.
    """
    if pd.api.types.is_numeric_dtype(label.dtype) and pd.api.types.is_numeric_dtype(
        prediction.dtype
    ):
        return (label == prediction).to_numpy(dtype=np.float64)
    same = _comparable(label).to_numpy() == _comparable(prediction).to_numpy()
    return np.asarray(same, dtype=np.float64)


def row_values(
    frame: pd.DataFrame,
    metric: str,
    *,
    label: str = "label",
    prediction: str = "prediction",
    column: str | None = None,
) -> np.ndarray:
    """The per-row value a metric averages: 1/0 correctness, a score or a latency."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r} (known: {', '.join(METRICS)})")
    if metric in PROPORTIONS:
        for name in (label, prediction):
            if name not in frame:
                raise ValueError(f"metric {metric} needs column {name!r}")
        labelled = frame[label].notna().to_numpy()
        same = agreement(frame[label], frame[prediction])
        values = same if metric == "accuracy" else 1.0 - same
        return np.where(labelled, values, np.nan)
    if metric == "brier":
        for name in (label, column or "score"):
            if name not in frame:
                raise ValueError(f"metric brier needs column {name!r}")
        score = pd.to_numeric(frame[column or "score"], errors="coerce").to_numpy(np.float64)
        truth = pd.to_numeric(frame[label], errors="coerce").to_numpy(np.float64)
        result: np.ndarray = (score - truth) ** 2
        return result
    name = column or ("score" if metric == "mean_score" else "")
    if not name or name not in frame:
        raise ValueError(f"metric {metric} needs a column (got {name!r})")
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)


def slice_row(
    predicates: Sequence[Predicate],
    count: int,
    total: float,
    sum_squares: float,
    n: int,
    overall: float,
    proportion: bool,
    score: float | None = None,
) -> SliceMetric:
    """Build one slice's row from its sufficient statistics (count, sum, sum of squares)."""
    metric = total / count if count else float("nan")
    low, high = (
        wilson_interval(total, count) if proportion else mean_interval(metric, sum_squares, count)
    )
    return SliceMetric(
        predicates=tuple(predicates),
        support=int(count),
        share=count / n if n else 0.0,
        metric=metric,
        delta=metric - overall,
        ci_low=low,
        ci_high=high,
        score=score,
    )


BY_LEVELS = 20
BY_BINS = 10


def _groups(series: pd.Series, column: str) -> tuple[np.ndarray, list[Predicate]]:
    """Each row's group and the predicate of each group: values, or deciles of a numeric column.

    A numeric column with more than BY_LEVELS distinct values is cut at its
    deciles (`in [a, b)` groups) instead of giving one row per value.
    """
    numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    )
    if numeric and series.nunique(dropna=True) > BY_LEVELS:
        from console.analysis.slices.discovery import encode

        encoded = encode(series, column, numeric_bins=BY_BINS)
        if encoded is not None:
            return encoded.codes, list(encoded.predicates)
    keys = series.astype(object).where(series.notna(), "(missing)").astype(str)
    codes, uniques = pd.factorize(keys)
    return codes.astype(np.int64), [Predicate(column, "==", str(value)) for value in uniques]


def metric_by_column(
    frame: pd.DataFrame,
    column: str,
    values: np.ndarray,
    metric: str,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> SliceTable:
    """The metric for every value (or decile) of one column; the overall as Σ share·metric.

    A group with fewer than `min_samples` rows is kept (the overall needs it)
    but marked `insufficient` and ranked after the others.
    """
    if column not in frame:
        raise ValueError(f"column {column!r} not found")
    keep = ~np.isnan(values)
    groups, predicates = _groups(frame[column], column)
    codes = groups[keep]
    kept = values[keep]
    n = int(kept.size)
    overall = float(kept.mean()) if n else float("nan")
    size = len(predicates)
    stats = np.column_stack(
        (
            np.bincount(codes, minlength=size).astype(np.float64),
            np.bincount(codes, weights=kept, minlength=size),
            np.bincount(codes, weights=kept * kept, minlength=size),
        )
    )
    return by_table(predicates, stats, n, overall, int((~keep).sum()), metric, min_samples)


def by_table(
    predicates: Sequence[Predicate],
    stats: np.ndarray,
    n: int,
    overall: float,
    dropped: int,
    metric: str,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> SliceTable:
    """The per-group table from (count, sum, sum of squares) per group, from rows or an engine."""
    proportion = metric in PROPORTIONS
    rows = [
        slice_row(
            [predicate],
            int(stats[i, 0]),
            float(stats[i, 1]),
            float(stats[i, 2]),
            n,
            overall,
            proportion,
        )
        for i, predicate in enumerate(predicates)
        if stats[i, 0]
    ]
    rows = [replace(r, insufficient=r.support < min_samples) for r in rows]
    worse_high = metric != "accuracy"
    rows.sort(key=lambda r: (r.insufficient, -r.delta if worse_high else r.delta, r.name))
    recomputed = float(sum(r.share * r.metric for r in rows)) if n else float("nan")
    notes = [f"{dropped} row(s) without a value (e.g. no label yet) left out" if dropped else ""]
    if predicates and predicates[0].op == "in":
        column = predicates[0].column
        notes.append(f"{column} binned at its deciles ({len(predicates)} groups)")
    few = sum(r.insufficient for r in rows)
    if few:
        notes.append(f"{few} group(s) under {min_samples:,} rows: insufficient, ranked last")
    return SliceTable(metric, overall, recomputed, n, tuple(rows), "; ".join(p for p in notes if p))


def weighted_overall(shares: Sequence[float], metrics: Sequence[float]) -> float:
    """The overall metric from slice shares and slice metrics (shares must sum to 1)."""
    total = float(np.sum(shares))
    if not np.isclose(total, 1.0):
        raise ValueError(f"slice shares sum to {total:.6g}, not 1")
    return float(np.dot(shares, metrics))
