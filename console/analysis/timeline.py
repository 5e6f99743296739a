"""One ordered incident timeline across layers, and which layer moved first.

Events come from the registry (versions, alias moves), the incident store
(alerts, traffic changes, notes), the audit log (runbook steps) and anomalies
found in metric series. Each carries its layer (infrastructure, data, model,
business) and whether it is a *signal* (a metric moved: an anomaly, a breach,
an alert) or an *action* (a deploy, a runbook step, a note). The layer that
moved first is that of the earliest signal or change to what serves (a
deploy, an alias move, a traffic change); runbook steps that change what
serves sit on the model (or infrastructure) layer, the others and the
incident's opening and closing on the `response` layer: they are answers,
not moves. A deploy recorded by several sources at once is one event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

LAYERS = ("infrastructure", "data", "model", "business")
RESPONSE = "response"
DEPLOY_MERGE_S = 60.0
SIGNAL_KINDS = frozenset(
    {
        "anomaly",
        "drop",
        "spike",
        "shift",
        "alert",
        "threshold_breach",
        "breach",
        "drift",
        "slo_breach",
    }
)
CHANGE_KINDS = frozenset({"deploy", "alias_moved", "traffic_change"})
_LAYER_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("data", ("psi", "drift", "feature", "null", "missing", "freshness", "schema")),
    ("business", ("revenue", "conversion", "chargeback", "approval", "business", "click")),
    ("model", ("accuracy", "auc", "score", "prediction", "error_rate", "precision", "recall")),
    (
        "infrastructure",
        ("latency", "_ms", "cpu", "memory", "gpu", "qps", "requests", "error", "saturation"),
    ),
)
_ACTION_LAYERS = {
    "rollback": "model",
    "promote": "model",
    "set_weights": "model",
    "load": "infrastructure",
    "unload": "infrastructure",
    "retrain": "model",
}
_DEPLOY_PARTS = frozenset({"deploy", "alias_moved", "traffic_change"})


@dataclass(frozen=True)
class Event:
    """One thing that happened, its layer, and whether it is a signal or an action."""

    at: datetime
    kind: str
    layer: str
    summary: str
    source: str = ""
    signal: bool = False
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "layer": self.layer,
            "summary": self.summary,
            "source": self.source,
            "signal": self.signal,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True)
class Timeline:
    """Events oldest first; the first signal and its layer."""

    events: tuple[Event, ...]

    @property
    def first_signal(self) -> Event | None:
        """The earliest event where something moved."""
        return next((event for event in self.events if event.signal), None)

    @property
    def first_move(self) -> Event | None:
        """The earliest change to what serves (a deploy, a traffic change) or signal."""
        return next((e for e in self.events if e.signal or e.kind in CHANGE_KINDS), None)

    @property
    def first_layer(self) -> str | None:
        """The layer that moved first: a deploy counts as the model layer moving."""
        first = self.first_move
        return first.layer if first else None

    def of_kind(self, *kinds: str) -> list[Event]:
        """Events of the given kinds, oldest first."""
        return [event for event in self.events if event.kind in kinds]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values with the `events` list and `first_layer`."""
        first = self.first_signal
        move = self.first_move
        return {
            "first_layer": self.first_layer,
            "first_move": move.to_dict() if move else None,
            "first_signal": first.to_dict() if first else None,
            "events": [event.to_dict() for event in self.events],
        }


def metric_layer(name: str) -> str:
    """The layer a metric belongs to, from words in its name (infrastructure if unknown)."""
    lowered = name.lower()
    for layer, words in _LAYER_WORDS:
        if any(word in lowered for word in words):
            return layer
    return "infrastructure"


