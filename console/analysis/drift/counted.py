"""Drift from counts a backend computed where the data lives: a SQL engine or Prometheus buckets.

The engine receives the reference fit's edges (numeric) or categories and
returns counts per bin; the rows never reach Vigil. PSI, JS and chi² need
only counts, so they equal the embedded backend's on the same rows. KS and
Wasserstein need the values: from counts they are not available, and the
table says so (`tests == "counts"`, no value, a note) rather than invent one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from backends.contracts import BucketCounts, SupportsWindowCoverage
from console.analysis.coverage import Coverage, _instant, _ns, coverage
from console.analysis.drift.bands import INSUFFICIENT, Profile
from console.analysis.drift.psi import DEFAULT_EPSILON
from console.analysis.drift.reference import (
    NUMERIC,
    Binned,
    FeatureFit,
    ReferenceProfile,
    as_float,
)
from console.analysis.drift.table import (
    QUANTILE,
    DriftTable,
    FeatureDrift,
    binned_row,
    drift_from_counts,
)
from console.analysis.drift.table import _sort as sort_rows
from console.analysis.samples import DEFAULT_MIN_SAMPLES

COUNTS = "counts"
BUCKETS = "buckets"
NO_TESTS_NOTE = "from counts (KS, Wasserstein need the values)"


def edges_of(fit: FeatureFit) -> np.ndarray:
    """What the engine is sent for one feature: its reference edges, or its categories."""
    return fit.edges if fit.kind == NUMERIC else np.asarray(fit.categories, dtype=object)


def edges_of_fit(
    fitted: ReferenceProfile, names: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Every feature's edges or categories (default: every feature of the fit)."""
    return {name: edges_of(fitted[name]) for name in (names if names is not None else fitted.fits)}


