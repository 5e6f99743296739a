"""A postmortem in Markdown generated from the timeline: impact, root-cause layer, the gap."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from console.analysis.incidents import Severity
from console.analysis.timeline import Event, Timeline

DETECTION_KINDS = ("alert",)


@dataclass(frozen=True)
class Impact:
    """Who was affected and for how long: share of traffic and the incident window."""

    share_of_traffic: float | None
    start: datetime | None
    end: datetime | None
    requests: int | None = None
    detail: str = ""

    @property
    def duration(self) -> timedelta | None:
        """How long the incident lasted."""
        return self.end - self.start if self.start and self.end else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values, duration in seconds."""
        duration = self.duration
        return asdict(self) | {"duration_s": duration.total_seconds() if duration else None}


@dataclass(frozen=True)
class MonitoringGap:
    """How long between the first movement and the first detection, and what that says."""

    first_signal: Event | None
    first_detection: Event | None
    delay: timedelta | None
    summary: str


def monitoring_gap(timeline: Timeline) -> MonitoringGap:
    """Time from the first signal to the first alert or runbook step: the detection gap."""
    first = timeline.first_signal
    detections = [
        e for e in timeline.events if e.kind in DETECTION_KINDS or e.kind == "runbook_step"
    ]
    if first is None:
        return MonitoringGap(None, detections[0] if detections else None, None, "no signal found")
    after = [e for e in detections if e.at >= first.at]
    if not after:
        summary = (
            f"the {first.layer} layer moved at {first.at:%Y-%m-%d %H:%M} UTC ({first.summary}) "
            "and nothing alerted: no monitor covers it"
        )
        return MonitoringGap(first, None, None, summary)
    detected = after[0]
    delay = detected.at - first.at
    summary = (
        f"the {first.layer} layer moved at {first.at:%H:%M} UTC; the first detection "
        f"({detected.summary}) came {_human(delay)} later"
    )
    return MonitoringGap(first, detected, delay, summary)


@dataclass(frozen=True)
class LayerGap:
    """A layer (or the accuracy) that moved: its first signal, the first alert on it, the delay."""

    layer: str
    first_signal: Event
    first_detection: Event | None
    delay: timedelta | None

    @property
    def summary(self) -> str:
        """`model: moved at 11-18 23:49 (score changed …); first alert (…) 5 h 10 min later`."""
        first = self.first_signal
        moved = f"{self.layer}: moved at {first.at:%m-%d %H:%M} ({first.summary})"
        if self.first_detection is None or self.delay is None:
            return f"{moved}; nothing alerted on it"
        return f"{moved}; first alert ({self.first_detection.summary}) {_human(self.delay)} later"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values, the delay in seconds."""
        return {
            "layer": self.layer,
            "first_signal": self.first_signal.to_dict(),
            "first_detection": self.first_detection.to_dict() if self.first_detection else None,
            "delay_s": self.delay.total_seconds() if self.delay is not None else None,
            "summary": self.summary,
        }


def _is_accuracy(event: Event) -> bool:
    """Whether a signal is about the model's accuracy."""
    return event.detail.get("column") == "accuracy" or event.summary.startswith("accuracy")


def layer_gaps(timeline: Timeline) -> tuple[LayerGap, ...]:
    """For every layer that moved, and for accuracy, the delay until an alert on that layer."""
    signals = [e for e in timeline.events if e.signal and e.kind not in DETECTION_KINDS]
    alerts = [e for e in timeline.events if e.kind in DETECTION_KINDS]
    firsts: dict[str, Event] = {}
    for event in signals:
        firsts.setdefault(event.layer, event)
        if _is_accuracy(event):
            firsts.setdefault("accuracy", event)
    gaps = []
    for name, first in sorted(firsts.items(), key=lambda item: item[1].at):
        layer = "model" if name == "accuracy" else name
        detected = next((a for a in alerts if a.layer == layer and a.at >= first.at), None)
        delay = detected.at - first.at if detected else None
        gaps.append(LayerGap(name, first, detected, delay))
    return tuple(gaps)


@dataclass(frozen=True)
class RecommendedCheck:
    """A check that would have fired on the incident: the `vigil` arguments and what it read."""

    argv: tuple[str, ...]
    summary: str
    reading: str

    @property
    def command(self) -> str:
        """The check as a shell command (the window options go after it)."""
        return shlex.join(["vigil", *self.argv])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "argv": list(self.argv),
            "command": self.command,
            "summary": self.summary,
            "reading": self.reading,
        }