def _utc(moment: datetime) -> datetime:
    """A timezone-aware UTC datetime (naive ones are taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def from_registry(events: Iterable[Any]) -> list[Event]:
    """Registry events (versions registered, alias moves) as model-layer actions."""
    result = []
    for event in events:
        detail = dict(getattr(event, "detail", {}) or {})
        if event.kind == "alias_moved":
            alias = detail.get("alias", "alias")
            previous = detail.get("previous") or detail.get("from")
            moved = f" (was {previous})" if previous else ""
            summary = f"{event.model}: {alias} → v{event.version}{moved}"
            kind = "deploy" if alias in ("champion", "challenger", "canary") else "alias_moved"
        elif event.kind == "alias_removed":
            summary = f"{event.model}: {detail.get('alias', 'alias')} removed from v{event.version}"
            kind = "alias_removed"
        else:
            summary = f"{event.model}: v{event.version} registered"
            kind = "version_registered"
        result.append(Event(_utc(event.at), kind, "model", summary, "registry", False, detail))
    return result


def from_incident_store(events: Iterable[Any]) -> list[Event]:
    """Recorded timeline events (alerts, traffic changes, notes) with their own layer."""
    return [
        Event(
            _utc(event.at),
            event.kind,
            event.layer if event.layer in LAYERS else "business",
            event.summary,
            event.source or "incidents",
            event.kind in SIGNAL_KINDS,
            dict(event.detail or {}),
        )
        for event in events
    ]


def from_audit(records: Iterable[Any]) -> list[Event]:
    """Audited runbook steps as actions on the layer they touch."""
    result = []
    for record in records:
        layer = _ACTION_LAYERS.get(record.action, RESPONSE)
        summary = f"runbook {record.runbook} · {record.step}: {record.action} → {record.outcome}"
        detail = {"user": record.user, "run_id": record.run_id, "params": dict(record.params)}
        result.append(
            Event(_utc(record.at), "runbook_step", layer, summary, "audit", False, detail)
        )
    return result


def from_incidents(incidents: Iterable[Any], start: datetime, end: datetime) -> list[Event]:
    """Each incident's opening and closing inside [start, end), on the response layer."""
    result = []
    for incident in incidents:
        what = f"{incident.incident_id} ({incident.severity}): {incident.title}"
        detail = {"incident": incident.incident_id, "severity": incident.severity}
        opened = _utc(incident.opened_at)
        if start <= opened < end:
            summary = f"incident {what} opened"
            result.append(
                Event(opened, "incident_opened", RESPONSE, summary, "incidents", False, detail)
            )
        if incident.closed_at is not None and start <= _utc(incident.closed_at) < end:
            closed = _utc(incident.closed_at)
            summary = f"incident {what} closed"
            result.append(
                Event(closed, "incident_closed", RESPONSE, summary, "incidents", False, detail)
            )
    return result


def merge_deploys(events: Sequence[Event], within_s: float = DEPLOY_MERGE_S) -> list[Event]:
    """One event per deploy: alias moves and traffic changes recorded with it become its details.

    Changes to what serves that lie within `within_s` of a deploy, by any
    source, are folded into it; the deploy recorded by the incident store
    (the richest summary) leads, else the registry's alias move.
    """
    ordered = sorted(events, key=lambda e: e.at)
    deploys = [e for e in ordered if e.kind == "deploy"]
    taken: set[int] = set()
    merged: dict[int, Event] = {}
    for deploy in deploys:
        if id(deploy) in taken:
            continue
        group = [
            e
            for e in ordered
            if e.kind in _DEPLOY_PARTS
            and id(e) not in taken
            and abs((e.at - deploy.at).total_seconds()) <= within_s
        ]
        leads = [e for e in group if e.kind == "deploy"]
        lead = next((e for e in leads if e.source != "registry"), leads[0])
        others = [e for e in group if e is not lead]
        detail = dict(lead.detail)
        moves = [e.summary for e in others if e.kind != "traffic_change"]
        traffic = [e.summary for e in others if e.kind == "traffic_change"]
        if moves:
            detail["alias_moves"] = moves
        if traffic:
            detail["traffic_changes"] = traffic
        taken.update(id(e) for e in group)
        merged[id(lead)] = Event(
            lead.at, "deploy", lead.layer, lead.summary, lead.source, False, detail
        )
    return [merged.get(id(e), e) for e in ordered if id(e) not in taken or id(e) in merged]


