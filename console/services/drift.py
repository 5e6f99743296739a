"""What the drift screens show, computed by the same functions `vigil drift` calls.

`compute_drift` resolves the window exactly as the CLI does (a duration ending
at the last logged request, or an explicit START..END) and calls
`model_drift`; `compute_segments` calls `segment_drift`; `psi_history` gives
each feature's PSI per day for the sparklines; `feature_distribution` gives one
feature's reference and current shares per bin. No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from time import perf_counter
from typing import cast

import numpy as np

from backends.capabilities import supports
from backends.contracts import BucketCounts, Model, SupportsBucketCounts, SupportsWindowCounts
from console.analysis.context import AnalysisContext
from console.analysis.drift import DriftTable, FeatureFit, bin_window, fit_reference
from console.analysis.drift.counted import bucket_labels, edges_of
from console.analysis.drift.psi import psi_from_counts
from console.analysis.drift.pushdown import (
    bucket_drift,
    bucket_pairs,
    counted_drift,
    counts_pushdown,
    pushed_slice,
)
from console.analysis.drift.segments import SegmentDriftTable, as_predicates, slice_mask
from console.analysis.inputs import InputError, parse_instant, resolve_window
from console.analysis.workspace import (
    feature_kinds,
    last_logged,
    model_drift,
    psi_series,
    segment_drift,
    training_fit,
)

MODES: tuple[str, ...] = ("quantile", "evidently", "buckets")
PROFILES: tuple[str, ...] = ("strict", "classic")
REFERENCES: tuple[str, ...] = ("training", "previous")
BUCKETS = (
    "buckets"  # the metric store's histogram buckets (prometheus): `vigil drift --from-buckets`
)
DEFAULT_WINDOW = "24h"
HISTORY_DAYS = 7
HISTORY_MIN_ROWS = 30  # a day with fewer rows has no sparkline bar (as psi_series)
SEGMENT_TOP = 50


@dataclass(frozen=True)
class DriftRequest:
    """One drift question: model, window, mode, profile, reference and slice."""

    model: str
    window: str = DEFAULT_WINDOW
    mode: str = "quantile"
    profile: str = "strict"
    reference: str = "training"
    predicates: tuple[tuple[str, str], ...] = ()

    def bounds(self, last: datetime | None) -> tuple[datetime, datetime]:
        """[start, end) as `vigil drift --window` / `--start --end` resolve it."""
        if ".." in self.window:
            start, _, end = self.window.partition("..")
            return resolve_window(start.strip(), end.strip(), None, last)
        return resolve_window(None, None, self.window, last)

    def reference_window(self, start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
        """The earlier window of the same length when comparing against `previous`."""
        if self.reference != "previous":
            return None
        return start - (end - start), start

    def cli(self, start: datetime, end: datetime) -> str:
        """The `vigil drift` command that prints the same numbers."""
        words = ["vigil drift", f"--model {self.model}"]
        if ".." in self.window:
            words.append(f"--start {start.isoformat()} --end {end.isoformat()}")
        else:
            words.append(f"--window {self.window}")
        if self.mode == BUCKETS:
            words.append("--from-buckets")
        elif self.mode != "quantile":
            words.append(f"--mode {self.mode}")
        if self.profile != "strict":
            words.append(f"--profile {self.profile}")
        earlier = self.reference_window(start, end)
        if earlier is not None:
            words.append(f"--reference-window {earlier[0].isoformat()}/{earlier[1].isoformat()}")
        words.extend(f"--slice {column}={value}" for column, value in self.predicates)
        return " ".join(words)

    def with_window(self, window: str) -> DriftRequest:
        """The same question over another window (validated: a duration or START..END)."""
        check_window(window)
        return replace(self, window=window)


def modes_for(context: AnalysisContext) -> tuple[str, ...]:
    """The modes the context can answer: `buckets` only with a metric store that keeps them."""
    if supports(context.metrics, SupportsBucketCounts):
        return MODES
    return tuple(mode for mode in MODES if mode != BUCKETS)


def check_window(window: str) -> None:
    """Raise InputError unless `window` is a duration (`6h`) or `START..END` (ISO instants)."""
    if ".." in window:
        start, _, end = window.partition("..")
        if parse_instant(end.strip()) <= parse_instant(start.strip()):
            raise InputError(f"{window!r}: the end must be after the start")
        return
    resolve_window(None, None, window, datetime(2000, 1, 1))


@dataclass(frozen=True)
class DriftResult:
    """A computed drift table with the window it covers, the data's end and the cost."""

    request: DriftRequest
    start: datetime
    end: datetime
    last_logged: datetime | None
    table: DriftTable
    elapsed_s: float
    command: str

    @property
    def reference_label(self) -> str:
        """`training reference` or `previous window 11-18 00:00 → 11-19 00:00`."""
        earlier = self.request.reference_window(self.start, self.end)
        if earlier is None:
            return "training reference"
        return f"previous window {earlier[0]:%m-%d %H:%M} → {earlier[1]:%m-%d %H:%M}"


