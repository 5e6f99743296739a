"""The reference fit: bin edges or categories and their counts, computed once per model version.

Scoring a window then only bins the current data: one vectorised
`np.searchsorted` + `np.bincount` pass per numeric feature, in fixed-size
chunks so memory stays O(bins) beyond the input.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from console.analysis.drift.ordered import Ordered, bin_counts, order, quantiles
from console.analysis.drift.sketch import Sketch, fit_sketch

NUMERIC = "numeric"
CATEGORICAL = "categorical"
DEFAULT_BINS = 10
CHUNK_ROWS = 1 << 16
_LOWEST = -np.finfo(np.float64).max


@dataclass(frozen=True)
class FeatureFit:
    """A feature's reference: edges (numeric) or categories, counts per bin, and sizes.

    Numeric counts are `len(edges) + 1` open bins then a missing bin (the layout
    of `SupportsBinCounts`); categorical counts are one per category, then
    unseen, then missing.
    """

    feature: str
    kind: str
    counts: np.ndarray
    n: int
    edges: np.ndarray = field(default_factory=lambda: np.empty(0))
    categories: tuple[str, ...] = ()
    infinite: int = 0
    note: str = ""
    sample: np.ndarray | None = None
    non_numeric: int = 0
    sketch: Sketch | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        """A readable label per bin, in the order of `counts`."""
        if self.kind == CATEGORICAL:
            return (*self.categories, "(unseen)", "(missing)")
        if self.edges.size == 0:
            return ("(all values)", "(missing)")
        bounds = [f"{edge:.6g}" for edge in self.edges]
        inner = [f"[{lo}, {hi})" for lo, hi in itertools.pairwise(bounds)]
        return (f"< {bounds[0]}", *inner, f">= {bounds[-1]}", "(missing)")

    @property
    def bins(self) -> int:
        """Bins holding values (open bins or categories + unseen), missing excluded."""
        return int(self.counts.size - 1)


@dataclass(frozen=True)
class Binned:
    """Counts of a window in a fit's bins, with how many values were infinite."""

    counts: np.ndarray
    n: int
    infinite: int = 0
    note: str = ""
    non_numeric: int = 0