def find_change(
    values: np.ndarray, *, baseline: int | None = None, z: float = 4.0, run: int = 3
) -> int | None:
    """Index where a series leaves its baseline: `run` points in a row beyond z robust sigmas.

    The baseline is the first quarter of the points unless given; sigma is
    1.4826·MAD, floored at 1 % of the baseline median so a flat series still works.
    """
    finite = np.asarray(values, dtype=np.float64)
    size = baseline if baseline is not None else max(run, finite.size // 4)
    base = finite[:size][np.isfinite(finite[:size])]
    if base.size == 0 or finite.size <= size:
        return None
    centre = float(np.median(base))
    sigma = max(1.4826 * float(np.median(np.abs(base - centre))), 0.01 * abs(centre), 1e-12)
    beyond = np.abs(finite - centre) > z * sigma
    beyond[:size] = False
    streak = 0
    for index, flag in enumerate(beyond):
        streak = streak + 1 if flag else 0
        if streak == run:
            return index - run + 1
    return None


def anomalies(series: Iterable[Any], *, z: float = 4.0, run: int = 3) -> list[Event]:
    """The first departure from baseline in each metric series, as a signal on its layer."""
    result = []
    for one in series:
        values = np.asarray(one.values, dtype=np.float64)
        index = find_change(values, z=z, run=run)
        if index is None:
            continue
        size = max(run, values.size // 4)
        before = float(np.nanmedian(values[:size]))
        after = float(values[index])
        kind = "drop" if after < before else "spike"
        labels = ", ".join(f"{k}={v}" for k, v in sorted(dict(one.labels).items()))
        name = f"{one.name}{{{labels}}}" if labels else one.name
        at = datetime.fromtimestamp(float(one.timestamps[index]), tz=UTC)
        summary = f"{name} {kind}: {before:.4g} → {after:.4g}"
        detail = {"metric": one.name, "labels": dict(one.labels), "before": before, "after": after}
        result.append(Event(at, kind, metric_layer(one.name), summary, "metrics", True, detail))
    return result


def threshold_breaches(
    series: Iterable[Any], threshold: float, *, above: bool = True
) -> list[Event]:
    """The first point of each series over (or under) a fixed threshold, as a signal."""
    result = []
    for one in series:
        values = np.asarray(one.values, dtype=np.float64)
        hits = np.flatnonzero(values > threshold if above else values < threshold)
        if hits.size == 0:
            continue
        index = int(hits[0])
        at = datetime.fromtimestamp(float(one.timestamps[index]), tz=UTC)
        side = ">" if above else "<"
        summary = f"{one.name} {values[index]:.4g} {side} {threshold:g}"
        detail = {"metric": one.name, "labels": dict(one.labels), "value": float(values[index])}
        result.append(
            Event(at, "threshold_breach", metric_layer(one.name), summary, "metrics", True, detail)
        )
    return result


CHANGE_T = 4.0


def change_point(values: np.ndarray, min_side: int = 50) -> tuple[int, float] | None:
    """The single most likely step change in a sequence: (index, Welch-like t) or None.

    A scan over every split of the cumulative sums, O(n): the split where the
    means before and after differ most in units of their standard error.
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    spread = float(values.std()) if n else 0.0
    if n < 2 * min_side or spread == 0.0:
        return None
    sums = np.cumsum(values)
    split = np.arange(min_side, n - min_side)
    before = sums[split - 1] / split
    after = (sums[-1] - sums[split - 1]) / (n - split)
    t = (after - before) / (spread * np.sqrt(1.0 / split + 1.0 / (n - split)))
    best = int(np.argmax(np.abs(t)))
    return int(split[best]), float(t[best])


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks with ties sharing their average rank, so tied values carry no time order."""
    from scipy.stats import rankdata

    ranked: np.ndarray = rankdata(values, method="average")
    return ranked


def row_changes(
    stamps: np.ndarray,
    columns: dict[str, np.ndarray],
    layers: dict[str, str],
    *,
    threshold: float = CHANGE_T,
    ranks: bool = True,
) -> list[Event]:
    """A step change in each per-request column (time-ordered), as a signal where |t| ≥ threshold.

    With `ranks`, values are replaced by their ranks first, so a change in
    any part of the distribution counts and outliers do not.
    """
    order = np.argsort(stamps, kind="stable")
    result = []
    for name, raw in columns.items():
        values = np.asarray(raw, dtype=np.float64)[order]
        times = stamps[order]
        keep = np.isfinite(values)
        values, times = values[keep], times[keep]
        scored = _average_ranks(values) if ranks else values
        found = change_point(scored)
        if found is None or abs(found[1]) < threshold:
            continue
        index, t = found
        before, after = float(values[:index].mean()), float(values[index:].mean())
        kind = "drop" if t < 0 and name == "accuracy" else "shift"
        at = datetime.fromtimestamp(float(times[index]), tz=UTC)
        summary = f"{name} changed: mean {before:.4g} → {after:.4g} (t={t:+.1f})"
        detail = {"column": name, "before": before, "after": after, "t": t}
        result.append(
            Event(at, kind, layers.get(name, "data"), summary, "inference_log", True, detail)
        )
    return result


def note(at: datetime, text: str, layer: str = "business") -> Event:
    """A free-text note on the timeline."""
    return Event(_utc(at), "note", layer, text, "note")


def build_timeline(*sources: Sequence[Event]) -> Timeline:
    """Merge event lists into one timeline, oldest first (signals before actions on a tie)."""
    merged = merge_deploys([event for source in sources for event in source])
    merged.sort(key=lambda event: (event.at, not event.signal, event.summary))
    return Timeline(tuple(merged))