@dataclass(frozen=True)
class SegmentResult:
    """Segment × feature pairs ranked by PSI, with the window they cover."""

    request: DriftRequest
    start: datetime
    end: datetime
    table: SegmentDriftTable
    elapsed_s: float
    command: str


@dataclass(frozen=True)
class Distribution:
    """One feature's shares per bin on each side, with the PSI term of each bin."""

    feature: str
    labels: tuple[str, ...]
    reference: tuple[float, ...]
    current: tuple[float, ...]
    terms: tuple[float, ...] = field(default_factory=tuple)


def analysis_context(source: object) -> AnalysisContext:
    """The console's backend source as the analysis sees it (a context has every role)."""
    return cast(AnalysisContext, source)


def _model(context: AnalysisContext, name: str) -> Model:
    """The registry's model (a NotFoundError names the known ones)."""
    return context.registry.get_model(name)


def compute_drift(context: AnalysisContext, request: DriftRequest) -> DriftResult:
    """The drift table `vigil drift` prints for the same request."""
    started = perf_counter()
    model = _model(context, request.model)
    last = last_logged(context, model.name)
    start, end = request.bounds(last)
    earlier = request.reference_window(start, end)
    if request.mode == BUCKETS:
        if request.predicates:
            raise InputError("drift from histogram buckets has no slices: clear the slice")
        table = bucket_drift(
            context, model, start, end, profile=request.profile, reference_window=earlier
        )
    elif counts_pushdown(
        context.inference_log,
        mode=request.mode,
        reference_window=earlier,
        slice=request.predicates,
        kinds=feature_kinds(model),
    ):
        table = counted_drift(
            context, model, start, end, profile=request.profile, slice=request.predicates
        )
    else:
        table = model_drift(
            context,
            model,
            start,
            end,
            mode=request.mode,
            profile=request.profile,
            reference_window=earlier,
            slice=request.predicates or None,
        )
    elapsed = perf_counter() - started
    return DriftResult(request, start, end, last, table, elapsed, request.cli(start, end))


def compute_segments(context: AnalysisContext, request: DriftRequest) -> SegmentResult:
    """The segment × feature ranking `vigil drift --by-segment` prints for the same window."""
    started = perf_counter()
    model = _model(context, request.model)
    start, end = request.bounds(last_logged(context, model.name))
    table = segment_drift(context, model, start, end, profile=request.profile, top=SEGMENT_TOP)
    command = (
        f"{replace(request, reference='training', predicates=()).cli(start, end)} --by-segment"
    )
    return SegmentResult(request, start, end, table, perf_counter() - started, command)


def psi_history(
    context: AnalysisContext,
    request: DriftRequest,
    end: datetime,
    features: Sequence[str],
    *,
    days: int = HISTORY_DAYS,
    cancelled: Callable[[], bool] = lambda: False,
) -> dict[str, list[float | None]]:
    """Each feature's PSI per day over the `days` before `end`, against the training reference."""
    model = _model(context, request.model)
    if request.mode == BUCKETS:
        return {}  # the sparklines read the log; buckets are read per window only
    predicates = as_predicates(request.predicates)
    fits = _training_fits(context, model, features, predicates)
    start = end - timedelta(days=days)
    log = context.inference_log
    kinds = feature_kinds(model)
    equal = pushed_slice(predicates, kinds)
    pushed = counts_pushdown(log, slice=predicates, kinds=kinds)
    if pushed and equal is not None and isinstance(log, SupportsWindowCounts):
        return _counted_history(log, model.name, fits, start, days, equal, cancelled)
    wanted = list(dict.fromkeys([*features, *(p.column for p in predicates)]))
    if cancelled():
        return {}
    frame = context.inference_log.window(model.name, start, end, columns=[*wanted, "ts"])
    if predicates and len(frame):
        frame = frame.loc[slice_mask(frame, predicates, f"the inference log of {model.name}")]
    history: dict[str, list[float | None]] = {}
    for feature in features:
        if cancelled():
            break
        series = psi_series(fits[feature], frame, start, 86400.0) if feature in fits else None
        values = [] if series is None else [float(v) for v in np.asarray(series.values)]
        history[feature] = [None if np.isnan(v) else v for v in values]
    return history


