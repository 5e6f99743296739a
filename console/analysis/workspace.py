"""Analysis inputs gathered through a context's backends, and the analyses run on them.

Typed on the contracts of `backends/contracts.py` through `Sources` and `AnalysisContext`
(registry, features, inference_log, metrics, incidents): nothing here imports
a backend, so the CLI and the TUI share it and tests can pass any object with
those methods. Backend errors propagate to the caller, which decides how to
show them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from backends.contracts import AuditRecord, Model, Series
from console.analysis.context import AnalysisContext, Sources
from console.analysis.correlation import LagCorrelation, lagged_correlation
from console.analysis.coverage import coverage
from console.analysis.drift import DriftTable, drift_against, drift_table, reference_fit
from console.analysis.drift.psi import DEFAULT_EPSILON
from console.analysis.drift.reference import DEFAULT_BINS, FeatureFit, ReferenceProfile, bin_codes
from console.analysis.drift.segments import (
    SegmentDriftTable,
    SliceSpec,
    as_predicates,
    segment_drift_table,
    slice_mask,
    slice_names,
)
from console.analysis.inputs import InputError
from console.analysis.latency import LatencyBudget, budget_from_percentiles, latency_budget
from console.analysis.samples import DEFAULT_MIN_SAMPLES, shortfall
from console.analysis.slices.metrics import Predicate, agreement
from console.analysis.timeline import (
    Event,
    Timeline,
    anomalies,
    build_timeline,
    from_audit,
    from_incident_store,
    from_incidents,
    from_registry,
    row_changes,
    threshold_breaches,
)

STAGE_SUFFIX = "_ms"
MAX_POINTS = 400


def pick_model(context: Sources, name: str | None) -> Model:
    """The model asked for, the context's default, or the only model; else an InputError."""
    chosen = name or getattr(context, "default_model", None)
    if chosen:
        return context.registry.get_model(chosen)
    models = context.registry.list_models()
    if len(models) == 1:
        return models[0]
    names = ", ".join(m.name for m in models) or "none"
    raise InputError(f"several models, pass --model (known: {names})")


def serving_version(model: Model) -> str | None:
    """The champion's version, or the newest version when no alias says."""
    champion = model.alias("champion")
    if champion is not None:
        return str(champion.version)
    if not model.versions:
        return None
    return str(max(model.versions, key=lambda v: v.created_at).version)


def last_logged(context: Sources, model: str) -> datetime | None:
    """The last timestamp in the inference log for `model`."""
    span = context.inference_log.time_range(model)
    return span[1] if span else None


def feature_kinds(model: Model) -> dict[str, str]:
    """Feature name → numeric / categorical, from the registry's feature specs."""
    return {spec.name: spec.kind for spec in model.features}


def training_fit(
    context: AnalysisContext,
    model: Model,
    names: Sequence[str],
    *,
    bins: int = DEFAULT_BINS,
    predicates: Sequence[Predicate] = (),
    keep_sample: bool = False,
) -> ReferenceProfile:
    """The cached fit of the serving version's training reference (inside the slice when given)."""
    version = serving_version(model)
    return reference_fit(
        context.features,
        model.name,
        version,
        list(names),
        lambda: context.features.reference(model.name, version),
        bins=bins,
        kinds=feature_kinds(model),
        predicates=predicates,
        keep_sample=keep_sample,
    )


def _feature_names(model: Model, columns: Sequence[str] | None) -> list[str]:
    """The features asked for (default: all the model declares); unknown names are an error."""
    kinds = feature_kinds(model)
    names = list(columns or kinds)
    if not names:
        raise InputError(f"model {model.name} declares no features; pass --columns")
    unknown = [c for c in names if kinds and c not in kinds]
    if unknown:
        raise InputError(f"unknown feature(s) {', '.join(unknown)} (known: {', '.join(kinds)})")
    return names


def _inside(frame: pd.DataFrame, predicates: Sequence[Predicate], where: str) -> pd.DataFrame:
    """The rows of `frame` inside the slice (all of them without predicates)."""
    if not predicates:
        return frame
    return frame.loc[slice_mask(frame, predicates, where)]


