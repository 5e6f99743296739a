"""The contracts between Vigil and the systems it reads and acts on.

Each contract is a `typing.Protocol`; a backend implements one or more of them.
Optional features are small capability protocols (`SupportsTrafficSplit`, ...)
checked with `isinstance`, so the UI offers an action only when the backend
can do it. Values crossing a contract are plain frozen dataclasses, pandas
frames or numpy arrays; times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

Layer = Literal["infrastructure", "data", "model", "business"]
STAGES: tuple[str, ...] = (
    "network",
    "feature_fetch",
    "parse",
    "inference",
    "postprocess",
    "serialize",
)


class BackendError(Exception):
    """A backend could not answer: down, timed out, or refused. Degrades one panel."""


class NotFoundError(BackendError):
    """The model, version, job or record asked for does not exist."""


class TrafficConflict(BackendError):
    """A compare-and-set change was refused: the split is no longer the one the caller saw."""

    def __init__(self, message: str, current: EndpointStatus | None = None) -> None:
        """The reason, and the split the server holds now when it said."""
        super().__init__(message)
        self.current = current


# --- registry ---------------------------------------------------------------


@dataclass(frozen=True)
class Lineage:
    """What produced a model version: hashes of code, data, config and environment."""

    code_hash: str
    data_hash: str
    config_hash: str
    environment_hash: str


@dataclass(frozen=True)
class ModelVersion:
    """One registered version of a model and where its artifact lives."""

    model: str
    version: str
    created_at: datetime
    runtime: Literal["onnx", "torch"]
    artifact_uri: str
    lineage: Lineage
    aliases: tuple[str, ...] = ()
    metrics: Mapping[str, float] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class Model:
    """A model with its versions, the task it solves and its latency SLO."""

    name: str
    task: Literal["binary-classification", "regression", "multiclass"]
    versions: tuple[ModelVersion, ...]
    description: str = ""
    slo_p99_ms: float | None = None
    features: tuple[FeatureSpec, ...] = ()
    latency_budget_ms: Mapping[str, float] = field(default_factory=dict)

    def alias(self, alias: str) -> ModelVersion | None:
        """The version that carries `alias`, if any."""
        return next((v for v in self.versions if alias in v.aliases), None)


@dataclass(frozen=True)
class FeatureSpec:
    """A model input: its name and whether it is numeric or categorical."""

    name: str
    kind: Literal["numeric", "categorical"]


@dataclass(frozen=True)
class RegistryEvent:
    """A registry change: a version registered or an alias moved."""

    at: datetime
    model: str
    kind: Literal["version_registered", "alias_moved", "alias_removed"]
    version: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class ModelRegistry(Protocol):
    """Models, versions, aliases, lineage and registry events."""

    def list_models(self) -> list[Model]:
        """Every model with its versions."""
        ...

    def get_model(self, name: str) -> Model:
        """One model; raises NotFoundError."""
        ...

    def registry_events(
        self, model: str | None, start: datetime, end: datetime
    ) -> list[RegistryEvent]:
        """Registry events in [start, end), oldest first."""
        ...


@runtime_checkable
class SupportsRegister(Protocol):
    """A registry that accepts new versions and alias moves."""

    def register_version(self, version: ModelVersion, *, model_task: str = "") -> ModelVersion:
        """Record a new version (creating the model if needed)."""
        ...

    def set_alias(self, model: str, alias: str, version: str) -> RegistryEvent:
        """Point `alias` at `version`, taking it from any other version."""
        ...


# --- metrics ------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One time series: a metric name, its labels, timestamps (epoch s) and values."""

    name: str
    labels: Mapping[str, str]
    timestamps: np.ndarray
    values: np.ndarray


@runtime_checkable
class MetricStore(Protocol):
    """Time series by name and label matchers over a range."""

    def metric_names(self) -> list[str]:
        """Every metric name the store holds."""
        ...

    def query_range(
        self,
        name: str,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_s: int = 60,
    ) -> list[Series]:
        """Series whose labels include `labels`, sampled every `step_s` seconds."""
        ...

    def quantile_range(
        self,
        histogram: str,
        quantile: float,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_s: int = 60,
    ) -> list[Series]:
        """A histogram quantile over time (p99 of a stage latency, say)."""
        ...


