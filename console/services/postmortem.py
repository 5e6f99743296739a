"""The postmortem of a model's incident, generated once for `vigil postmortem` and the console.

`generate_postmortem` resolves the model and the window (72 h ending at the
last logged request, as `vigil timeline` does), builds the incident timeline
and the analyses of the impact window (drift, drift within a segment, the
slices whose mean score moved, accuracy before and during), and returns the
`Postmortem` whose Markdown both print. Errors are the analysis core's
(`InputError`, `BackendError`, `ValueError`); the caller says them its way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from console.services.clock import Clock, just_after, utc_now

if TYPE_CHECKING:
    import pandas as pd

    from backends.contracts import Model
    from console.analysis.context import AnalysisContext
    from console.analysis.drift.segments import SegmentDrift
    from console.analysis.drift.table import FeatureDrift
    from console.analysis.postmortem import Postmortem, RecommendedCheck
    from console.analysis.slices.metrics import SliceMetric
    from console.analysis.timeline import Timeline

POSTMORTEM_WINDOW = "72h"


def generate_postmortem(
    source: AnalysisContext,
    model_name: str | None,
    *,
    start: str | None = None,
    end: str | None = None,
    window: str | None = None,
    metrics: Sequence[str] | None = None,
    derived: bool = True,
    title: str | None = None,
    clock: Clock = utc_now,
) -> Postmortem:
    """The postmortem of `model_name` (or the context's model) over the window asked for.

    Without `end`, the window ends at the last logged request and the actions
    taken since then, up to and including `clock()` (a rollback after the logs
    stopped), belong on it too.
    """
    from console.analysis.inputs import resolve_window
    from console.analysis.workspace import last_logged, model_timeline, pick_model

    model = pick_model(source, model_name)
    last = last_logged(source, model.name)
    first, until = resolve_window(start, end, window, last, POSTMORTEM_WINDOW)
    timeline = model_timeline(
        source,
        model,
        first,
        until,
        metrics=metrics,
        derived=derived,
        actions_until=None if end else just_after(clock()),
    )
    return build_report(source, model, timeline, first, until, title)


def build_report(
    source: AnalysisContext,
    model: Model,
    timeline: Timeline,
    start: datetime,
    end: datetime,
    title: str | None,
) -> Postmortem:
    """Impact from the first model- or data-layer signal; then drift, slices and severity.

    The slices are those whose mean score moved most against the same slice
    before the onset; the root-cause layer follows the triage order (data
    first) when the data layer moved in the impact window.
    """
    from dataclasses import replace

    from console.analysis.incidents import relative_drop, suggest_severity
    from console.analysis.postmortem import Impact, build_postmortem
    from console.analysis.slices import worst_slices
    from console.analysis.workspace import model_drift, segment_drift

    impacts = [e for e in timeline.events if e.signal and e.layer in ("model", "data")]
    onset = impacts[0] if impacts else timeline.first_signal
    impact_start = onset.at if onset else start
    drift = model_drift(source, model, impact_start, end, exact=False)
    segments = segment_drift(source, model, impact_start, end, top=1)
    in_segment = segments.rows[0] if segments.rows and segments.over("act") else None
    frame = source.inference_log.window(model.name, start, end)
    during = frame[frame["ts"] >= impact_start] if "ts" in frame else frame
    before = frame[frame["ts"] < impact_start] if "ts" in frame else frame.iloc[:0]
    features = [spec.name for spec in model.features]
    moved = None
    if len(during) and len(before) and "score" in frame:
        options: dict[str, Any] = {"columns": features, "metric": "mean_score", "baseline": before}
        moved = worst_slices(during, min_support=30, **options)
    accuracy_before, accuracy_during = _accuracy(before), _accuracy(during)
    drop = None
    if accuracy_before and accuracy_during is not None:
        drop = relative_drop(accuracy_before, accuracy_during)
    worst = drift.worst
    top = moved.slices[0] if moved and moved.slices else None
    slice_drop = _slice_drop(top, before, during)
    worst_drop = max((d for d in (drop, slice_drop) if d is not None), default=None)
    severity = suggest_severity(accuracy_drop=worst_drop, max_psi=worst.psi if worst else None)
    if (
        top is not None
        and slice_drop is not None
        and worst_drop == slice_drop
        and drop != slice_drop
    ):
        reason = f"accuracy on {top.name} down {slice_drop:.1%}"
        severity = replace(severity, reason=reason)
    findings = []
    if worst is not None:
        findings.append(f"drift: {worst.feature} PSI {worst.psi:.3f} ({worst.status}) since onset")
    if in_segment is not None:
        findings.append(
            f"drift within {in_segment.segment}: {in_segment.drift.feature} PSI "
            f"{in_segment.drift.psi:.2f} ({in_segment.drift.status}) on "
            f"{in_segment.share_current:.1%} of traffic"
        )
    if top is not None and top.baseline_metric is not None:
        findings.append(
            f"slice: {top.name} mean score {top.baseline_metric:.3f} → {top.metric:.3f} "
            f"(z={top.score:.1f}) on {top.share:.1%} of traffic"
        )
    if accuracy_before is not None and accuracy_during is not None:
        findings.append(f"accuracy {accuracy_before:.3f} before → {accuracy_during:.3f} during")
    if top is not None and slice_drop is not None:
        findings.append(f"accuracy on {top.name} down {slice_drop:.1%} (relative)")
    recorded = [i for i in source.incidents.incidents(model.name) if i.opened_at < end]
    if recorded:
        findings.append(f"recorded incident {recorded[0].incident_id} ({recorded[0].severity})")
    data_signals = [e for e in impacts if e.layer == "data"]
    data_moved = bool(data_signals) or bool(drift.over("investigate")) or in_segment is not None
    impact = Impact(
        share_of_traffic=top.share if top else 1.0,
        start=impact_start,
        end=end,
        requests=len(during),
        detail=f"mostly the slice {top.name}" if top else "",
    )
    heading = title or (recorded[0].title if recorded else None)
    extra: dict[str, Any] = {"title": heading, "findings": findings}
    if data_moved:
        evidence = data_signals[0].summary if data_signals else findings[0]
        extra["root_cause_layer"] = "data"
        extra["root_cause_reason"] = (
            f"the data layer moved in the impact window ({evidence}), and triage looks at "
            "the data first (60-80 % of incidents)"
        )
    extra["checks"] = _drift_checks(model.name, worst, in_segment)
    return build_postmortem(model.name, timeline, severity, impact, **extra)


def _drift_checks(
    model: str, worst: FeatureDrift | None, in_segment: SegmentDrift | None
) -> list[RecommendedCheck]:
    """The drift checks that fire on the impact window: the table itself, else inside a segment."""
    from console.analysis.postmortem import RecommendedCheck

    if worst is not None and worst.status == "act":
        argv: tuple[str, ...] = ("drift", "--model", model, "--fail-on", "act")
        summary = f"alert on PSI of {worst.feature} (act band)"
        return [RecommendedCheck(argv, summary, f"PSI {worst.psi:.2f}")]
    if in_segment is None:
        return []
    segment = in_segment.segment
    where = f"{segment.column}={segment.value}"
    argv = ("drift", "--model", model, "--slice", where, "--fail-on", "act")
    summary = f"alert on PSI of {in_segment.drift.feature} within {segment} (act band)"
    return [RecommendedCheck(argv, summary, f"PSI {in_segment.drift.psi:.2f}")]


def _slice_drop(
    top: SliceMetric | None, before: pd.DataFrame, during: pd.DataFrame
) -> float | None:
    """Relative accuracy drop inside the slice, before → during (None when unlabelled)."""
    from console.analysis.incidents import relative_drop

    if top is None:
        return None
    inside = [frame[_mask(top, frame)] for frame in (before, during)]
    then, now = _accuracy(inside[0]), _accuracy(inside[1])
    return relative_drop(then, now) if then and now is not None else None


def _mask(top: SliceMetric, frame: pd.DataFrame) -> Any:
    """Rows of `frame` in the slice (a boolean array)."""
    import numpy as np

    mask = np.ones(len(frame), dtype=bool)
    for predicate in top.predicates:
        mask &= predicate.mask(frame)
    return mask


def _accuracy(frame: pd.DataFrame | None) -> float | None:
    """Accuracy of the labelled rows, or None when none is labelled."""
    from console.analysis.slices.metrics import agreement

    if frame is None or "label" not in frame or "prediction" not in frame:
        return None
    labelled = frame[frame["label"].notna()]
    if labelled.empty:
        return None
    return float(agreement(labelled["label"], labelled["prediction"]).mean())
