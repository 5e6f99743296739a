"""An in-memory system for engine tests: registry, serving, metrics, incidents and retraining."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from backends.audit_chain import GENESIS, compute_hash
from backends.contracts import (
    AuditRecord,
    EndpointStatus,
    FeatureSpec,
    Lineage,
    Model,
    ModelVersion,
    NotFoundError,
    RegistryEvent,
    RetrainJob,
    Series,
    TimelineEvent,
    VersionState,
)
from runbooks.engine import Environment

MODEL = "fraud-detector"
Metric = Callable[[str, Mapping[str, str]], float | None]


@dataclass
class FakeSystem:
    """Every contract the engine uses, in memory; metrics come from a function."""

    weights: dict[str, int] = field(default_factory=lambda: {"1": 100})
    aliases: dict[str, str] = field(default_factory=lambda: {"champion": "1", "challenger": "2"})
    versions: list[str] = field(default_factory=lambda: ["1", "2"])
    loaded: dict[str, str] = field(default_factory=lambda: {"1": "ready", "2": "unloaded"})
    metric: Metric = lambda name, labels: 0.0
    audit: list[AuditRecord] = field(default_factory=list)
    events: list[TimelineEvent] = field(default_factory=list)
    jobs: dict[str, RetrainJob] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    moves: list[RegistryEvent] = field(default_factory=list)

    # registry
    def get_model(self, name: str) -> Model:
        """The one model, with aliases as they stand."""
        if name != MODEL:
            raise NotFoundError(f"no model {name!r}")
        now = datetime.now(UTC)
        versions = tuple(
            ModelVersion(
                MODEL,
                v,
                now,
                "onnx",
                "",
                Lineage("c", "d", "f", "e"),
                aliases=tuple(a for a, holder in self.aliases.items() if holder == v),
                metrics={"accuracy": 0.95},
            )
            for v in self.versions
        )
        features = (FeatureSpec("amount", "numeric"), FeatureSpec("merchant", "categorical"))
        return Model(MODEL, "binary-classification", versions, features=features)

    def set_alias(self, model: str, alias: str, version: str) -> RegistryEvent:
        """Move an alias, recording the move as a registry would."""
        self.calls.append(f"set_alias {alias}={version}")
        detail = {"alias": alias, "from": self.aliases.get(alias)}
        self.aliases[alias] = version
        event = RegistryEvent(datetime.now(UTC), model, "alias_moved", version, detail)
        self.moves.append(event)
        return event

    def registry_events(
        self, model: str | None, start: datetime, end: datetime
    ) -> list[RegistryEvent]:
        """Alias moves recorded so far."""
        return [e for e in self.moves if start <= e.at < end]

    def register_version(self, version: ModelVersion, *, model_task: str = "") -> ModelVersion:
        """Add a version."""
        self.versions.append(version.version)
        return version

    # serving
    def status(self, model: str) -> EndpointStatus:
        """The split and what is loaded."""
        self.get_model(model)
        states = tuple(VersionState(v, s) for v, s in self.loaded.items())  # type: ignore[arg-type]
        return EndpointStatus(model, states, dict(self.weights), True)

    def endpoints(self) -> list[EndpointStatus]:
        """The one endpoint."""
        return [self.status(MODEL)]

    def set_weights(self, model: str, weights: Mapping[str, int]) -> EndpointStatus:
        """Set the split, as a server would: only weighted versions are kept."""
        self.calls.append(f"set_weights {dict(weights)}")
        assert sum(weights.values()) == 100
        self.weights = {k: v for k, v in weights.items() if v}
        return self.status(model)

    def rollback(self, model: str, to_version: str) -> EndpointStatus:
        """All traffic to one version."""
        self.calls.append(f"rollback {to_version}")
        self.weights = {to_version: 100}
        return self.status(model)

    def load(self, model: str, version: str) -> EndpointStatus:
        """Mark a version ready."""
        self.calls.append(f"load {version}")
        self.loaded[version] = "ready"
        return self.status(model)

    def unload(self, model: str, version: str) -> EndpointStatus:
        """Mark a version unloaded."""
        self.loaded[version] = "unloaded"
        return self.status(model)

    # metrics
    def metric_names(self) -> list[str]:
        """No fixed names: values come from `metric`."""
        return []

    def query_range(
        self,
        name: str,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_s: int = 60,
    ) -> list[Series]:
        """One point from `metric`, or no series when it answers None."""
        value = self.metric(name, labels)
        if value is None:
            return []
        return [Series(name, dict(labels), np.array([end.timestamp()]), np.array([value]))]

    def quantile_range(
        self,
        histogram: str,
        quantile: float,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_s: int = 60,
    ) -> list[Series]:
        """The quantile as a metric named `<histogram>:p<q>`."""
        return self.query_range(f"{histogram}:p{quantile:g}", labels, start, end, step_s)

    # incidents
    def append_audit(self, record: Mapping[str, Any]) -> AuditRecord:
        """Chain the record by hash, as a real store does."""
        prev = self.audit[-1].record_hash if self.audit else GENESIS
        fields = {**record, "seq": len(self.audit) + 1, "prev_hash": prev}
        fields["record_hash"] = compute_hash(prev, fields)
        stored = AuditRecord(**fields)
        self.audit.append(stored)
        return stored

    def audit_log(self, since_seq: int = 0) -> list[AuditRecord]:
        """Records after `since_seq`."""
        return [r for r in self.audit if r.seq > since_seq]

    def add_event(self, event: TimelineEvent) -> TimelineEvent:
        """Keep a timeline event."""
        self.events.append(event)
        return event

    # retraining
    _ids = itertools.count(1)

    def start(self, model: str, reason: str, params: Mapping[str, Any]) -> RetrainJob:
        """A job that succeeds on its first poll, registering a new challenger."""
        job = RetrainJob(f"job-{next(self._ids)}", model, "running", 0.0)
        self.jobs[job.job_id] = job
        self.calls.append(f"retrain {reason} {dict(params)}")
        return job

    def job(self, job_id: str) -> RetrainJob:
        """Finish the job: register version 3 as challenger."""
        job = self.jobs[job_id]
        if job.status == "running":
            new = str(len(self.versions) + 1)
            self.versions.append(new)
            self.loaded[new] = "unloaded"
            self.aliases["challenger"] = new
            job = replace(job, status="succeeded", progress=1.0, new_version=new)
            self.jobs[job_id] = job
        return job

    def cancel(self, job_id: str) -> RetrainJob:
        """Cancel a job."""
        job = replace(self.jobs[job_id], status="cancelled")
        self.jobs[job_id] = job
        return job


@dataclass
class ScriptedHuman:
    """A confirmer at a terminal that gives the answers it was told to, and records prompts."""

    answers: list[str]
    prompts: list[str] = field(default_factory=list)

    def interactive(self) -> bool:
        """A human is there."""
        return True

    def confirm(self, prompt: str, *, require: str | None = None) -> bool:
        """Answer the next scripted answer."""
        self.prompts.append(prompt)
        answer = self.answers.pop(0) if self.answers else ""
        return answer == require if require is not None else answer.lower() in ("y", "yes")


def environment(
    system: FakeSystem,
    state_dir: Path,
    *,
    context: str = "staging",
    read_only: bool = False,
    assume_yes: bool = True,
    confirmer: Any = None,
    drift: Any = None,
    sleep: Callable[[float], None] = lambda seconds: None,
) -> tuple[Environment, list[str]]:
    """An Environment over the fake system; returns it and the list its output goes to."""
    lines: list[str] = []
    kwargs: dict[str, Any] = {}
    if confirmer is not None:
        kwargs["confirmer"] = confirmer
    env = Environment(
        context=context,
        read_only=read_only,
        backend=lambda role: system,
        state_dir=state_dir,
        assume_yes=assume_yes,
        drift=drift,
        out=lines.append,
        sleep=sleep,
        **kwargs,
    )
    return env, lines
