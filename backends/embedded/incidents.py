"""Incidents, timeline events and the append-only, hash-chained audit log in SQLite."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, get_args

from sqlalchemy import func, insert, or_, select, update

from backends.audit_chain import GENESIS, HASHED_FIELDS, compute_hash
from backends.contracts import (
    AuditRecord,
    BackendError,
    Incident,
    Layer,
    NotFoundError,
    TimelineEvent,
)
from backends.embedded.db import Database, dumps, from_us, loads, now_us, to_us
from backends.embedded.tables import AUDIT, INCIDENT, TIMELINE

SEVERITIES = ("P0", "P1", "P2", "P3")
LAYERS: tuple[str, ...] = get_args(Layer)
TEXT_FIELDS = ("user", "host", "context", "runbook", "run_id", "step", "action", "outcome")
MAPPING_FIELDS = ("params", "before", "after")


class IncidentsMixin:
    """IncidentStore over the workspace database."""

    _db: Database

    def incidents(self, model: str | None = None, open_only: bool = False) -> list[Incident]:
        """Incidents, newest first."""
        query = select(INCIDENT)
        if model is not None:
            query = query.where(INCIDENT.c.model == model)
        if open_only:
            query = query.where(INCIDENT.c.closed_us.is_(None))
        with self._db.read() as conn:
            rows = conn.execute(query.order_by(INCIDENT.c.opened_us.desc())).all()
        return [_incident(row) for row in rows]

    def open_incident(self, model: str, title: str, severity: str, at: datetime) -> Incident:
        """Record a new incident with the next id (INC-0001, ...)."""
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
        if not title:
            raise ValueError("an incident needs a title")
        with self._db.write() as conn:
            count = conn.execute(select(func.count()).select_from(INCIDENT)).scalar_one()
            incident_id = f"INC-{count + 1:04d}"
            conn.execute(
                insert(INCIDENT).values(
                    incident_id=incident_id,
                    model=model,
                    title=title,
                    severity=severity,
                    opened_us=to_us(at),
                )
            )
            row = conn.execute(select(INCIDENT).where(INCIDENT.c.incident_id == incident_id)).one()
        return _incident(row)

    def close_incident(self, incident_id: str, at: datetime) -> Incident:
        """Mark an incident closed at `at`."""
        with self._db.write() as conn:
            done = conn.execute(
                update(INCIDENT)
                .where(INCIDENT.c.incident_id == incident_id)
                .values(closed_us=to_us(at))
            )
            if done.rowcount == 0:
                raise NotFoundError(f"no incident {incident_id!r}")
            row = conn.execute(select(INCIDENT).where(INCIDENT.c.incident_id == incident_id)).one()
        return _incident(row)

    def timeline_events(
        self, model: str | None, start: datetime, end: datetime
    ) -> list[TimelineEvent]:
        """Events in [start, end), oldest first; for a model, its own and model-less ones."""
        query = select(TIMELINE).where(
            TIMELINE.c.at_us >= to_us(start), TIMELINE.c.at_us < to_us(end)
        )
        if model is not None:
            query = query.where(or_(TIMELINE.c.model == model, TIMELINE.c.model.is_(None)))
        with self._db.read() as conn:
            rows = conn.execute(query.order_by(TIMELINE.c.at_us, TIMELINE.c.id)).all()
        return [
            TimelineEvent(
                at=from_us(row.at_us),
                kind=row.kind,
                layer=row.layer,
                summary=row.summary,
                model=row.model,
                source=row.source,
                detail=loads(row.detail_json),
            )
            for row in rows
        ]

    def add_event(self, event: TimelineEvent) -> TimelineEvent:
        """Record an event (a note, an alert, a traffic change)."""
        if event.layer not in LAYERS:
            raise ValueError(f"layer must be one of {', '.join(LAYERS)}, got {event.layer!r}")
        if not event.kind:
            raise ValueError("an event needs a kind")
        with self._db.write() as conn:
            conn.execute(
                insert(TIMELINE).values(
                    at_us=to_us(event.at),
                    kind=event.kind,
                    layer=event.layer,
                    summary=event.summary,
                    model=event.model,
                    source=event.source,
                    detail_json=dumps(dict(event.detail)),
                )
            )
        return event

    def append_audit(self, record: Mapping[str, Any]) -> AuditRecord:
        """Append a record; seq, prev_hash and record_hash are assigned under the write lock."""
        fields = audit_fields(record)
        with self._db.write() as conn:
            last = conn.execute(
                select(AUDIT.c.seq, AUDIT.c.record_hash).order_by(AUDIT.c.seq.desc()).limit(1)
            ).first()
            seq, prev_hash = (last.seq + 1, last.record_hash) if last else (1, GENESIS)
            fields["seq"] = seq
            fields["at"] = from_us(fields.pop("at_us"))
            record_hash = compute_hash(prev_hash, fields)
            conn.execute(
                insert(AUDIT).values(
                    seq=seq,
                    at_us=to_us(fields["at"]),
                    params_json=dumps(fields["params"]),
                    before_json=dumps(fields["before"]),
                    after_json=dumps(fields["after"]),
                    duration_s=fields["duration_s"],
                    prev_hash=prev_hash,
                    record_hash=record_hash,
                    **{name: fields[name] for name in TEXT_FIELDS},
                )
            )
        return AuditRecord(**fields, prev_hash=prev_hash, record_hash=record_hash)

    def audit_log(self, since_seq: int = 0) -> list[AuditRecord]:
        """Records with seq > since_seq, oldest first, exactly as stored."""
        with self._db.read() as conn:
            rows = conn.execute(
                select(AUDIT).where(AUDIT.c.seq > since_seq).order_by(AUDIT.c.seq)
            ).all()
        return [
            AuditRecord(
                seq=row.seq,
                at=from_us(row.at_us),
                params=loads(row.params_json),
                before=loads(row.before_json),
                after=loads(row.after_json),
                duration_s=row.duration_s,
                prev_hash=row.prev_hash,
                record_hash=row.record_hash,
                **{name: getattr(row, name) for name in TEXT_FIELDS},
            )
            for row in rows
        ]


def audit_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a caller's record and normalise it to what the store will read back."""
    allowed = set(HASHED_FIELDS) - {"seq"}
    unknown = sorted(set(record) - allowed - {"seq", "prev_hash", "record_hash"})
    if unknown:
        raise ValueError(f"unknown audit field(s): {', '.join(unknown)}")
    fields: dict[str, Any] = {name: str(record.get(name, "")) for name in TEXT_FIELDS}
    for name in MAPPING_FIELDS:
        value = record.get(name) or {}
        if not isinstance(value, Mapping):
            raise ValueError(f"audit field {name} must be a mapping")
        fields[name] = json.loads(dumps(dict(value)))
    try:
        fields["duration_s"] = float(record.get("duration_s", 0.0))
    except (TypeError, ValueError) as error:
        raise ValueError(f"audit field duration_s must be a number: {error}") from error
    at = record.get("at")
    fields["at_us"] = to_us(at) if at is not None else now_us()
    return fields


def _incident(row: Any) -> Incident:
    """A stored incident row as an Incident."""
    if row.severity not in SEVERITIES:
        raise BackendError(
            f"incident {row.incident_id}: stored severity {row.severity!r} is invalid"
        )
    return Incident(
        incident_id=row.incident_id,
        model=row.model,
        title=row.title,
        severity=row.severity,
        opened_at=from_us(row.opened_us),
        closed_at=None if row.closed_us is None else from_us(row.closed_us),
    )
