"""The drift table: one row per feature with PSI, its band, the other statistics and sizes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from console.analysis.coverage import Coverage
from console.analysis.drift import stats
from console.analysis.drift.bands import (
    DEFAULT_PROFILE,
    INSUFFICIENT,
    NO_DATA,
    STATUS_ORDER,
    Profile,
    get_profile,
)
from console.analysis.drift.evidently import EVIDENTLY_EPSILON, evidently_bins
from console.analysis.drift.ordered import order
from console.analysis.drift.psi import DEFAULT_EPSILON, floor_shares, psi_terms, shares
from console.analysis.drift.reference import (
    CATEGORICAL,
    DEFAULT_BINS,
    NUMERIC,
    Binned,
    FeatureFit,
    ReferenceProfile,
    as_float,
    bin_ordered,
    bin_window,
    fit_feature,
    fit_reference,
    non_numeric,
)
from console.analysis.drift.sketch import SKETCH_POINTS, sketch_tests
from console.analysis.samples import DEFAULT_MIN_SAMPLES, shortfall

QUANTILE = "quantile"
EVIDENTLY = "evidently"
MODES = (QUANTILE, EVIDENTLY)


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's drift: PSI with its band, the statistics, and what they were computed on."""

    feature: str
    kind: str
    mode: str
    psi: float | None
    status: str
    bins: int
    epsilon: float
    n_reference: int
    n_current: int
    js: float | None = None
    ks: float | None = None
    ks_pvalue: float | None = None
    chi2: float | None = None
    chi2_pvalue: float | None = None
    wasserstein: float | None = None
    ks_error: float | None = None
    wasserstein_error: float | None = None
    tests: str = ""
    missing_reference: float = 0.0
    missing_current: float = 0.0
    unseen_current: float = 0.0
    infinite_current: int = 0
    non_numeric_reference: int = 0
    non_numeric_current: int = 0
    labels: tuple[str, ...] = ()
    terms: tuple[float, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return asdict(self)


@dataclass(frozen=True)
class DriftTable:
    """Every feature's drift, worst first, with the mode, profile, sizes and slice used."""

    mode: str
    profile: Profile
    bins: int
    epsilon: float
    n_reference: int
    n_current: int
    features: tuple[FeatureDrift, ...] = field(default_factory=tuple)
    min_samples: int = DEFAULT_MIN_SAMPLES
    slice: tuple[str, ...] = ()
    coverage: Coverage | None = None
    tests: str = ""

    @property
    def worst(self) -> FeatureDrift | None:
        """The feature with the highest PSI, if any has one."""
        return next((row for row in self.features if row.psi is not None), None)

    def over(self, status: str) -> list[FeatureDrift]:
        """Features at or above a band (`investigate` or `act`)."""
        return [row for row in self.features if STATUS_ORDER[row.status] >= STATUS_ORDER[status]]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values: mode, profile, bins, epsilon, sizes, and the `features` list."""
        return {
            "mode": self.mode,
            "profile": self.profile.to_dict(),
            "bins": self.bins,
            "epsilon": self.epsilon,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "min_samples": self.min_samples,
            "slice": list(self.slice),
            "coverage": self.coverage.to_dict() if self.coverage else None,
            "tests": self.tests,
            "sketch_points": SKETCH_POINTS if self.tests == "sketch" else None,
            "features": [row.to_dict() for row in self.features],
        }


def _sort(rows: list[FeatureDrift]) -> tuple[FeatureDrift, ...]:
    """Worst PSI first; features without an answer last, by name."""
    return tuple(sorted(rows, key=lambda r: (r.psi is None, -(r.psi or 0.0), r.feature)))


def drift_from_counts(
    feature: str,
    reference_counts: np.ndarray,
    current_counts: np.ndarray,
    *,
    kind: str = NUMERIC,
    labels: Sequence[str] = (),
    epsilon: float = DEFAULT_EPSILON,
    profile: Profile | None = None,
    note: str = "",
    missing_bin: bool = True,
    unseen_bin: bool = False,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> FeatureDrift:
    """One feature's drift from bin counts alone (what a SQL or Prometheus backend returns).

    A side with fewer than `min_samples` rows gives `insufficient`, no PSI and no band.
    """
    profile = profile or get_profile(DEFAULT_PROFILE)
    ref = np.asarray(reference_counts, dtype=np.int64)
    cur = np.asarray(current_counts, dtype=np.int64)
    if ref.shape != cur.shape:
        raise ValueError(f"{feature}: count vectors differ in length ({ref.size} vs {cur.size})")
    n_ref, n_cur = int(ref.sum()), int(cur.sum())
    bins = ref.size - (1 if missing_bin else 0)
    base: dict[str, Any] = {
        "feature": feature,
        "kind": kind,
        "mode": QUANTILE,
        "bins": bins,
        "epsilon": epsilon,
    }
    sizes: dict[str, Any] = {"n_reference": n_ref, "n_current": n_cur, "labels": tuple(labels)}
    empty = "current window is empty" if n_cur == 0 else "reference is empty" if n_ref == 0 else ""
    if empty:
        note = "; ".join(part for part in (note, empty) if part)
        return FeatureDrift(**base, psi=None, status=NO_DATA, **sizes, note=note)
    short = shortfall(n_ref, n_cur, min_samples)
    if short:
        note = "; ".join(part for part in (note, short) if part)
        return FeatureDrift(**base, psi=None, status=INSUFFICIENT, **sizes, note=note)
    terms = psi_terms(floor_shares(shares(ref), epsilon), floor_shares(shares(cur), epsilon))
    value = float(terms.sum())
    chi = stats.chi_square(ref, cur) if kind == CATEGORICAL else stats.TestResult(None)
    missing_index = -1 if missing_bin else None
    unseen_index = -2 if (unseen_bin and missing_bin) else (-1 if unseen_bin else None)
    return FeatureDrift(
        **base,
        psi=value,
        status=profile.status(value),
        **sizes,
        js=stats.js_from_counts(ref, cur),
        chi2=chi.statistic,
        chi2_pvalue=chi.pvalue,
        missing_reference=float(ref[missing_index] / n_ref) if missing_index else 0.0,
        missing_current=float(cur[missing_index] / n_cur) if missing_index else 0.0,
        unseen_current=float(cur[unseen_index] / n_cur) if unseen_index else 0.0,
        terms=tuple(float(t) for t in terms),
        note=note,
    )


def _quantile_row(
    fit: FeatureFit,
    current: pd.Series,
    profile: Profile,
    epsilon: float,
    exact: bool,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> FeatureDrift:
    """A quantile-mode row: the window binned in the fit's bins, KS and Wasserstein added.

    A numeric window is sorted once; its bins, and KS and Wasserstein against
    the reference's quantile sketch (with their error bounds), come from it.
    With `exact` (and the sorted reference kept in the fit) both are exact.
    """
    if fit.kind != NUMERIC:
        return binned_row(fit, bin_window(fit, current), profile, epsilon, min_samples)
    ordered = order(as_float(current))
    binned = bin_ordered(fit, ordered, non_numeric(current))
    row = binned_row(fit, binned, profile, epsilon, min_samples)
    if row.psi is None:
        return row
    extra: dict[str, Any] = {}
    if exact and fit.sample is not None:
        ks, distance = stats.exact_tests(fit.sample, ordered.finite)
        extra = {"ks": ks.statistic, "ks_pvalue": ks.pvalue, "wasserstein": distance}
        extra |= {"tests": "exact", "ks_error": 0.0, "wasserstein_error": 0.0 if distance else None}
        constant = fit.sample.size > 0 and distance is None
    elif fit.sketch is not None:
        found = sketch_tests(fit.sketch, ordered.finite)
        if found is not None:
            extra = {"ks": found.ks, "ks_error": found.ks_error, "tests": "sketch"}
            extra |= {"wasserstein": found.wasserstein}
            extra |= {"wasserstein_error": found.wasserstein_error}
        constant = fit.sketch.std == 0.0
    else:
        constant = False
    if constant:
        extra["note"] = "; ".join(
            p for p in (row.note, "Wasserstein undefined: reference std is 0") if p
        )
    return _replace(row, extra)


def _run_all(jobs: Iterable[Callable[[], FeatureDrift]], parallel: bool) -> list[FeatureDrift]:
    """Run the jobs in order; with `parallel`, on every core, a few waiting at a time.

    A job is drawn from the iterable (which may read a column to make it)
    only when a worker is free, so memory stays one job per core wide.
    Sorting and merging release the GIL, so threads use every core.
    """
    workers = os.cpu_count() or 1
    if not parallel or workers < 2:
        return [job() for job in jobs]
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    done: list[FeatureDrift] = []
    waiting: deque[Future[FeatureDrift]] = deque()
    pending = iter(jobs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while True:
            while len(waiting) >= workers:
                done.append(waiting.popleft().result())
            job = next(pending, None)
            if job is None:
                break
            waiting.append(pool.submit(job))
        done += [future.result() for future in waiting]
    return done


def _rows(
    fitted: ReferenceProfile,
    column: Callable[[str], pd.Series],
    names: Sequence[str],
    profile: Profile,
    epsilon: float,
    exact: bool,
    min_samples: int,
) -> list[FeatureDrift]:
    """Every feature's row against a fit, reading one window column at a time."""
    jobs = (
        partial(_quantile_row, fitted[name], column(name), profile, epsilon, exact, min_samples)
        for name in names
    )
    return _run_all(jobs, exact)


def drift_of_pairs(
    reference: Callable[[str], pd.Series],
    current: Callable[[str], pd.Series],
    names: Sequence[str],
    rows: int,
    *,
    bins: int = DEFAULT_BINS,
    profile: str | Profile = DEFAULT_PROFILE,
    epsilon: float = DEFAULT_EPSILON,
    exact: bool = False,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> DriftTable:
    """Quantile-mode drift of two column sources, feature by feature (two files, say).

    Each reference column is fitted (sorted once), scored against its window
    column and dropped, so memory holds a feature or two at a time; with
    `exact`, features run in parallel on every core.
    """
    chosen = profile if isinstance(profile, Profile) else get_profile(profile)
    if not names:
        raise ValueError("no columns in common between reference and current")
    sizes: list[int] = []

    def one(name: str, base: pd.Series, window: pd.Series) -> FeatureDrift:
        fit = fit_feature(name, base, bins=bins, keep_sample=exact)
        sizes.append(fit.n)
        return _quantile_row(fit, window, chosen, epsilon, exact, min_samples)

    jobs = (partial(one, name, reference(name), current(name)) for name in names)
    found = _run_all(jobs, exact)
    return DriftTable(
        mode=QUANTILE,
        profile=chosen,
        bins=bins,
        epsilon=epsilon,
        n_reference=max(sizes, default=0),
        n_current=rows,
        features=_sort(found),
        min_samples=min_samples,
        tests="exact" if exact else "sketch",
    )


def binned_row(
    fit: FeatureFit,
    binned: Binned,
    profile: Profile,
    epsilon: float = DEFAULT_EPSILON,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> FeatureDrift:
    """A quantile-mode row from a reference fit and a window already counted in its bins."""
    note = "; ".join(part for part in (fit.note, binned.note) if part)
    if fit.n and fit.counts[:-1].sum() == 0:
        note = note or "reference has only missing values"
        if binned.n and binned.counts[:-1].sum() == 0:
            return FeatureDrift(
                feature=fit.feature,
                kind=fit.kind,
                mode=QUANTILE,
                psi=None,
                status=NO_DATA,
                bins=fit.bins,
                epsilon=epsilon,
                n_reference=fit.n,
                n_current=binned.n,
                note=f"{note}; current too: nothing to compare",
            )
    if binned.n and binned.counts[:-1].sum() == 0:
        note = "; ".join(part for part in (note, "current window has only missing values") if part)
    row = drift_from_counts(
        fit.feature,
        fit.counts,
        binned.counts,
        kind=fit.kind,
        labels=fit.labels,
        epsilon=epsilon,
        profile=profile,
        note=note,
        unseen_bin=fit.kind == CATEGORICAL,
        min_samples=min_samples,
    )
    counted = {
        "infinite_current": binned.infinite,
        "non_numeric_reference": fit.non_numeric,
        "non_numeric_current": binned.non_numeric,
    }
    return _replace(row, counted)


def _replace(row: FeatureDrift, changes: dict[str, Any]) -> FeatureDrift:
    """A copy of a frozen row with some fields changed."""
    return replace(row, **changes)


def _evidently_row(
    feature: str,
    kind: str,
    reference: pd.Series,
    current: pd.Series,
    profile: Profile,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> FeatureDrift:
    """An evidently-mode row: Evidently's own bins for this pair of samples."""
    base: dict[str, Any] = {"feature": feature, "mode": EVIDENTLY, "epsilon": EVIDENTLY_EPSILON}
    sizes: dict[str, Any] = {"n_reference": int(reference.size), "n_current": int(current.size)}
    short = shortfall(int(reference.size), int(current.size), min_samples)
    if short and reference.size and current.size:
        return FeatureDrift(
            **base, kind=kind, psi=None, status=INSUFFICIENT, bins=0, **sizes, note=short
        )
    try:
        result = evidently_bins(reference, current, kind)
    except ValueError as error:
        return FeatureDrift(
            **base, kind=kind, psi=None, status=NO_DATA, bins=0, **sizes, note=str(error)
        )
    dropped = result.dropped_reference + result.dropped_current
    note = f"{dropped} missing or infinite value(s) dropped" if dropped else ""
    text = (non_numeric(reference), non_numeric(current)) if kind == NUMERIC else (0, 0)
    if sum(text):
        note = "; ".join(p for p in (note, f"{sum(text):,} of them non-numeric") if p)
    if result.treated_as != kind:
        note = "; ".join(p for p in (note, "≤ 20 distinct values: compared as categories") if p)
    value = result.psi
    js = stats.js_from_counts(result.reference_shares, result.current_shares)
    return FeatureDrift(
        **base,
        kind=result.treated_as,
        psi=value,
        non_numeric_reference=text[0],
        non_numeric_current=text[1],
        status=profile.status(value),
        bins=len(result.labels),
        **sizes,
        js=js,
        labels=result.labels,
        terms=tuple(float(t) for t in result.terms),
        note=note,
    )


def drift_against(
    fitted: ReferenceProfile,
    current: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    profile: str | Profile = DEFAULT_PROFILE,
    epsilon: float = DEFAULT_EPSILON,
    exact: bool = False,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> DriftTable:
    """Drift of `current` against a (cached) quantile-mode reference fit: only the window is binned.

    KS and Wasserstein come from the fit's quantile sketch, each with its
    error bound; `exact=True` computes them exactly from the sorted reference
    the fit keeps (`keep_sample`), in parallel across features. A feature
    with fewer than `min_samples` rows on either side is `insufficient`.
    """
    names = list(columns) if columns is not None else [c for c in fitted.fits if c in current]
    missing = [c for c in names if c not in current]
    if missing:
        raise ValueError(f"column(s) not found: {', '.join(missing)}")
    return drift_of_columns(
        fitted,
        current.__getitem__,
        names,
        len(current),
        profile=profile,
        epsilon=epsilon,
        exact=exact,
        min_samples=min_samples,
    )


def drift_of_columns(
    fitted: ReferenceProfile,
    column: Callable[[str], pd.Series],
    names: Sequence[str],
    rows: int,
    *,
    profile: str | Profile = DEFAULT_PROFILE,
    epsilon: float = DEFAULT_EPSILON,
    exact: bool = False,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> DriftTable:
    """`drift_against` for a window given column by column (a file read one column at a time)."""
    chosen = profile if isinstance(profile, Profile) else get_profile(profile)
    unknown = [c for c in names if c not in fitted.fits]
    if unknown:
        raise ValueError(f"column(s) not found: {', '.join(unknown)}")
    if not names:
        raise ValueError("no columns in common between the reference fit and current")
    rows_ = _rows(fitted, column, names, chosen, epsilon, exact, min_samples)
    return DriftTable(
        mode=QUANTILE,
        profile=chosen,
        bins=fitted.bins,
        epsilon=epsilon,
        n_reference=max((fitted[c].n for c in names), default=0),
        n_current=rows,
        features=_sort(rows_),
        min_samples=min_samples,
        tests="exact" if exact else "sketch",
    )


def drift_table(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    mode: str = QUANTILE,
    bins: int = DEFAULT_BINS,
    profile: str | Profile = DEFAULT_PROFILE,
    epsilon: float = DEFAULT_EPSILON,
    kinds: dict[str, str] | None = None,
    exact: bool = False,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> DriftTable:
    """Drift of every column of `current` against `reference`, worst first.

    Quantile mode fits the reference and scores the window (`drift_against`);
    evidently mode bins each pair of samples Evidently's way. A feature with
    fewer than `min_samples` rows on either side is `insufficient`.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")
    chosen = profile if isinstance(profile, Profile) else get_profile(profile)
    names = list(columns) if columns is not None else [c for c in reference if c in current]
    missing = [c for c in names if c not in current or c not in reference]
    if missing:
        raise ValueError(f"column(s) not found: {', '.join(missing)}")
    if not names:
        raise ValueError("no columns in common between reference and current")
    if mode == QUANTILE:
        fit = fit_reference(reference, names, bins=bins, kinds=kinds, keep_sample=exact)
        return drift_against(
            fit,
            current,
            names,
            profile=chosen,
            epsilon=epsilon,
            exact=exact,
            min_samples=min_samples,
        )
    from console.analysis.drift.reference import column_kind

    kinds = kinds or {}
    rows: list[FeatureDrift] = []
    for c in names:
        kind = kinds.get(c) or column_kind(reference[c])[0]
        rows.append(_evidently_row(c, kind, reference[c], current[c], chosen, min_samples))
    return DriftTable(
        mode=mode,
        profile=chosen,
        bins=0,
        epsilon=EVIDENTLY_EPSILON,
        n_reference=len(reference),
        n_current=len(current),
        features=_sort(rows),
        min_samples=min_samples,
    )