def _counted_history(
    log: SupportsWindowCounts,
    model: str,
    fits: dict[str, FeatureFit],
    start: datetime,
    days: int,
    where: dict[str, str],
    cancelled: Callable[[], bool],
) -> dict[str, list[float | None]]:
    """PSI per day from the log's counts (inside the slice): one statement per day, no rows."""
    edges = {name: edges_of(fit) for name, fit in fits.items()}
    history: dict[str, list[float | None]] = {name: [] for name in fits}
    for day in range(days):
        if cancelled():
            return {}
        low = start + timedelta(days=day)
        counted = log.window_bin_counts(model, edges, low, low + timedelta(days=1), where=where)
        for name, (counts, _) in counted.items():
            enough = counts.sum() >= HISTORY_MIN_ROWS
            value = psi_from_counts(fits[name].counts, counts) if enough else None
            history[name].append(value)
    return history


def _training_fits(
    context: AnalysisContext,
    model: Model,
    features: Sequence[str],
    predicates: Sequence[object],
) -> dict[str, FeatureFit]:
    """The cached training-reference fit of each feature (inside the slice)."""
    chosen = as_predicates(predicates)  # type: ignore[arg-type]
    return dict(training_fit(context, model, features, predicates=chosen).fits)


def feature_distribution(
    context: AnalysisContext, result: DriftResult, feature: str
) -> Distribution:
    """Reference and current shares per bin of one feature, in the bins the table used."""
    request = result.request
    model = _model(context, request.model)
    row = next((r for r in result.table.features if r.feature == feature), None)
    terms = row.terms if row is not None and request.mode != "evidently" else ()
    earlier = request.reference_window(result.start, result.end)
    if request.mode == BUCKETS:
        return _bucket_distribution(context, model, result, feature, terms)
    log = context.inference_log
    kinds = feature_kinds(model)
    equal = pushed_slice(request.predicates, kinds)
    pushed = counts_pushdown(
        log, mode=request.mode, reference_window=earlier, slice=request.predicates, kinds=kinds
    )
    if pushed and equal is not None and isinstance(log, SupportsWindowCounts):
        chosen = as_predicates(request.predicates)
        fit = _training_fits(context, model, [feature], chosen)[feature]
        counted, _ = log.window_bin_counts(
            model.name, {feature: edges_of(fit)}, result.start, result.end, where=equal
        )[feature]
        return _shares(feature, fit.labels, fit.counts, counted, terms)
    predicates = as_predicates(request.predicates)
    wanted = list(dict.fromkeys([feature, *(p.column for p in predicates)]))
    where = f"the inference log of {model.name}"
    current = context.inference_log.window(model.name, result.start, result.end, columns=wanted)
    if predicates:
        current = current.loc[slice_mask(current, predicates, where)]
    earlier = request.reference_window(result.start, result.end)
    if earlier is None:
        fit = _training_fits(context, model, [feature], predicates)[feature]
    else:
        reference = context.inference_log.window(model.name, *earlier, columns=wanted)
        if predicates:
            reference = reference.loc[slice_mask(reference, predicates, where)]
        kinds = feature_kinds(model)
        fit = fit_reference(reference, [feature], kinds=kinds, keep_sample=False)[feature]
    if feature not in current:
        raise InputError(f"{feature} is not logged for {model.name}")
    return _shares(feature, fit.labels, fit.counts, bin_window(fit, current[feature]).counts, terms)


def _shares(
    feature: str,
    labels: tuple[str, ...],
    reference: np.ndarray,
    current: np.ndarray,
    terms: tuple[float, ...],
) -> Distribution:
    """Counts on each side as shares per bin."""
    ref, cur = np.asarray(reference, dtype=np.float64), np.asarray(current, dtype=np.float64)
    return Distribution(
        feature,
        labels,
        tuple(float(v) for v in ref / max(ref.sum(), 1.0)),
        tuple(float(v) for v in cur / max(cur.sum(), 1.0)),
        terms,
    )


def _bucket_distribution(
    context: AnalysisContext,
    model: Model,
    result: DriftResult,
    feature: str,
    terms: tuple[float, ...],
) -> Distribution:
    """One feature's (or the score's) shares per histogram bucket on each side."""
    earlier = result.request.reference_window(result.start, result.end)
    pairs = bucket_pairs(
        context, model, [feature], result.start, result.end, reference_window=earlier
    )
    _, reference, current = next(iter(pairs))
    counts = np.asarray(reference.counts if isinstance(reference, BucketCounts) else reference[1])
    if current.insufficient or counts.size != len(current.counts):
        raise InputError(f"{feature}: {current.insufficient or 'no reference buckets'}")
    return _shares(feature, bucket_labels(current.edges), counts, np.asarray(current.counts), terms)
