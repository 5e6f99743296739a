"""Timeline merging, first layer, anomalies, correlation with lag, and the postmortem."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from console.analysis.correlation import lagged_correlation
from console.analysis.incidents import suggest_severity
from console.analysis.postmortem import Impact, build_postmortem
from console.analysis.timeline import (
    anomalies,
    build_timeline,
    find_change,
    from_audit,
    from_incident_store,
    from_registry,
    metric_layer,
    note,
    threshold_breaches,
)

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@dataclass
class Reg:
    at: datetime
    model: str
    kind: str
    version: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Rec:
    at: datetime
    kind: str
    layer: str
    summary: str
    source: str = "alertmanager"
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Audit:
    at: datetime
    runbook: str
    step: str
    action: str
    outcome: str
    user: str = "oncall"
    run_id: str = "r1"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class S:
    name: str
    labels: dict[str, str]
    timestamps: np.ndarray
    values: np.ndarray


def _series(name: str, change_minute: int, before: float, after: float) -> S:
    ts = np.array([(T0 + timedelta(minutes=m)).timestamp() for m in range(120)])
    rng = np.random.default_rng(len(name))
    values = np.where(np.arange(120) >= change_minute, after, before) + rng.normal(0, 0.002, 120)
    return S(name, {"model": "fraud"}, ts, values)


def _timeline():
    registry = from_registry(
        [
            Reg(T0 + timedelta(minutes=30), "fraud", "version_registered", "3"),
            Reg(T0 + timedelta(minutes=31), "fraud", "alias_moved", "3", {"alias": "challenger"}),
        ]
    )
    store = from_incident_store(
        [Rec(T0 + timedelta(minutes=70), "alert", "model", "accuracy below 0.85")]
    )
    audit = from_audit([Audit(T0 + timedelta(minutes=80), "rollback", "roll", "rollback", "ok")])
    signals = anomalies(
        [_series("feature_psi", 45, 0.02, 0.4), _series("accuracy", 55, 0.93, 0.80)]
    )
    return build_timeline(registry, store, audit, signals, [note(T0, "shift starts")])


def test_events_are_ordered_and_layered() -> None:
    timeline = _timeline()
    times = [event.at for event in timeline.events]
    assert times == sorted(times)
    kinds = [event.kind for event in timeline.events]
    assert kinds.index("deploy") < kinds.index("drop")
    assert timeline.first_layer == "model"
    assert timeline.first_move is not None and timeline.first_move.kind == "deploy"
    assert timeline.first_signal is not None and timeline.first_signal.kind == "spike"
    assert timeline.first_signal.layer == "data"
    drop = timeline.of_kind("drop")[0]
    assert drop.layer == "model" and abs(drop.at - (T0 + timedelta(minutes=55))) <= timedelta(
        minutes=1
    )
    assert timeline.of_kind("runbook_step")[0].layer == "model"
    assert timeline.to_dict()["first_layer"] == "model"
    signals_only = build_timeline([e for e in timeline.events if e.kind != "deploy"])
    assert signals_only.first_layer == "data"


def test_metric_layers() -> None:
    assert metric_layer("feature_psi") == "data"
    assert metric_layer("accuracy") == "model"
    assert metric_layer("stage_latency_ms") == "infrastructure"
    assert metric_layer("revenue_per_hour") == "business"


def test_find_change_and_breach() -> None:
    values = np.r_[np.full(40, 1.0), np.full(20, 2.0)]
    assert find_change(values) == 40
    assert find_change(np.full(60, 1.0)) is None
    series = _series("p99_latency_ms", 60, 50, 150)
    breach = threshold_breaches([series], 100.0)
    assert len(breach) == 1 and breach[0].kind == "threshold_breach"
    assert breach[0].at == T0 + timedelta(minutes=60)


def test_lagged_correlation_finds_who_leads() -> None:
    rng = np.random.default_rng(0)
    ts = np.arange(0, 300 * 60, 60.0)
    infra = rng.normal(size=ts.size).cumsum()
    model = np.r_[np.zeros(5), infra[:-5]] + rng.normal(0, 0.01, ts.size)
    result = lagged_correlation(ts, infra, ts, model, max_lag=10, x_name="cpu", y_name="acc")
    assert result.best_lag == 5 and result.leader == "cpu"
    assert result.correlation is not None and result.correlation > 0.99
    flat = lagged_correlation(ts, np.ones(ts.size), ts, model, max_lag=3)
    assert flat.correlation is None and flat.leader == "none"


def test_postmortem_markdown() -> None:
    timeline = _timeline()
    impact = Impact(0.05, T0 + timedelta(minutes=45), T0 + timedelta(minutes=80), requests=1200)
    report = build_postmortem(
        "fraud", timeline, suggest_severity(accuracy_drop=0.14), impact, findings=["tablet slice"]
    )
    markdown = report.to_markdown()
    assert markdown.startswith("# Postmortem: fraud")
    assert "**Severity:** P1" in markdown and "5.0%" in markdown and "35 min" in markdown
    assert "**Root-cause layer:** model" in markdown
    assert "Root-cause layer: **model**: it moved first" in markdown
    data_first = build_postmortem(
        "fraud", timeline, suggest_severity(), impact, root_cause_layer="data"
    )
    assert "**Root-cause layer:** data" in data_first.to_markdown()
    assert "per-feature PSI" in data_first.to_markdown()
    for report_ in (report, data_first):
        text = report_.to_markdown()
        header = re.search(r"\*\*Root-cause layer:\*\* (\w+)", text)
        section = re.search(r"## Root cause\n\nRoot-cause layer: \*\*(\w+)\*\*", text)
        assert header and section and header.group(1) == section.group(1)
    assert "What changed first was on the model layer" in data_first.to_markdown()
    assert "## The monitoring gap" in markdown and "25 min later" in markdown
    assert markdown.count("| ") >= len(timeline.events)
    assert report.to_dict()["detection_delay_s"] == pytest.approx(25 * 60, abs=60)


def test_row_changes_ignore_ties_and_find_a_real_step() -> None:
    from console.analysis.timeline import row_changes

    rng = np.random.default_rng(4)
    n = 20_000
    stamps = np.arange(n, dtype=float) * 60 + T0.timestamp()
    counts = rng.integers(0, 5, n).astype(float)
    stepped = rng.normal(size=n) + np.where(np.arange(n) >= 15_000, 0.3, 0.0)
    layers = {"counts": "data", "stepped": "data"}
    events = row_changes(stamps, {"counts": counts, "stepped": stepped}, layers)
    assert [e.detail["column"] for e in events] == ["stepped"]
    assert abs(events[0].at.timestamp() - stamps[15_000]) < 60 * 300


@dataclass
class Inc:
    incident_id: str
    model: str
    title: str
    severity: str
    opened_at: datetime
    closed_at: datetime | None = None


def test_one_deploy_is_one_event_with_its_alias_move_and_traffic_change() -> None:
    registry = from_registry([Reg(T0, "fraud", "alias_moved", "3", {"alias": "challenger"})])
    store = from_incident_store(
        [
            Rec(T0, "deploy", "model", "v3 deployed as challenger at 10 %", "deploy-bot"),
            Rec(T0 + timedelta(seconds=2), "traffic_change", "model", "v2 90% / v3 10%", "vigil"),
        ]
    )
    later = from_registry(
        [Reg(T0 + timedelta(hours=3), "fraud", "alias_moved", "4", {"alias": "challenger"})]
    )
    timeline = build_timeline(registry, store, later)
    deploys = timeline.of_kind("deploy")
    assert len(deploys) == 2 and not timeline.of_kind("traffic_change")
    first = deploys[0]
    assert first.summary == "v3 deployed as challenger at 10 %"
    assert first.detail["alias_moves"] == ["fraud: challenger → v3"]
    assert first.detail["traffic_changes"] == ["v2 90% / v3 10%"]
    assert deploys[1].summary == "fraud: challenger → v4"


def test_runbook_steps_and_incidents_sit_on_a_layer_that_fits() -> None:
    steps = from_audit(
        [
            Audit(T0, "rollback", "check", "check", "ok"),
            Audit(T0, "rollback", "roll", "rollback", "ok"),
            Audit(T0, "canary", "load", "load", "ok"),
            Audit(T0, "canary", "tell", "notify", "ok"),
        ]
    )
    assert [e.layer for e in steps] == ["response", "model", "infrastructure", "response"]
    assert "business" not in {e.layer for e in steps}
    from console.analysis.timeline import from_incidents

    incident = Inc("INC-1", "fraud", "accuracy down", "P1", T0, T0 + timedelta(hours=2))
    events = from_incidents([incident], T0 - timedelta(hours=1), T0 + timedelta(hours=3))
    assert [e.kind for e in events] == ["incident_opened", "incident_closed"]
    assert all(e.layer == "response" and not e.signal for e in events)
    assert from_incidents([incident], T0 + timedelta(minutes=1), T0 + timedelta(hours=1)) == []


def test_actions_after_the_last_logged_request_are_on_the_timeline() -> None:
    from console.analysis.workspace import model_timeline
    from tests.datasets.fraud_shift import END, fraud_shift

    data = fraud_shift(incident=False)
    context, model = data.context, data.model()
    data.backend.append_audit(
        {
            "at": END + timedelta(hours=1),
            "user": "oncall",
            "runbook": "rollback",
            "run_id": "r1",
            "step": "roll",
            "action": "rollback",
            "outcome": "ok",
            "params": {"model": "fraud"},
        }
    )
    opened = data.backend.open_incident("fraud", "down", "P1", END - timedelta(hours=2))
    data.backend.close_incident(opened.incident_id, END + timedelta(hours=2))
    start = END - timedelta(hours=24)
    bounded = model_timeline(context, model, start, END, derived=False)
    assert not bounded.of_kind("runbook_step") and not bounded.of_kind("incident_closed")
    extended = model_timeline(
        context, model, start, END, derived=False, actions_until=END + timedelta(hours=3)
    )
    assert [
        e.kind for e in extended.of_kind("runbook_step", "incident_opened", "incident_closed")
    ] == [
        "incident_opened",
        "runbook_step",
        "incident_closed",
    ]


def test_the_monitoring_gap_covers_every_layer_that_moved_and_the_accuracy() -> None:
    from console.analysis.postmortem import layer_gaps

    store = from_incident_store(
        [
            Rec(T0 + timedelta(minutes=50), "alert", "data", "FeatureDrift firing"),
            Rec(T0 + timedelta(minutes=95), "alert", "model", "AccuracyDrop firing"),
        ]
    )
    signals = anomalies(
        [
            _series("feature_psi", 45, 0.02, 0.4),
            _series("accuracy", 55, 0.93, 0.80),
            _series("stage_latency_ms", 20, 10.0, 40.0),
        ]
    )
    gaps = {gap.layer: gap for gap in layer_gaps(build_timeline(store, signals))}
    assert set(gaps) == {"infrastructure", "data", "model", "accuracy"}
    assert gaps["infrastructure"].first_detection is None
    assert "nothing alerted" in gaps["infrastructure"].summary
    assert gaps["data"].delay == timedelta(minutes=5)
    assert gaps["accuracy"].delay == timedelta(minutes=40)
    assert gaps["accuracy"].first_detection is not None
