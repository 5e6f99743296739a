"""The SQLite schema of a workspace, declared with SQLModel; times are integer microseconds UTC."""

from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class ModelRow(SQLModel, table=True):
    """A registered model: its task, SLO, features and latency budget (JSON)."""

    __tablename__ = "model"
    name: str = Field(primary_key=True)
    task: str = "binary-classification"
    description: str = ""
    slo_p99_ms: float | None = None
    features_json: str = "[]"
    latency_budget_json: str = "{}"
    created_us: int = 0


class VersionRow(SQLModel, table=True):
    """One model version with its lineage hashes and metrics (JSON)."""

    __tablename__ = "model_version"
    id: int | None = Field(default=None, primary_key=True)
    model: str = Field(index=True)
    version: str
    created_us: int
    runtime: str
    artifact_uri: str
    code_hash: str = ""
    data_hash: str = ""
    config_hash: str = ""
    environment_hash: str = ""
    metrics_json: str = "{}"
    description: str = ""


class AliasRow(SQLModel, table=True):
    """Which version of a model an alias (champion, challenger) points at."""

    __tablename__ = "alias"
    model: str = Field(primary_key=True)
    alias: str = Field(primary_key=True)
    version: str


class RegistryEventRow(SQLModel, table=True):
    """A version registered or an alias moved."""

    __tablename__ = "registry_event"
    id: int | None = Field(default=None, primary_key=True)
    at_us: int = Field(index=True)
    model: str
    kind: str
    version: str
    detail_json: str = "{}"


class SeriesRow(SQLModel, table=True):
    """A metric series: name plus its labels (canonical JSON, unique per name)."""

    __tablename__ = "series"
    __table_args__ = (Index("ux_series_name_labels", "name", "labels_json", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    name: str
    labels_json: str


class PointBlockRow(SQLModel, table=True):
    """Up to one UTC day of one series' points as float64 arrays, so bulk writes stay fast."""

    __tablename__ = "point_block"
    __table_args__ = (Index("ix_point_block_series_ts", "series_id", "ts_min", "ts_max"),)
    id: int | None = Field(default=None, primary_key=True)
    series_id: int
    ts_min: float
    ts_max: float
    count: int
    ts_blob: bytes
    value_blob: bytes


class TrafficRow(SQLModel, table=True):
    """The stored traffic split of a model: percent per version."""

    __tablename__ = "traffic"
    model: str = Field(primary_key=True)
    version: str = Field(primary_key=True)
    weight: int


class IncidentRow(SQLModel, table=True):
    """An incident on a model."""

    __tablename__ = "incident"
    incident_id: str = Field(primary_key=True)
    model: str = Field(index=True)
    title: str
    severity: str
    opened_us: int
    closed_us: int | None = None


class TimelineRow(SQLModel, table=True):
    """A recorded timeline event (note, alert, traffic change)."""

    __tablename__ = "timeline_event"
    id: int | None = Field(default=None, primary_key=True)
    at_us: int = Field(index=True)
    kind: str
    layer: str
    summary: str
    model: str | None = None
    source: str = ""
    detail_json: str = "{}"


class AuditRow(SQLModel, table=True):
    """One append-only audit record, chained to the previous one by sha256."""

    __tablename__ = "audit_log"
    seq: int = Field(primary_key=True)
    at_us: int
    user: str
    host: str
    context: str
    runbook: str
    run_id: str
    step: str
    action: str
    params_json: str
    before_json: str
    after_json: str
    outcome: str
    duration_s: float
    prev_hash: str
    record_hash: str