def column_kind(series: pd.Series) -> tuple[str, str]:
    """Numeric or categorical, and a note when the column had to be interpreted."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return CATEGORICAL, ""
    if pd.api.types.is_numeric_dtype(series.dtype):
        return NUMERIC, ""
    present = series.dropna()
    if present.empty:
        return CATEGORICAL, ""
    converted = pd.to_numeric(present, errors="coerce")
    numbers = int(converted.notna().sum())
    if numbers == len(present) and not pd.api.types.is_string_dtype(series.dtype):
        return NUMERIC, "numbers stored as objects: read as numeric"
    if 0 < numbers < len(present):
        return CATEGORICAL, "mixed types (numbers and text): compared as text"
    return CATEGORICAL, ""


def as_float(series: pd.Series | np.ndarray) -> np.ndarray:
    """A float64 view (or copy) of numeric values; NaN for missing."""
    if isinstance(series, pd.Series):
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):
            return series.to_numpy(dtype=np.float64, na_value=np.nan)
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.asarray(series, dtype=np.float64)


def non_numeric(series: pd.Series | np.ndarray) -> int:
    """How many present values do not read as numbers (text in a numeric column)."""
    if not isinstance(series, pd.Series):
        return 0
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        return 0
    present = series.dropna()
    return int(pd.to_numeric(present, errors="coerce").isna().sum())


def _non_numeric_note(count: int) -> str:
    """`3 non-numeric value(s) counted as missing`, or ""."""
    return f"{count:,} non-numeric value(s) counted as missing" if count else ""


def as_text(series: pd.Series) -> pd.Series:
    """Categorical values as strings with missing kept as NaN, so mixed types compare."""
    mask = series.isna()
    text = series.astype(object).where(mask, series.astype(str))
    return text.where(~mask, np.nan)


def quantile_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """Distinct interior quantile cut points of the finite values (deciles for bins=10)."""
    return edges_of(order(values).finite, bins)


def edges_of(ranked: np.ndarray, bins: int) -> np.ndarray:
    """Distinct interior quantile cut points of sorted finite values (`np.quantile`'s, exactly)."""
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    if ranked.size == 0:
        return np.empty(0)
    return np.unique(quantiles(ranked, np.linspace(0.0, 1.0, bins + 1)[1:-1]))


def count_numeric(values: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, int]:
    """Counts in open bins around `edges`, then missing; and how many values were ±inf.

    One searchsorted over [lowest, edges…, +inf, NaN] sorts −inf, the open
    bins, +inf and NaN in a single pass; infinities are folded into the outer
    bins afterwards.
    """
    k = edges.size
    probe = np.concatenate(([_LOWEST], edges, [np.inf, np.nan]))
    total = np.zeros(k + 4, dtype=np.int64)
    for start in range(0, values.size, CHUNK_ROWS):
        chunk = values[start : start + CHUNK_ROWS]
        if chunk.dtype != np.float64:
            chunk = chunk.astype(np.float64)
        total += np.bincount(np.searchsorted(probe, chunk, side="right"), minlength=k + 4)
    counts = total[1 : k + 3].copy()
    counts[0] += total[0]
    counts[k] += total[k + 2]
    counts[k + 1] = total[k + 3]
    return counts, int(total[0] + total[k + 2])


def count_categorical(series: pd.Series, categories: Sequence[str]) -> np.ndarray:
    """Counts per category, then unseen, then missing."""
    text = as_text(series)
    missing = int(text.isna().sum())
    codes = pd.Index(list(categories), dtype=object).get_indexer(text.dropna())
    raw = np.bincount(codes.astype(np.int64) + 1, minlength=len(categories) + 1)
    return np.concatenate((raw[1:], raw[:1], [missing])).astype(np.int64)


def fit_feature(
    feature: str,
    series: pd.Series,
    *,
    bins: int = DEFAULT_BINS,
    kind: str | None = None,
    keep_sample: bool = True,
) -> FeatureFit:
    """Fit one feature's reference: quantile edges or categories, and their counts.

    A numeric column is sorted once: the edges, the counts and the quantile
    sketch of KS and Wasserstein come from it; `keep_sample` keeps the sorted
    values themselves for the exact tests.
    """
    detected, note = column_kind(series)
    kind = kind or detected
    n = int(series.size)
    if kind == NUMERIC:
        ordered = order(as_float(series))
        finite = ordered.finite
        edges = edges_of(finite, bins)
        counts, infinite = bin_counts(ordered, edges), ordered.infinite
        text = non_numeric(series)
        notes = [part for part in (note, _non_numeric_note(text)) if part]
        if n and finite.size == 0:
            notes.append("reference has no finite values")
        elif edges.size == 1 and np.ptp(finite) == 0:
            notes.append("constant in the reference: two bins (below / at or above)")
        elif edges.size < bins - 1:
            notes.append(f"{edges.size + 1} bins: tied quantiles merged")
        sample = finite if keep_sample else None
        sketch = fit_sketch(finite)
        return FeatureFit(
            feature, NUMERIC, counts, n, edges, (), infinite, "; ".join(notes), sample, text, sketch
        )
    text = as_text(series)
    frequencies = text.value_counts(dropna=True)
    categories = tuple(str(value) for value in frequencies.index)
    counts = count_categorical(text, categories)
    if n and not categories:
        note = "; ".join(part for part in (note, "reference has only missing values") if part)
    return FeatureFit(feature, CATEGORICAL, counts, n, categories=categories, note=note)


def bin_ordered(fit: FeatureFit, column: Ordered, text: int = 0) -> Binned:
    """Count a sorted numeric window into the bins of `fit` (binary searches, no pass)."""
    infinite = column.infinite
    notes = (
        f"{infinite} infinite value(s) counted in the outer bins" if infinite else "",
        _non_numeric_note(text),
    )
    counts = bin_counts(column, fit.edges)
    return Binned(counts, column.n, infinite, "; ".join(p for p in notes if p), text)


def bin_window(fit: FeatureFit, series: pd.Series | np.ndarray) -> Binned:
    """Count a window into the bins of `fit` (the only per-window work in quantile mode)."""
    if fit.kind == NUMERIC:
        values = as_float(series) if isinstance(series, pd.Series) else np.asarray(series)
        counts, infinite = count_numeric(values, fit.edges)
        text = non_numeric(series)
        notes = (
            f"{infinite} infinite value(s) counted in the outer bins" if infinite else "",
            _non_numeric_note(text),
        )
        return Binned(counts, int(values.size), infinite, "; ".join(p for p in notes if p), text)
    column = series if isinstance(series, pd.Series) else pd.Series(series)
    counts = count_categorical(column, fit.categories)
    return Binned(counts, int(column.size))


def bin_codes(fit: FeatureFit, series: pd.Series) -> np.ndarray:
    """Each row's bin, as an index into `fit.counts` (for counts per time bucket)."""
    if fit.kind == NUMERIC:
        k = fit.edges.size
        probe = np.concatenate(([_LOWEST], fit.edges, [np.inf, np.nan]))
        raw = np.searchsorted(probe, as_float(series), side="right")
        lookup = np.concatenate(([0], np.arange(k + 1), [k, k + 1]))
        codes: np.ndarray = lookup[raw]
        return codes
    text = as_text(series)
    codes = (
        pd.Index(list(fit.categories), dtype=object).get_indexer(text.fillna("")).astype(np.int64)
    )
    codes[codes < 0] = len(fit.categories)
    codes[text.isna().to_numpy()] = len(fit.categories) + 1
    return codes


@dataclass(frozen=True)
class ReferenceProfile:
    """The fits of every feature of one reference sample, with the bin count asked for."""

    fits: dict[str, FeatureFit]
    bins: int

    def __getitem__(self, feature: str) -> FeatureFit:
        """The fit of one feature."""
        return self.fits[feature]


def fit_reference(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    bins: int = DEFAULT_BINS,
    kinds: dict[str, str] | None = None,
    keep_sample: bool = True,
) -> ReferenceProfile:
    """Fit every column of a reference frame."""
    kinds = kinds or {}
    fits = {
        column: fit_feature(
            column, frame[column], bins=bins, kind=kinds.get(column), keep_sample=keep_sample
        )
        for column in columns
    }
    return ReferenceProfile(fits, bins)