def _human(delta: timedelta) -> str:
    """`3 h 05 min`, `12 min`, `40 s`."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


@dataclass(frozen=True)
class Postmortem:
    """The pieces of a postmortem and its Markdown."""

    model: str
    title: str
    severity: Severity
    impact: Impact
    root_cause_layer: str | None
    gap: MonitoringGap
    timeline: Timeline
    preventive: tuple[str, ...] = field(default_factory=tuple)
    findings: tuple[str, ...] = field(default_factory=tuple)
    root_cause_reason: str = ""
    gaps: tuple[LayerGap, ...] = field(default_factory=tuple)
    checks: tuple[RecommendedCheck, ...] = field(default_factory=tuple)

    def to_markdown(self) -> str:
        """The postmortem as Markdown: summary, impact, timeline, root cause, gap, prevention."""
        impact = self.impact
        share = (
            f"{impact.share_of_traffic:.1%}" if impact.share_of_traffic is not None else "unknown"
        )
        lines = [
            f"# Postmortem: {self.title}",
            "",
            f"- **Model:** {self.model}",
            f"- **Severity:** {self.severity.level} — {self.severity.meaning}"
            f" (respond within {self.severity.respond_within_min} min)"
            + (f"; {self.severity.reason}" if self.severity.reason else ""),
            f"- **Root-cause layer:** {self.root_cause_layer or 'undetermined'}",
            "",
            "## Impact",
            "",
            f"- Share of traffic affected: {share}",
            f"- Window: {_when(impact.start)} → {_when(impact.end)}"
            + (f" ({_human(impact.duration)})" if impact.duration else ""),
        ]
        if impact.requests is not None:
            lines.append(f"- Requests in the window: {impact.requests:,}")
        if impact.detail:
            lines.append(f"- {impact.detail}")
        lines += ["", "## Timeline (UTC)", ""]
        lines += ["| time | layer | kind | what |", "|---|---|---|---|"]
        for event in self.timeline.events:
            mark = " **(first signal)**" if event is self.timeline.first_signal else ""
            text = event.summary.replace("|", "\\|")
            lines.append(
                f"| {event.at:%Y-%m-%d %H:%M:%S} | {event.layer} | {event.kind} | {text}{mark} |"
            )
        lines += ["", "## Root cause", ""]
        layer = self.root_cause_layer or "undetermined"
        reason = f": {self.root_cause_reason}" if self.root_cause_reason else ""
        lines.append(f"Root-cause layer: **{layer}**{reason}.")
        move = self.timeline.first_move
        if move and move.layer != self.root_cause_layer:
            lines.append(f"What changed first was on the {move.layer} layer: {move.summary}.")
        lines.append("")
        lines += [f"- {finding}" for finding in self.findings]
        lines += ["", "## The monitoring gap", "", self.gap.summary + ".", ""]
        lines += [f"- {gap.summary}" for gap in self.gaps]
        lines += ["", "## Preventive measures", ""]
        items = [
            f"{check.summary}: `{check.command}` ({check.reading} on the incident window)"
            for check in self.checks
        ] + list(self.preventive)
        lines += [f"- [ ] {item}" for item in items] or ["- [ ] (to be agreed)"]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values with the Markdown included."""
        return {
            "model": self.model,
            "title": self.title,
            "severity": self.severity.to_dict(),
            "impact": self.impact.to_dict(),
            "root_cause_layer": self.root_cause_layer,
            "root_cause_reason": self.root_cause_reason,
            "monitoring_gap": self.gap.summary,
            "detection_delay_s": self.gap.delay.total_seconds() if self.gap.delay else None,
            "monitoring_gaps": [gap.to_dict() for gap in self.gaps],
            "recommended_checks": [check.to_dict() for check in self.checks],
            "findings": list(self.findings),
            "preventive": list(self.preventive),
            "timeline": self.timeline.to_dict(),
            "markdown": self.to_markdown(),
        }


def _when(moment: datetime | None) -> str:
    """A timestamp or `unknown`."""
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "unknown"


PREVENTION_BY_LAYER = {
    "data": "alert on per-feature PSI (act band) for the affected feature, per version",
    "model": "gate deploys on a canary analysis of accuracy and slices before raising traffic",
    "infrastructure": "alert on per-stage p99 against its budget, not only end to end",
    "business": "tie a business KPI alert to the model's dashboard",
}


def build_postmortem(
    model: str,
    timeline: Timeline,
    severity: Severity,
    impact: Impact,
    *,
    title: str | None = None,
    findings: Sequence[str] = (),
    root_cause_layer: str | None = None,
    root_cause_reason: str = "",
    checks: Sequence[RecommendedCheck] = (),
) -> Postmortem:
    """Assemble a postmortem; the root-cause layer defaults to the layer that moved first.

    `checks` are monitors verified to fire on the incident window; they
    replace the generic advice for the root-cause layer.
    """
    move = timeline.first_move
    layer = root_cause_layer or timeline.first_layer
    if not root_cause_reason and move is not None and layer == move.layer:
        root_cause_reason = f"it moved first ({move.summary})"
    gap = monitoring_gap(timeline)
    generic = layer in PREVENTION_BY_LAYER and not checks
    preventive = [PREVENTION_BY_LAYER[layer]] if generic and layer else []
    if gap.first_detection is None or (gap.delay and gap.delay > timedelta(minutes=15)):
        preventive.append("add or tighten the monitor that would have caught the first signal")
    return Postmortem(
        model=model,
        title=title
        or f"{model}: {timeline.first_signal.summary if timeline.first_signal else 'incident'}",
        severity=severity,
        impact=impact,
        root_cause_layer=layer,
        gap=gap,
        timeline=timeline,
        preventive=tuple(preventive),
        findings=tuple(findings),
        root_cause_reason=root_cause_reason,
        gaps=layer_gaps(timeline),
        checks=tuple(checks),
    )
