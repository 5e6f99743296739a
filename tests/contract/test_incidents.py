"""IncidentStore: incidents, ordered timeline events, and a verifiable audit chain."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from backends.audit_chain import GENESIS, verify
from backends.contracts import IncidentStore, TimelineEvent
from tests.contract.factories import factories_for
from tests.contract.helpers import T0

INCIDENTS = factories_for(IncidentStore)


def _audit(action: str, **extra: object) -> dict[str, object]:
    """A record as the runbook engine would append it."""
    return {
        "at": T0,
        "user": "oncall",
        "host": "box",
        "context": "demo",
        "runbook": "rollback",
        "run_id": "run-1",
        "step": "set",
        "action": action,
        "params": {"weights": {"1": 100}},
        "before": {"weights": {"1": 50, "2": 50}},
        "after": {"weights": {"1": 100}},
        "outcome": "ok",
        "duration_s": 0.25,
        **extra,
    }


@pytest.mark.parametrize("backend", INCIDENTS, indirect=True)
def test_incidents_newest_first_and_open_only(backend) -> None:
    first = backend.open_incident("fraud", "p99 doubled", "P1", T0)
    second = backend.open_incident("churn", "drift", "P2", T0 + timedelta(hours=1))
    assert first.incident_id != second.incident_id
    assert [i.incident_id for i in backend.incidents()] == [second.incident_id, first.incident_id]
    assert [i.model for i in backend.incidents(model="fraud")] == ["fraud"]
    assert backend.incidents(open_only=True)[0].closed_at is None
    with pytest.raises(ValueError, match="severity"):
        backend.open_incident("fraud", "x", "P9", T0)


@pytest.mark.parametrize("backend", INCIDENTS, indirect=True)
def test_timeline_events_are_ordered_and_windowed(backend) -> None:
    for minutes, kind in [(30, "alert"), (10, "note"), (50, "deploy")]:
        backend.add_event(
            TimelineEvent(T0 + timedelta(minutes=minutes), kind, "model", kind, model="fraud")
        )
    backend.add_event(TimelineEvent(T0, "note", "data", "other model", model="churn"))
    events = backend.timeline_events("fraud", T0, T0 + timedelta(minutes=50))
    assert [e.kind for e in events] == ["note", "alert"]
    assert events[0].at == T0 + timedelta(minutes=10)
    assert len(backend.timeline_events(None, T0, T0 + timedelta(hours=1))) == 4
    with pytest.raises(ValueError, match="layer"):
        backend.add_event(TimelineEvent(T0, "note", "weather", "x"))  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", INCIDENTS, indirect=True)
def test_audit_chain_verifies_and_detects_tampering(backend) -> None:
    appended = [backend.append_audit(_audit(a)) for a in ("plan", "set_weights", "verify")]
    assert [r.seq for r in appended] == [1, 2, 3]
    assert appended[0].prev_hash == GENESIS
    assert appended[1].prev_hash == appended[0].record_hash
    log = backend.audit_log()
    assert log == appended
    assert verify(log) == []
    assert backend.audit_log(since_seq=2) == appended[2:]
    tampered = [log[0], dataclasses.replace(log[1], outcome="failed"), log[2]]
    assert verify(tampered) == ["seq 2: record_hash does not match its contents"]
    assert any("seq 3" in p for p in verify([log[0], log[2]]))


@pytest.mark.parametrize("backend", INCIDENTS, indirect=True)
def test_audit_refuses_unknown_fields(backend) -> None:
    with pytest.raises(ValueError, match="password"):
        backend.append_audit(_audit("x", password="hunter2"))
    assert backend.audit_log() == []
