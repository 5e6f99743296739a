"""A context as of a past instant: every read ends there and nothing can change.

`ReplaySource(context, at)` hands the screens the same roles a context does,
so replay feeds the same panels as live data. Each role is wrapped so no
window reaches past `at`: logged requests, metrics, timeline events,
incidents, the audit log and the registry (versions registered later are
hidden, aliases are replayed from the registry's events). The traffic split
comes from the recorded history, the `traffic_change` timeline events every
stored split change writes (the live server's admin calls included), never
from the live server. The source is read-only: the gate refuses every
mutating step (and audits the refusal, as for `--read-only`), the quick
actions say "replay is read-only", and a role's own writes raise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from backends.contracts import (
    AuditRecord,
    BackendError,
    EndpointStatus,
    FeatureStore,
    Incident,
    IncidentStore,
    InferenceLog,
    MetricStore,
    Model,
    ModelRegistry,
    NotFoundError,
    RegistryEvent,
    Series,
    TimelineEvent,
    VersionState,
)
from console.services.clock import iso_minute, utc_now

if TYPE_CHECKING:
    import pandas as pd

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
INCLUSIVE = timedelta(microseconds=1)
"""Windows are [start, end): ending at `at` plus this keeps what happened at the instant itself."""
TRAFFIC_CHANGE = "traffic_change"
READ_ONLY = "replay is read-only"


class ReplayRefused(BackendError):
    """A write asked of a replayed context: nothing was changed."""


def _refuse(what: str) -> ReplayRefused:
    """The error every write of a replayed role raises."""
    return ReplayRefused(f"{READ_ONLY}: cannot {what}; nothing was changed")


class AsOfLog:
    """The inference log up to the instant: later requests are not there yet."""

    def __init__(self, inner: InferenceLog, at: datetime) -> None:
        """Wrap `inner`, cut at `at`."""
        self.inner = inner
        self.at = at

    def window(
        self,
        model: str,
        start: datetime,
        end: datetime,
        columns: Sequence[str] | None = None,
        version: str | None = None,
    ) -> pd.DataFrame:
        """Rows in [start, min(end, at)]."""
        stop = max(start, min(end, self.at + INCLUSIVE))
        return self.inner.window(model, start, stop, columns, version)

    def time_range(self, model: str) -> tuple[datetime, datetime] | None:
        """First and last request logged before the instant, or None when none was yet.

        Just before `at`, so a window that ends at the close of the last
        request's minute ends at `at` itself when `at` is a whole minute.
        """
        span = self.inner.time_range(model)
        if span is None or span[0] >= self.at:
            return None
        return span[0], min(span[1], self.at - INCLUSIVE)


class AsOfMetrics:
    """The metric store up to the instant."""

    def __init__(self, inner: MetricStore, at: datetime) -> None:
        """Wrap `inner`, cut at `at`."""
        self.inner = inner
        self.at = at

    def metric_names(self) -> list[str]:
        """Every metric name the store holds."""
        return self.inner.metric_names()

    def query_range(
        self,
        name: str,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_s: int = 60,
    ) -> list[Series]:
        """Series in [start, min(end, at)]; nothing when the range starts after the instant."""
        stop = min(end, self.at + INCLUSIVE)
        return self.inner.query_range(name, labels, start, stop, step_s) if stop > start else []

    def quantile_range(
        self,
        histogram: str,
        quantile: float,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_s: int = 60,
    ) -> list[Series]:
        """A quantile over [start, min(end, at)]."""
        stop = min(end, self.at + INCLUSIVE)
        if stop <= start:
            return []
        return self.inner.quantile_range(histogram, quantile, labels, start, stop, step_s)


class AsOfIncidents:
    """Incidents, timeline events and the audit log as they stood at the instant; no writes."""

    def __init__(self, inner: IncidentStore, at: datetime) -> None:
        """Wrap `inner`, cut at `at`."""
        self.inner = inner
        self.at = at

    def incidents(self, model: str | None = None, open_only: bool = False) -> list[Incident]:
        """Incidents opened by the instant; one closed later was still open then."""
        then = [
            incident
            if incident.closed_at is None or incident.closed_at <= self.at
            else replace(incident, closed_at=None)  # closed later: still open at the instant
            for incident in self.inner.incidents(model, open_only=False)
            if incident.opened_at <= self.at
        ]
        return [i for i in then if i.closed_at is None] if open_only else then

    def timeline_events(
        self, model: str | None, start: datetime, end: datetime
    ) -> list[TimelineEvent]:
        """Recorded events in [start, min(end, at)]."""
        stop = min(end, self.at + INCLUSIVE)
        return self.inner.timeline_events(model, start, stop) if stop > start else []

    def audit_log(self, since_seq: int = 0) -> list[AuditRecord]:
        """The audit records written by the instant (a prefix of the chain, so it verifies)."""
        return [record for record in self.inner.audit_log(since_seq) if record.at <= self.at]

    def open_incident(self, model: str, title: str, severity: str, at: datetime) -> Incident:
        """Refused: replay writes nothing."""
        raise _refuse("open an incident")

    def add_event(self, event: TimelineEvent) -> TimelineEvent:
        """Refused: replay writes nothing."""
        raise _refuse("record a timeline event")

    def append_audit(self, record: Mapping[str, Any]) -> AuditRecord:
        """Audit an attempt made now (the gate's refusal): the log records every try."""
        return self.inner.append_audit(record)


class AsOfRegistry:
    """The registry at the instant: later versions hidden, aliases replayed from its events."""

    def __init__(self, inner: ModelRegistry, at: datetime) -> None:
        """Wrap `inner`, cut at `at`."""
        self.inner = inner
        self.at = at

    def list_models(self) -> list[Model]:
        """The models that had a version registered by the instant."""
        models = (self._as_of(model) for model in self.inner.list_models())
        return [model for model in models if model.versions]

    def get_model(self, name: str) -> Model:
        """One model as it stood; NotFoundError when it had no version yet."""
        model = self._as_of(self.inner.get_model(name))
        if not model.versions:
            raise NotFoundError(f"{name} had no version registered at {iso_minute(self.at)}")
        return model

    def registry_events(
        self, model: str | None, start: datetime, end: datetime
    ) -> list[RegistryEvent]:
        """Registry events in [start, min(end, at)]."""
        stop = min(end, self.at + INCLUSIVE)
        return self.inner.registry_events(model, start, stop) if stop > start else []

    def _as_of(self, model: Model) -> Model:
        """`model` with the versions and aliases it had at the instant."""
        versions = tuple(v for v in model.versions if v.created_at <= self.at)
        recorded = self.inner.registry_events(model.name, EPOCH, utc_now() + timedelta(days=1))
        aliases = replayed_aliases(recorded, self.at)
        if aliases is not None:
            versions = tuple(
                replace(v, aliases=tuple(a for a, held in aliases.items() if held == v.version))
                for v in versions
            )
        return replace(model, versions=versions)


def replayed_aliases(events: Sequence[RegistryEvent], at: datetime) -> dict[str, str] | None:
    """alias → version after the alias events up to `at`; None when the registry records none."""
    moves = [e for e in events if e.kind in ("alias_moved", "alias_removed")]
    if not moves:
        return None
    aliases: dict[str, str] = {}
    for event in sorted((e for e in moves if e.at <= at), key=lambda e: e.at):
        alias = str(event.detail.get("alias", ""))
        if event.kind == "alias_moved":
            aliases[alias] = event.version
        else:
            aliases.pop(alias, None)
    return aliases


class RecordedServing:
    """The traffic split at the instant, from the recorded `traffic_change` events; no writes.

    The split after the last change at or before the instant; before the first
    recorded change, the split that change started from.
    """

    def __init__(self, incidents: IncidentStore, registry: ModelRegistry, at: datetime) -> None:
        """Read the history from `incidents` (the live store), the models from `registry`."""
        self.history = incidents
        self.registry = registry
        self.at = at

    def status(self, model: str) -> EndpointStatus:
        """The recorded split of `model` at the instant; a version with traffic was being served."""
        until = self.at + INCLUSIVE
        done = self._changes(model, EPOCH, until)
        weights = _split(done[-1].detail.get("after")) if done else None
        if weights is None:
            later = self._changes(model, until, utc_now() + timedelta(days=1))
            weights = _split(later[0].detail.get("before")) if later else None
        if not weights:
            raise BackendError(
                f"no traffic split of {model} recorded at or before {iso_minute(self.at)}"
            )
        serving = tuple(VersionState(v, "ready") for v, weight in weights.items() if weight > 0)
        return EndpointStatus(model, serving, weights, healthy=True, live=False)

    def endpoints(self) -> list[EndpointStatus]:
        """Every model with a recorded split at the instant."""
        found: list[EndpointStatus] = []
        for model in self.registry.list_models():
            try:
                found.append(self.status(model.name))
            except BackendError:
                continue
        return found

    def _changes(self, model: str, start: datetime, end: datetime) -> list[TimelineEvent]:
        """The recorded split changes of `model` in [start, end), oldest first."""
        events = self.history.timeline_events(model, start, end)
        return sorted((e for e in events if e.kind == TRAFFIC_CHANGE), key=lambda e: e.at)


def _split(value: object) -> dict[str, int] | None:
    """A recorded `{version: weight}` as ints, or None when it is not one."""
    if not isinstance(value, Mapping) or not value:
        return None
    try:
        return {str(version): int(weight) for version, weight in value.items()}
    except (TypeError, ValueError):
        return None


class ReplaySource:
    """A context (or any backend source) as of `at`: the same roles, cut at the instant."""

    read_only = True

    def __init__(self, inner: Any, at: datetime) -> None:
        """Wrap the live source `inner`; its roles are wrapped when first asked for."""
        self.inner = inner
        self.at = at.astimezone(UTC)
        self.name = str(getattr(inner, "name", "vigil"))
        self.default_model: str | None = getattr(inner, "default_model", None)
        self.theme = str(getattr(inner, "theme", "textual-dark"))
        self.workspace = getattr(inner, "workspace", None)
        self.read_only_reason = f"{READ_ONLY} (as of {iso_minute(self.at)})"
        self._roles: dict[str, Any] = {}

    def backend(self, role: str) -> Any:
        """The backend for `role`, cut at the instant (what runbooks and the gate read)."""
        if role not in self._roles:
            self._roles[role] = self._wrap(role)
        return self._roles[role]

    def _wrap(self, role: str) -> Any:
        """Build the as-of wrapper of one role; roles without time (features) pass through."""
        if role == "serving":
            return RecordedServing(self.inner.incidents, self.backend("registry"), self.at)
        wrappers: dict[str, Any] = {
            "registry": AsOfRegistry,
            "metrics": AsOfMetrics,
            "inference_log": AsOfLog,
            "incidents": AsOfIncidents,
        }
        inner = getattr(self.inner, role) if hasattr(self.inner, role) else None
        if inner is None and hasattr(self.inner, "backend"):
            inner = self.inner.backend(role)
        wrapper = wrappers.get(role)
        return wrapper(inner, self.at) if wrapper is not None else inner

    @property
    def registry(self) -> ModelRegistry:
        """The registry at the instant."""
        backend: ModelRegistry = self.backend("registry")
        return backend

    @property
    def metrics(self) -> MetricStore:
        """Metrics up to the instant."""
        backend: MetricStore = self.backend("metrics")
        return backend

    @property
    def inference_log(self) -> InferenceLog:
        """Logged requests up to the instant."""
        backend: InferenceLog = self.backend("inference_log")
        return backend

    @property
    def incidents(self) -> IncidentStore:
        """Incidents, events and audit records up to the instant."""
        backend: IncidentStore = self.backend("incidents")
        return backend

    @property
    def features(self) -> FeatureStore:
        """The training references (they do not depend on the instant)."""
        backend: FeatureStore = self.backend("features")
        return backend

    @property
    def serving(self) -> RecordedServing:
        """The recorded traffic split at the instant."""
        backend: RecordedServing = self.backend("serving")
        return backend

    @property
    def retrain(self) -> Any:
        """The retraining backend (its jobs can be read; starting one is refused by the gate)."""
        return self.backend("retrain")
