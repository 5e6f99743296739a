"""IncidentStore in memory: incidents, timeline events, and the hash-chained audit log.

Audit records are checked and normalised by the embedded store's own rules, so
a record reads back the same from either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, get_args

from backends.audit_chain import GENESIS, compute_hash
from backends.contracts import AuditRecord, Incident, Layer, NotFoundError, TimelineEvent
from backends.memory.base import MemoryState

SEVERITIES = ("P0", "P1", "P2", "P3")


class MemoryIncidents(MemoryState):
    """Incidents, events and audit records in lists, appended under the shared lock."""

    def __init__(self) -> None:
        """No incidents, events or audit records."""
        super().__init__()
        self._incidents: list[Incident] = []
        self._events: list[TimelineEvent] = []
        self._audit: list[AuditRecord] = []

    def incidents(self, model: str | None = None, open_only: bool = False) -> list[Incident]:
        """Incidents, newest first."""
        self._check("incidents")
        with self._lock:
            found = [
                i
                for i in self._incidents
                if (model is None or i.model == model) and (not open_only or i.closed_at is None)
            ]
        return sorted(found, key=lambda i: i.opened_at, reverse=True)

    def open_incident(self, model: str, title: str, severity: str, at: datetime) -> Incident:
        """Record a new incident."""
        self._check("incidents")
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
        with self._lock:
            incident = Incident(f"INC-{len(self._incidents) + 1}", model, title, severity, at)  # type: ignore[arg-type]
            self._incidents.append(incident)
        return incident

    def close_incident(self, incident_id: str, at: datetime) -> Incident:
        """Mark an incident closed at `at`."""
        self._check("incidents")
        with self._lock:
            for index, incident in enumerate(self._incidents):
                if incident.incident_id == incident_id:
                    self._incidents[index] = replace(incident, closed_at=at)
                    return self._incidents[index]
        raise NotFoundError(f"no incident {incident_id!r}")

    def timeline_events(
        self, model: str | None, start: datetime, end: datetime
    ) -> list[TimelineEvent]:
        """Recorded events in [start, end), oldest first."""
        self._check("incidents")
        with self._lock:
            found = [
                e
                for e in self._events
                if start <= e.at < end and (model is None or e.model == model)
            ]
        return sorted(found, key=lambda e: e.at)

    def add_event(self, event: TimelineEvent) -> TimelineEvent:
        """Record an event (a note, an alert, a traffic change)."""
        self._check("incidents")
        if event.layer not in get_args(Layer):
            raise ValueError(
                f"layer must be one of {', '.join(get_args(Layer))}, got {event.layer!r}"
            )
        with self._lock:
            self._events.append(event)
        return event

    def append_audit(self, record: Mapping[str, Any]) -> AuditRecord:
        """Append a record; seq, prev_hash and record_hash are assigned under the lock."""
        from backends.embedded.db import from_us
        from backends.embedded.incidents import audit_fields

        self._check("incidents")
        fields = audit_fields(record)
        fields["at"] = from_us(fields.pop("at_us"))
        with self._lock:
            prev_hash = self._audit[-1].record_hash if self._audit else GENESIS
            fields["seq"] = len(self._audit) + 1
            stored = AuditRecord(
                **fields, prev_hash=prev_hash, record_hash=compute_hash(prev_hash, fields)
            )
            self._audit.append(stored)
        return stored

    def audit_log(self, since_seq: int = 0) -> list[AuditRecord]:
        """Audit records with seq > since_seq, oldest first."""
        self._check("incidents")
        with self._lock:
            return [r for r in self._audit if r.seq > since_seq]
