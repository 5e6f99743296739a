"""The SQLite schema of a workspace, as SQLAlchemy Core tables; times are integer microseconds UTC.

Core, not SQLModel: the backend only ever runs Core statements on these tables,
and importing SQLModel (with pydantic and `sqlalchemy.orm`) cost ~0.35 s of the
console's first overview read (docs/workspace.md has the figures).
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, LargeBinary, MetaData, String, Table

METADATA = MetaData()
"""Every table of the workspace database; `METADATA.create_all` creates the missing ones."""

# A registered model: its task, SLO, features and latency budget (JSON).
MODEL = Table(
    "model",
    METADATA,
    Column("name", String, primary_key=True),
    Column("task", String, nullable=False, default="binary-classification"),
    Column("description", String, nullable=False, default=""),
    Column("slo_p99_ms", Float, nullable=True, default=None),
    Column("features_json", String, nullable=False, default="[]"),
    Column("latency_budget_json", String, nullable=False, default="{}"),
    Column("created_us", Integer, nullable=False, default=0),
)

# One model version with its lineage hashes and metrics (JSON).
VERSION = Table(
    "model_version",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("model", String, nullable=False, index=True),
    Column("version", String, nullable=False),
    Column("created_us", Integer, nullable=False),
    Column("runtime", String, nullable=False),
    Column("artifact_uri", String, nullable=False),
    Column("code_hash", String, nullable=False, default=""),
    Column("data_hash", String, nullable=False, default=""),
    Column("config_hash", String, nullable=False, default=""),
    Column("environment_hash", String, nullable=False, default=""),
    Column("metrics_json", String, nullable=False, default="{}"),
    Column("description", String, nullable=False, default=""),
)

# Which version of a model an alias (champion, challenger) points at.
ALIAS = Table(
    "alias",
    METADATA,
    Column("model", String, primary_key=True),
    Column("alias", String, primary_key=True),
    Column("version", String, nullable=False),
)

# A version registered or an alias moved.
REGISTRY_EVENT = Table(
    "registry_event",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("at_us", Integer, nullable=False, index=True),
    Column("model", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("version", String, nullable=False),
    Column("detail_json", String, nullable=False, default="{}"),
)

# A metric series: name plus its labels (canonical JSON, unique per name).
SERIES = Table(
    "series",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False),
    Column("labels_json", String, nullable=False),
    Index("ux_series_name_labels", "name", "labels_json", unique=True),
)

# Up to one UTC day of one series' points as float64 arrays, so bulk writes stay fast.
POINT_BLOCK = Table(
    "point_block",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("series_id", Integer, nullable=False),
    Column("ts_min", Float, nullable=False),
    Column("ts_max", Float, nullable=False),
    Column("count", Integer, nullable=False),
    Column("ts_blob", LargeBinary, nullable=False),
    Column("value_blob", LargeBinary, nullable=False),
    Index("ix_point_block_series_ts", "series_id", "ts_min", "ts_max"),
)

# The stored traffic split of a model: percent per version.
TRAFFIC = Table(
    "traffic",
    METADATA,
    Column("model", String, primary_key=True),
    Column("version", String, primary_key=True),
    Column("weight", Integer, nullable=False),
)

# An incident on a model.
INCIDENT = Table(
    "incident",
    METADATA,
    Column("incident_id", String, primary_key=True),
    Column("model", String, nullable=False, index=True),
    Column("title", String, nullable=False),
    Column("severity", String, nullable=False),
    Column("opened_us", Integer, nullable=False),
    Column("closed_us", Integer, nullable=True, default=None),
)

# A recorded timeline event (note, alert, traffic change).
TIMELINE = Table(
    "timeline_event",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("at_us", Integer, nullable=False, index=True),
    Column("kind", String, nullable=False),
    Column("layer", String, nullable=False),
    Column("summary", String, nullable=False),
    Column("model", String, nullable=True, default=None),
    Column("source", String, nullable=False, default=""),
    Column("detail_json", String, nullable=False, default="{}"),
)

# One append-only audit record, chained to the previous one by sha256.
AUDIT = Table(
    "audit_log",
    METADATA,
    Column("seq", Integer, primary_key=True),
    Column("at_us", Integer, nullable=False),
    Column("user", String, nullable=False),
    Column("host", String, nullable=False),
    Column("context", String, nullable=False),
    Column("runbook", String, nullable=False),
    Column("run_id", String, nullable=False),
    Column("step", String, nullable=False),
    Column("action", String, nullable=False),
    Column("params_json", String, nullable=False),
    Column("before_json", String, nullable=False),
    Column("after_json", String, nullable=False),
    Column("outcome", String, nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("prev_hash", String, nullable=False),
    Column("record_hash", String, nullable=False),
)
