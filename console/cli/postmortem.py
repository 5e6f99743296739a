"""`vigil postmortem`: a Markdown postmortem generated from the timeline and the analyses."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from console.cli.common import UsageError, emit_json
from console.cli.drift import add_window_options, translated_errors
from console.cli.timeline import DEFAULT_WINDOW
from console.cli.timeline import build as build_timeline


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `vigil postmortem`."""
    parser.add_argument("--title", help="the postmortem's title")
    parser.add_argument("--output", metavar="FILE", help="write the Markdown here")
    parser.add_argument("--metrics", metavar="A,B", help="metric names to scan (default: all)")
    parser.add_argument("--no-derived", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    add_window_options(parser, default_window=DEFAULT_WINDOW)


def run(args: argparse.Namespace) -> int:
    """Build the timeline, find the impact window and its drift and slices, write Markdown."""
    context, model, timeline, (start, end) = build_timeline(args)
    with translated_errors(f"cannot analyse {model.name}"):
        report = _postmortem(context, model, timeline, start, end, args.title)
    markdown = report.to_markdown()
    if args.output:
        try:
            Path(args.output).write_text(markdown, encoding="utf-8")
        except OSError as error:
            raise UsageError(f"{args.output}: cannot write: {error.strerror}") from error
    if args.json:
        emit_json(report.to_dict())
    elif not args.output:
        print(markdown, end="")
    return 0


def _postmortem(
    context: Any, model: Any, timeline: Any, start: Any, end: Any, title: str | None
) -> Any:
    """Impact window from the first drop (or signal), then drift, slices, latency, severity."""
    from console.analysis.incidents import relative_drop, suggest_severity
    from console.analysis.postmortem import Impact, build_postmortem
    from console.analysis.slices import worst_slices
    from console.analysis.workspace import model_drift

    drops = [e for e in timeline.events if e.kind == "drop" and e.layer == "model"]
    onset = drops[0] if drops else timeline.first_signal
    impact_start = onset.at if onset else start
    drift = model_drift(context, model, impact_start, end, exact=False)
    frame = context.inference_log.window(model.name, start, end)
    during = frame[frame["ts"] >= impact_start] if "ts" in frame else frame
    before = frame[frame["ts"] < impact_start] if "ts" in frame else frame.iloc[:0]
    features = [spec.name for spec in model.features]
    slices = worst_slices(during, columns=features, min_support=30) if len(during) else None
    accuracy_before = _accuracy(before)
    accuracy_during = _accuracy(during)
    drop = (
        relative_drop(accuracy_before, accuracy_during)
        if accuracy_before and accuracy_during is not None
        else None
    )
    worst = drift.worst
    severity = suggest_severity(accuracy_drop=drop, max_psi=worst.psi if worst else None)
    top_slice = slices.slices[0] if slices and slices.slices else None
    findings = []
    if worst is not None and worst.status != "stable":
        findings.append(f"drift: {worst.feature} PSI {worst.psi:.3f} ({worst.status})")
    if top_slice is not None:
        findings.append(
            f"slice: {top_slice.name} accuracy {top_slice.metric:.3f} "
            f"({top_slice.delta:+.3f} vs overall) on {top_slice.share:.1%} of traffic"
        )
    if accuracy_before is not None and accuracy_during is not None:
        findings.append(f"accuracy {accuracy_before:.3f} before → {accuracy_during:.3f} during")
    layer = "data" if drift.over("act") else None
    impact = Impact(
        share_of_traffic=top_slice.share if top_slice else 1.0,
        start=impact_start,
        end=end,
        requests=len(during),
        detail=f"the slice {top_slice.name}" if top_slice else "",
    )
    options: dict[str, Any] = {"title": title, "findings": findings, "root_cause_layer": layer}
    return build_postmortem(model.name, timeline, severity, impact, **options)


def _accuracy(frame: Any) -> float | None:
    """Accuracy of the labelled rows, or None when none is labelled."""
    if frame is None or "label" not in frame or "prediction" not in frame:
        return None
    labelled = frame[frame["label"].notna()]
    if labelled.empty:
        return None
    return float((labelled["label"] == labelled["prediction"]).mean())