def rows_from_counts(
    fitted: ReferenceProfile,
    counted: Mapping[str, tuple[np.ndarray, int]],
    profile: Profile,
    epsilon: float = DEFAULT_EPSILON,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> dict[str, FeatureDrift]:
    """One drift row per feature from the engine's counts and infinite totals."""
    rows = {}
    for name, (counts, infinite) in counted.items():
        note = f"{infinite} infinite value(s) counted in the outer bins" if infinite else ""
        binned = Binned(np.asarray(counts, dtype=np.int64), int(counts.sum()), infinite, note)
        rows[name] = binned_row(fitted[name], binned, profile, epsilon, min_samples)
    return rows


def _untested(row: FeatureDrift, source: str) -> FeatureDrift:
    """A row whose KS and Wasserstein are absent, saying why."""
    note = "; ".join(p for p in (row.note, NO_TESTS_NOTE) if p) if row.kind == NUMERIC else row.note
    return replace(row, tests=source, note=note)


def drift_of_counts(
    fitted: ReferenceProfile,
    counted: Mapping[str, tuple[np.ndarray, int]],
    *,
    profile: Profile,
    epsilon: float = DEFAULT_EPSILON,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> DriftTable:
    """The drift table of a window counted by the engine in the fit's bins (quantile mode)."""
    rows = rows_from_counts(fitted, counted, profile, epsilon, min_samples)
    n_current = max((int(counts.sum()) for counts, _ in counted.values()), default=0)
    return DriftTable(
        mode=QUANTILE,
        profile=profile,
        bins=fitted.bins,
        epsilon=epsilon,
        n_reference=max((fitted[name].n for name in counted), default=0),
        n_current=n_current,
        features=sort_rows([_untested(row, COUNTS) for row in rows.values()]),
        min_samples=min_samples,
        tests=COUNTS,
    )


MINUTE = timedelta(minutes=1)


def coverage_of_minutes(
    minutes: Sequence[tuple[int, datetime, datetime]],
    start: datetime,
    end: datetime,
    widest_gap: Callable[[], tuple[datetime, datetime] | None],
) -> Coverage:
    """The window's coverage from the engine's rows, first and last instant per minute.

    Equal to `coverage` of the rows: the widest gap among the minutes' edges
    is the rows' own when it spans more than a minute (a gap inside a minute
    is shorter); otherwise `widest_gap` asks the engine for the exact one.
    """
    rows = sum(count for count, _, _ in minutes)
    if rows == 0:
        return Coverage(start, end, 0)
    edges = pd.Series([moment for _, first, last in minutes for moment in (first, last)])
    found = replace(coverage(edges, start, end), rows=rows)
    assert found.gap_start is not None and found.gap_end is not None
    if found.gap_end - found.gap_start > MINUTE:
        return found
    first, last = _ns(minutes[0][1]), _ns(minutes[-1][2])
    candidates = [(_ns(start), first)]  # argmax's order: the start's gap wins a tie
    inner = widest_gap()
    if inner is not None:
        candidates.append((_ns(inner[0]), _ns(inner[1])))
    candidates.append((last, _ns(end)))
    low, high = max(candidates, key=lambda pair: pair[1] - pair[0])  # first of the widest
    return replace(found, gap_start=_instant(low), gap_end=_instant(high))


def window_coverage(
    log: object,
    model: str,
    start: datetime,
    end: datetime,
    *,
    version: str | None = None,
    where: Mapping[str, str] | None = None,
) -> Coverage | None:
    """A counted window's coverage from the engine (None for a log that cannot say)."""
    if not isinstance(log, SupportsWindowCoverage):
        return None
    minutes = log.window_minutes(model, start, end, version=version, where=where)
    return coverage_of_minutes(
        minutes,
        start,
        end,
        lambda: log.widest_gap(model, start, end, version=version, where=where),
    )


def bucket_labels(edges: Sequence[float]) -> tuple[str, ...]:
    """A label per Prometheus bucket: `<= 0.05`, `(0.05, 0.1]`, ..., `> 0.95`."""
    shown = [f"{edge:.6g}" for edge in edges]
    if not shown:
        return ("(all values)",)
    inner = [f"({lo}, {hi}]" for lo, hi in itertools.pairwise(shown)]
    return (f"<= {shown[0]}", *inner, f"> {shown[-1]}")


def counts_in_buckets(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Values counted the way a Prometheus histogram counts them (`le`: value <= upper edge).

    Missing values are not observed by a histogram, so they are not counted.
    """
    finite = as_float(values)
    finite = finite[~np.isnan(finite)]
    codes = np.searchsorted(np.asarray(edges, dtype=np.float64), finite, side="left")
    return np.bincount(codes, minlength=len(edges) + 1).astype(np.int64)


def bucket_row(
    feature: str,
    reference: BucketCounts | tuple[tuple[float, ...], np.ndarray],
    current: BucketCounts,
    *,
    profile: Profile,
    epsilon: float = DEFAULT_EPSILON,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    kind: str = NUMERIC,
) -> FeatureDrift:
    """One feature's (or the score's) drift from histogram bucket counts of two windows.

    `reference` is a window's BucketCounts, or (edges, counts) of the training
    reference counted in the histogram's own buckets. Prometheus extrapolates
    increases, so counts are rounded to whole observations.
    """
    if isinstance(reference, BucketCounts):
        short = reference.insufficient and f"reference: {reference.insufficient}"
        ref_edges, ref_counts = reference.edges, np.asarray(reference.counts)
    else:
        short, (ref_edges, ref_counts) = "", reference
    short = short or (current.insufficient and f"current: {current.insufficient}")
    if not short and tuple(ref_edges) != tuple(current.edges):
        short = "the histogram's buckets differ between the two windows"
    if short:
        return FeatureDrift(
            feature=feature,
            kind=kind,
            mode=QUANTILE,
            psi=None,
            status=INSUFFICIENT,
            bins=0,
            epsilon=epsilon,
            n_reference=0,
            n_current=0,
            tests=BUCKETS,
            note=short,
        )
    row = drift_from_counts(
        feature,
        np.rint(ref_counts).astype(np.int64),
        np.rint(np.asarray(current.counts)).astype(np.int64),
        kind=kind,
        labels=bucket_labels(current.edges),
        epsilon=epsilon,
        profile=profile,
        note=f"from {len(current.counts)} histogram buckets",
        missing_bin=False,
        min_samples=min_samples,
    )
    return _untested(row, BUCKETS)


def drift_of_buckets(
    rows: Sequence[FeatureDrift],
    *,
    profile: Profile,
    epsilon: float = DEFAULT_EPSILON,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> DriftTable:
    """The drift table of rows computed from histogram buckets."""
    return DriftTable(
        mode=QUANTILE,
        profile=profile,
        bins=max((row.bins for row in rows), default=0),
        epsilon=epsilon,
        n_reference=max((row.n_reference for row in rows), default=0),
        n_current=max((row.n_current for row in rows), default=0),
        features=sort_rows(list(rows)),
        min_samples=min_samples,
        tests=BUCKETS,
    )