@runtime_checkable
class SupportsMetricWrite(Protocol):
    """A metric store that accepts points (the embedded store, for rollups)."""

    def write_points(self, frame: pd.DataFrame) -> int:
        """Append rows with columns name, labels (dict), ts (epoch s), value."""
        ...


# --- features and inference log ------------------------------------------------


@runtime_checkable
class FeatureStore(Protocol):
    """Reference (training) samples of features and their freshness."""

    def reference(self, model: str, version: str | None = None) -> pd.DataFrame:
        """The reference sample a version was trained on (features, label)."""
        ...

    def freshness(self, model: str) -> Mapping[str, datetime]:
        """When each feature was last updated."""
        ...


@runtime_checkable
class SupportsStaleEvents(Protocol):
    """A feature store that knows which features were stale at an instant (for the timeline)."""

    def stale_events(self, model: str, now: datetime) -> list[TimelineEvent]:
        """One `data`-layer event per stale feature (or feature view) of the model at `now`."""
        ...


@runtime_checkable
class SupportsOnlineFeatures(Protocol):
    """A feature store serving each entity's current feature values (the requests drill-down)."""

    def entity_keys(self, model: str) -> tuple[str, ...]:
        """The join keys the model's features are looked up by (columns of a logged request)."""
        ...

    def online_features(self, model: str, entities: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
        """One row per entity: the join keys, then the model's features (missing = NaN)."""
        ...


@runtime_checkable
class InferenceLog(Protocol):
    """Sampled production requests: features, score, version, stage timings, labels.

    A window has columns `ts` (UTC datetime), `request_id`, `version`, one per
    feature, `score`, `prediction`, `label` (NaN until it arrives) and
    `<stage>_ms` for each stage in STAGES that was measured.
    """

    def window(
        self,
        model: str,
        start: datetime,
        end: datetime,
        columns: Sequence[str] | None = None,
        version: str | None = None,
    ) -> pd.DataFrame:
        """Rows logged in [start, end), optionally only some columns or one version."""
        ...

    def time_range(self, model: str) -> tuple[datetime, datetime] | None:
        """First and last timestamp logged for the model, or None when empty."""
        ...


@runtime_checkable
class SupportsLogWrite(Protocol):
    """An inference log that accepts rows and late labels."""

    def append(self, model: str, rows: pd.DataFrame) -> int:
        """Append logged requests; returns how many were written."""
        ...

    def add_labels(self, model: str, labels: pd.DataFrame) -> int:
        """Attach late labels (columns request_id, label); returns how many matched."""
        ...


@runtime_checkable
class SupportsBinCounts(Protocol):
    """A log that counts values into bins where the data lives (SQL, Prometheus)."""

    def bin_counts(
        self,
        model: str,
        feature: str,
        edges: np.ndarray,
        start: datetime,
        end: datetime,
    ) -> np.ndarray:
        """Counts per bin for `edges` (len(edges)+1 open bins, then a missing bin)."""
        ...


@runtime_checkable
class SupportsWindowCounts(Protocol):
    """A log that counts a whole window into the reference's bins where the data lives.

    Drift then needs only counts: Vigil sends each feature's reference edges
    (numeric) or categories (an array of strings) and receives, per feature,
    the counts and how many values were infinite; never the rows.
    """

    def window_bin_counts(
        self,
        model: str,
        edges: Mapping[str, np.ndarray],
        start: datetime,
        end: datetime,
        version: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> dict[str, tuple[np.ndarray, int]]:
        """Per feature: (counts, infinite) in [start, end), one query per window where possible.

        Numeric edges give len(edges)+1 open bins (±inf in the outer ones), then
        missing; categories give one count per category, then unseen, then missing.
        `where` keeps only rows whose (text) columns equal the values: a slice.
        """
        ...


@runtime_checkable
class SupportsWindowCoverage(Protocol):
    """A log that says where the data of a window lies without returning its rows (gaps)."""

    def window_minutes(
        self,
        model: str,
        start: datetime,
        end: datetime,
        version: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> list[tuple[int, datetime, datetime]]:
        """Per UTC minute holding rows of [start, end), oldest first: rows, first and last time."""
        ...

    def widest_gap(
        self,
        model: str,
        start: datetime,
        end: datetime,
        version: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> tuple[datetime, datetime] | None:
        """The widest time between two consecutive rows (earliest of ties); None under 2 rows."""
        ...


@dataclass(frozen=True)
class RowValue:
    """The per-row value grouped counts sum; a row without it (no label yet) is left out.

    `error`: 1 where prediction != label, else 0; `squared_error`:
    (`column` − label)²; `column`: a numeric column as it is (a score, a latency);
    `rows`: 1 for every row (a profile of every row, labelled or not).
    """

    kind: Literal["error", "squared_error", "column", "rows"]
    column: str = ""


@dataclass(frozen=True)
class GroupKey:
    """A column to group by: binned at ascending `edges` (bin i is [e[i-1], e[i])), or by value."""

    column: str
    numeric: bool
    edges: tuple[float, ...] | None = None


@dataclass(frozen=True)
class ColumnProfile:
    """A column over the rows that have a value: distinct values, missing ones, quantiles."""

    distinct: int
    distinct_finite: int
    missing: int
    quantiles: tuple[float, ...] = ()


@dataclass(frozen=True)
class GroupProfile:
    """Rows and rows with a value per window, and each column's profile over all the windows."""

    rows: tuple[int, ...]
    valued: tuple[int, ...]
    columns: Mapping[str, ColumnProfile]


@runtime_checkable
class SupportsGroupCounts(Protocol):
    """A log that computes the grouped counts of slices and accuracy where the data lives.

    Slices need, per group of one or two columns, the rows with a value, the
    value's sum and its sum of squares; Vigil ranks slices from those and
    never receives the rows.
    """

    def group_profile(
        self,
        model: str,
        windows: Sequence[tuple[datetime, datetime]],
        kinds: Mapping[str, Literal["numeric", "categorical"]],
        value: RowValue,
        quantiles: Sequence[float],
        version: str | None = None,
    ) -> GroupProfile:
        """Each column's distinct values, missing ones and (numeric) exact finite quantiles."""
        ...

    def grouped_counts(
        self,
        model: str,
        start: datetime,
        end: datetime,
        keys: Sequence[GroupKey],
        sets: Sequence[tuple[str, ...]],
        value: RowValue,
        version: str | None = None,
    ) -> list[pd.DataFrame]:
        """Per grouping set: its key columns (bin or value; None when missing), n, total, squares.

        One statement per window where the engine allows (GROUPING SETS).
        """
        ...

    def slice_rows(
        self,
        model: str,
        start: datetime,
        end: datetime,
        where: Sequence[tuple[str, str, str]],
        version: str | None = None,
    ) -> pd.DataFrame:
        """A slice's rows in [start, end), oldest first: the drill-down, filtered by the engine.

        `where` holds (column, op, value): `==` a value as text, `in` "[low, high)",
        `is` "missing".
        """
        ...


@dataclass(frozen=True)
class BucketCounts:
    """A histogram's observations per bucket in a window: finite upper edges, then the +Inf bin.

    `insufficient` says why there are no counts (a window shorter than two
    scrapes, no such histogram); the counts are then empty.
    """

    edges: tuple[float, ...]
    counts: tuple[float, ...]
    window_s: float
    insufficient: str = ""


@runtime_checkable
class SupportsBucketCounts(Protocol):
    """A metric store that counts a histogram's observations per bucket (drift from buckets)."""

    def bucket_counts(
        self, histogram: str, labels: Mapping[str, str], start: datetime, end: datetime
    ) -> BucketCounts:
        """Observations per bucket in [start, end), counted by the store over its fixed edges."""
        ...


# --- serving ------------------------------------------------------------------


@dataclass(frozen=True)
class VersionState:
    """A version as a server holds it: loaded or not, and on which runtime."""

    version: str
    state: Literal["ready", "loading", "unloaded", "failed"]
    runtime: str = ""


@dataclass(frozen=True)
class EndpointStatus:
    """A served model: its versions, the traffic split (percent) and its health."""

    model: str
    versions: tuple[VersionState, ...]
    weights: Mapping[str, int]
    healthy: bool
    url: str = ""
    live: bool = True
    generation: int | None = None


@runtime_checkable
class ServingControl(Protocol):
    """Served endpoints, the versions loaded and the traffic split."""

    def endpoints(self) -> list[EndpointStatus]:
        """Every served model."""
        ...

    def status(self, model: str) -> EndpointStatus:
        """One served model; raises NotFoundError."""
        ...


@runtime_checkable
class SupportsTrafficSplit(Protocol):
    """A server whose traffic weights can be set."""

    def set_weights(self, model: str, weights: Mapping[str, int]) -> EndpointStatus:
        """Set integer percent weights summing to 100, atomically."""
        ...


@runtime_checkable
class SupportsCompareAndSet(Protocol):
    """A server that changes a split only while it is still the one the caller read."""

    def set_weights_if(
        self, model: str, weights: Mapping[str, int], expected: EndpointStatus
    ) -> EndpointStatus:
        """Set the split only while `expected` holds (generation, else weights); else conflict."""
        ...

    def rollback_if(self, model: str, to_version: str, expected: EndpointStatus) -> EndpointStatus:
        """Route 100 % to `to_version` only while `expected` holds; else TrafficConflict."""
        ...


@runtime_checkable
class SupportsRollback(Protocol):
    """A server that can send all traffic back to one version at once."""

    def rollback(self, model: str, to_version: str) -> EndpointStatus:
        """Route 100 % to `to_version`."""
        ...


@runtime_checkable
class SupportsLoad(Protocol):
    """A server that can load and unload versions."""

    def load(self, model: str, version: str) -> EndpointStatus:
        """Load (and warm up) a version; it takes no traffic until weighted."""
        ...

    def unload(self, model: str, version: str) -> EndpointStatus:
        """Unload a version that has no weight."""
        ...


# --- retraining ---------------------------------------------------------------


@dataclass(frozen=True)
class RetrainJob:
    """A retraining job and how far it got."""

    job_id: str
    model: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    progress: float = 0.0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    new_version: str | None = None
    message: str = ""


@runtime_checkable
class RetrainTrigger(Protocol):
    """Start a retraining job and follow it."""

    def start(self, model: str, reason: str, params: Mapping[str, Any]) -> RetrainJob:
        """Start a job; returns at once."""
        ...

    def job(self, job_id: str) -> RetrainJob:
        """The job's current state."""
        ...

    def cancel(self, job_id: str) -> RetrainJob:
        """Ask the job to stop."""
        ...


# --- incidents and audit ------------------------------------------------------


@dataclass(frozen=True)
class Incident:
    """An incident: what, on which model, how severe, when."""

    incident_id: str
    model: str
    title: str
    severity: Literal["P0", "P1", "P2", "P3"]
    opened_at: datetime
    closed_at: datetime | None = None


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened, tagged with the layer it belongs to."""

    at: datetime
    kind: str
    layer: Layer
    summary: str
    model: str | None = None
    source: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditRecord:
    """One audited action, chained to the previous record by hash."""

    seq: int
    at: datetime
    user: str
    host: str
    context: str
    runbook: str
    run_id: str
    step: str
    action: str
    params: Mapping[str, Any]
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    outcome: str
    duration_s: float
    prev_hash: str
    record_hash: str


@runtime_checkable
class IncidentStore(Protocol):
    """Incidents, timeline events and notes, and the append-only audit log."""

    def incidents(self, model: str | None = None, open_only: bool = False) -> list[Incident]:
        """Incidents, newest first."""
        ...

    def open_incident(self, model: str, title: str, severity: str, at: datetime) -> Incident:
        """Record a new incident."""
        ...

    def timeline_events(
        self, model: str | None, start: datetime, end: datetime
    ) -> list[TimelineEvent]:
        """Recorded events (alerts, notes, traffic changes) in [start, end), oldest first."""
        ...

    def add_event(self, event: TimelineEvent) -> TimelineEvent:
        """Record an event (a note, an alert, a traffic change)."""
        ...

    def append_audit(self, record: Mapping[str, Any]) -> AuditRecord:
        """Append an audit record; the store assigns seq, prev_hash and record_hash."""
        ...

    def audit_log(self, since_seq: int = 0) -> list[AuditRecord]:
        """Audit records with seq > since_seq, oldest first."""
        ...