def model_drift(
    context: AnalysisContext,
    model: Model,
    start: datetime,
    end: datetime,
    *,
    columns: Sequence[str] | None = None,
    mode: str = "quantile",
    bins: int = DEFAULT_BINS,
    profile: str = "strict",
    version: str | None = None,
    reference_window: tuple[datetime, datetime] | None = None,
    exact: bool = False,
    slice: SliceSpec | None = None,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> DriftTable:
    """Drift of a model's features in [start, end) against the champion's training reference.

    With `slice` (COL=VALUE predicates) both sides keep only the rows inside
    the slice. In quantile mode the reference fit is cached per (model,
    version, bins, columns, slice), so a second call only bins the window.
    Features with fewer than `min_samples` rows on a side are `insufficient`.
    KS and Wasserstein come from the reference's quantile sketch with their
    error bounds, or exactly with `exact` (the sorted reference then cached).
    """
    kinds = feature_kinds(model)
    predicates = as_predicates(slice)
    names = _feature_names(model, columns)
    if columns is None:
        # a feature the slice fixes is constant inside it: nothing to compare
        names = [n for n in names if n not in {p.column for p in predicates}] or names
    wanted = list(dict.fromkeys(["ts", *names, *(p.column for p in predicates)]))
    log = context.inference_log
    window = log.window(model.name, start, end, columns=wanted, version=version)
    current = _inside(window, predicates, f"the inference log of {model.name}")
    covered = coverage(
        current["ts"] if "ts" in current else pd.Series([], dtype=object), start, end
    )
    options: dict[str, Any] = {"profile": profile, "min_samples": min_samples}
    if reference_window is not None:
        logged = log.window(model.name, *reference_window, columns=wanted)
        reference = _inside(logged, predicates, f"the inference log of {model.name}")
        table = drift_table(
            reference, current, names, mode=mode, bins=bins, kinds=kinds, exact=exact, **options
        )
    elif mode != "quantile":
        ref_version = serving_version(model)
        frame = context.features.reference(model.name, ref_version)
        reference = _inside(frame, predicates, f"the reference of {model.name} v{ref_version}")
        table = drift_table(reference, current, names, mode=mode, kinds=kinds, **options)
    else:
        fitted = training_fit(
            context, model, names, bins=bins, predicates=predicates, keep_sample=exact
        )
        table = drift_against(fitted, current, names, exact=exact, **options)
    return replace(table, slice=slice_names(predicates), coverage=covered)


def segment_drift(
    context: AnalysisContext,
    model: Model,
    start: datetime,
    end: datetime,
    *,
    columns: Sequence[str] | None = None,
    segments: Sequence[str] | None = None,
    bins: int = DEFAULT_BINS,
    profile: str = "strict",
    version: str | None = None,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    top: int | None = None,
) -> SegmentDriftTable:
    """Segment × feature pairs of a model's window ranked by PSI, each with its support.

    Segments are the values of every categorical feature and the reference
    quartiles of every numeric one (or of the `segments` columns given); each
    pair compares the segment in the window with the same segment of the
    champion's training reference.
    """
    kinds = feature_kinds(model)
    names = _feature_names(model, columns)
    by = list(segments) if segments is not None else list(kinds)
    unknown = [c for c in by if c not in kinds]
    if unknown:
        raise InputError(
            f"unknown segment column(s) {', '.join(unknown)} (known: {', '.join(kinds)})"
        )
    wanted = list(dict.fromkeys([*names, *by]))
    current = context.inference_log.window(model.name, start, end, columns=wanted, version=version)
    ref_version = serving_version(model)
    reference = context.features.reference(model.name, ref_version)
    lacking = [c for c in wanted if c not in reference]
    if lacking:
        raise InputError(f"the reference of {model.name} v{ref_version} lacks {', '.join(lacking)}")
    return segment_drift_table(
        reference,
        current,
        names,
        segment_columns=by,
        kinds=kinds,
        bins=bins,
        profile=profile,
        min_samples=min_samples,
        top=top,
    )


def stage_columns(frame: pd.DataFrame, stages: Sequence[str]) -> dict[str, str]:
    """Stage name → column for each `<stage>_ms` column holding a timing (not all missing)."""
    columns = {s: f"{s}{STAGE_SUFFIX}" for s in stages}
    return {s: c for s, c in columns.items() if c in frame and frame[c].notna().any()}


def model_latency(
    context: Sources,
    model: Model,
    start: datetime,
    end: datetime,
    stages: Sequence[str],
    *,
    version: str | None = None,
    speedup: float = 2.0,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> LatencyBudget:
    """Per-stage latency from the log's per-request timings, or the metric store's p99s.

    Fewer logged requests than `min_samples` give percentiles marked
    `insufficient`: shown, but no stage is named over budget on them.
    """
    columns = ["ts", *(f"{s}{STAGE_SUFFIX}" for s in stages)]
    frame = context.inference_log.window(model.name, start, end, columns=columns, version=version)
    present = stage_columns(frame, stages)
    budget = dict(model.latency_budget_ms)
    if present and len(frame):
        samples = {
            s: frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for s, c in present.items()
        }
        found = latency_budget(samples, budget, slo_p99_ms=model.slo_p99_ms, speedup=speedup)
        if "ts" in frame:
            found = replace(found, coverage=coverage(frame["ts"], start, end))
        short = shortfall(None, len(frame), min_samples)
        if short:
            note = f"{found.note}; {short} requests: no stage is judged over budget"
            return replace(found, insufficient=short, note=note)
        return found
    p99s: dict[str, float] = {}
    for stage in stages:
        labels = {"model": model.name, "stage": stage} | ({"version": version} if version else {})
        series = context.metrics.quantile_range("stage_latency_ms", 0.99, labels, start, end)
        parts = [np.asarray(one.values, dtype=np.float64) for one in series]
        values = np.concatenate(parts) if parts else np.empty(0)
        if np.isfinite(values).any():
            p99s[stage] = float(np.nanmean(values))
    if not p99s:
        raise InputError(f"no stage timings for {model.name} in the window (log or metrics)")
    return budget_from_percentiles(p99s, budget, slo_p99_ms=model.slo_p99_ms, speedup=speedup)


def step_for(start: datetime, end: datetime, minimum: float = 60.0) -> float:
    """A bucket size giving at most MAX_POINTS points over the window."""
    return max(minimum, (end - start).total_seconds() / MAX_POINTS)


def _epoch(frame: pd.DataFrame) -> np.ndarray:
    """The `ts` column as epoch seconds."""
    stamps = pd.to_datetime(frame["ts"], utc=True)
    return (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(dtype=np.float64)


def psi_series(
    fit: FeatureFit, frame: pd.DataFrame, start: datetime, step_s: float, min_rows: int = 30
) -> Series | None:
    """PSI of one feature per time bucket against its reference fit, in one pass."""
    if frame.empty or fit.feature not in frame:
        return None
    ts = _epoch(frame)
    cell = np.floor((ts - start.timestamp()) / step_s).astype(np.int64)
    cells = int(cell.max()) + 1
    width = fit.counts.size
    counts = np.bincount(cell * width + bin_codes(fit, frame[fit.feature]), minlength=cells * width)
    table = counts.reshape(cells, width).astype(np.float64)
    sizes = table.sum(axis=1)
    reference = np.maximum(fit.counts / max(fit.counts.sum(), 1), DEFAULT_EPSILON)
    with np.errstate(invalid="ignore", divide="ignore"):
        current = np.maximum(table / sizes[:, None], DEFAULT_EPSILON)
        values = ((current - reference) * np.log(current / reference)).sum(axis=1)
    values = np.where(sizes >= min_rows, values, np.nan)
    stamps = start.timestamp() + step_s * np.arange(cells)
    return Series("feature_psi", {"feature": fit.feature}, stamps, values)


def model_timeline(
    context: Sources,
    model: Model,
    start: datetime,
    end: datetime,
    *,
    metrics: Sequence[str] | None = None,
    derived: bool = True,
    actions_until: datetime | None = None,
) -> Timeline:
    """Registry events, recorded events, runbook steps and anomalies for one model, in order.

    Anomalies come from the metric store (series of this model, and series
    without a model label such as host metrics) and, with `derived`, from the
    inference log: step changes in the score, the accuracy and each numeric
    feature, found per request. Actions (registry and recorded events, runbook
    steps, incidents opened and closed) are read up to `actions_until` when it
    is later than `end`, so a rollback after the last logged request is on it.
    """
    step = step_for(start, end)
    until = max(end, actions_until) if actions_until else end
    incidents = context.incidents
    events: list[list[Event]] = [
        from_registry(context.registry.registry_events(model.name, start, until)),
        from_incident_store(incidents.timeline_events(model.name, start, until)),
        from_audit(r for r in incidents.audit_log() if _audit_in(r, model.name, start, until)),
        from_incidents(incidents.incidents(model.name), start, until),
    ]
    series: list[Series] = []
    names = list(metrics) if metrics is not None else context.metrics.metric_names()
    for name in names:
        for one in context.metrics.query_range(name, {}, start, end, step_s=int(step)):
            owner = dict(one.labels).get("model")
            if owner in (None, model.name) and dict(one.labels).get("quantile", "0.99") == "0.99":
                series.append(one)
    events.append(anomalies(series))
    events.append(_budget_breaches(series, dict(model.latency_budget_ms)))
    if derived:
        events.append(_derived_changes(context, model, start, end))
    return build_timeline(*events)


def _derived_changes(context: Sources, model: Model, start: datetime, end: datetime) -> list[Event]:
    """Step changes in the log: score (model), accuracy (model), numeric features (data).

    Found per request, not per bucket, so a change in a small share of
    traffic still adds up over the window.
    """
    kinds = feature_kinds(model)
    numeric = [name for name, kind in kinds.items() if kind == "numeric"]
    frame = context.inference_log.window(
        model.name, start, end, columns=["ts", "score", "label", "prediction", *numeric]
    )
    if frame.empty or "ts" not in frame:
        return []
    stamps = _epoch(frame)
    columns = {
        c: frame[c].to_numpy(dtype=np.float64, na_value=np.nan)
        for c in ["score", *numeric]
        if c in frame
    }
    layers = {c: "data" for c in numeric} | {"score": "model", "accuracy": "model"}
    events = row_changes(stamps, columns, layers)
    if {"label", "prediction"} <= set(frame):
        labelled = frame["label"].notna().to_numpy()
        right = agreement(frame["label"], frame["prediction"])
        events += row_changes(stamps[labelled], {"accuracy": right[labelled]}, layers, ranks=False)
    return events


def _budget_breaches(series: Sequence[Series], budget: dict[str, float]) -> list[Event]:
    """The first point where each stage's p99 series goes over the stage's budget."""
    events: list[Event] = []
    for one in series:
        stage = dict(one.labels).get("stage")
        if one.name == "stage_latency_ms" and stage in budget:
            version = dict(one.labels).get("version")
            where = f" (v{version})" if version else ""
            for event in threshold_breaches([one], budget[stage]):
                value = float(event.detail["value"])
                summary = f"{stage} p99{where} {value:.2f} ms over its {budget[stage]:g} ms budget"
                events.append(replace(event, summary=summary))
    return events


def _audit_in(record: AuditRecord, model: str, start: datetime, end: datetime) -> bool:
    """Whether an audit record is in the window and about this model (or about no model)."""
    at = record.at if record.at.tzinfo else record.at.replace(tzinfo=UTC)
    about = dict(record.params).get("model")
    return start <= at < end and about in (None, model)


_SELECTOR = re.compile(r"^\s*([A-Za-z_:][\w:]*)\s*(?:\{(.*)\})?\s*$")


def parse_selector(text: str) -> tuple[str, dict[str, str]]:
    """`name{k=v,k2=v2}` (Prometheus-like, quotes optional) as a name and label matchers."""
    match = _SELECTOR.match(text)
    if not match:
        raise InputError(f"{text!r}: expected a metric selector such as name{{label=value}}")
    labels: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (match.group(2) or "").split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{text!r}: {part!r} is not label=value")
        labels[key.strip()] = value.strip().strip("\"'")
    return match.group(1), labels


def metric_points(
    context: Sources, selector: str, start: datetime, end: datetime, step_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """One metric-store series picked by a selector; several matches must be narrowed down."""
    name, labels = parse_selector(selector)
    series = context.metrics.query_range(name, labels, start, end, step_s=int(step_s))
    if not series:
        raise InputError(f"{selector}: no series in the window")
    if len(series) > 1:
        options = "; ".join(
            "{" + ",".join(f"{k}={v}" for k, v in sorted(dict(s.labels).items())) + "}"
            for s in series[:6]
        )
        raise InputError(f"{selector}: {len(series)} series match, add labels (e.g. {options})")
    return np.asarray(series[0].timestamps, dtype=np.float64), np.asarray(
        series[0].values, dtype=np.float64
    )


def score_points(
    context: Sources, model: Model, start: datetime, end: datetime, step_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """The model's mean score per bucket, from the inference log."""
    frame = context.inference_log.window(model.name, start, end, columns=["ts", "score"])
    if frame.empty or "score" not in frame:
        raise InputError(f"no scores logged for {model.name} in the window")
    stamps = _epoch(frame)
    cell = np.floor((stamps - start.timestamp()) / step_s).astype(np.int64)
    cells = int(cell.max()) + 1
    scores = frame["score"].to_numpy(dtype=np.float64, na_value=np.nan)
    keep = np.isfinite(scores)
    total = np.bincount(cell[keep], weights=scores[keep], minlength=cells)
    count = np.bincount(cell[keep], minlength=cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return start.timestamp() + step_s * np.arange(cells), values


def correlate(
    context: Sources,
    model: Model,
    selector: str,
    against: str | None,
    start: datetime,
    end: datetime,
    *,
    max_lag: int = 60,
) -> LagCorrelation:
    """Lagged correlation of a metric (infrastructure, say) with a model metric.

    `against` is another selector, or None for the model's mean score per
    bucket from the inference log. A positive lag means `selector` moves first.
    """
    step = step_for(start, end)
    x_ts, x_values = metric_points(context, selector, start, end, step)
    if against:
        y_ts, y_values = metric_points(context, against, start, end, step)
    else:
        y_ts, y_values = score_points(context, model, start, end, step)
    y_name = against or f"mean score of {model.name}"
    return lagged_correlation(
        x_ts, x_values, y_ts, y_values, step_s=step, max_lag=max_lag, x_name=selector, y_name=y_name
    )
