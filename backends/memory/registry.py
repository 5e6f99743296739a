"""ModelRegistry and SupportsRegister in memory: versions, aliases with one holder, events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from backends.contracts import FeatureSpec, Model, ModelVersion, NotFoundError, RegistryEvent
from backends.memory.base import MemoryState, ModelEntry

TASKS = ("binary-classification", "regression", "multiclass")
RUNTIMES = ("onnx", "torch")


class MemoryRegistry(MemoryState):
    """Models, versions, aliases and registry events held in dictionaries."""

    def __init__(self) -> None:
        """No models, no events."""
        super().__init__()
        self._registry_events: list[RegistryEvent] = []

    def list_models(self) -> list[Model]:
        """Every model with its versions, by name."""
        self._check("registry")
        with self._lock:
            return [self._model(entry) for _, entry in sorted(self._models.items())]

    def get_model(self, name: str) -> Model:
        """One model; raises NotFoundError."""
        self._check("registry")
        with self._lock:
            return self._model(self._entry(name))

    def registry_events(
        self, model: str | None, start: datetime, end: datetime
    ) -> list[RegistryEvent]:
        """Registry events in [start, end), oldest first."""
        self._check("registry")
        with self._lock:
            events = [
                e
                for e in self._registry_events
                if start <= e.at < end and (model is None or e.model == model)
            ]
        return sorted(events, key=lambda e: e.at)

    def upsert_model(
        self,
        name: str,
        task: str = "binary-classification",
        description: str = "",
        slo_p99_ms: float | None = None,
        features: Sequence[FeatureSpec] = (),
        latency_budget_ms: Mapping[str, float] | None = None,
    ) -> Model:
        """Create or update a model's task, description, SLO, features and latency budget."""
        self._check("registry")
        if not name:
            raise ValueError("model name must not be empty")
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r} (expected one of {', '.join(TASKS)})")
        with self._lock:
            entry = self._models.setdefault(name, ModelEntry(name, task))
            entry.task, entry.description, entry.slo_p99_ms = task, description, slo_p99_ms
            entry.features = tuple(features)
            entry.latency_budget_ms = dict(latency_budget_ms or {})
            return self._model(entry)

    def register_version(self, version: ModelVersion, *, model_task: str = "") -> ModelVersion:
        """Record a new version (creating the model with `model_task`), then its aliases."""
        self._check("registry")
        if version.runtime not in RUNTIMES:
            raise ValueError(f"unknown runtime {version.runtime!r} (expected onnx or torch)")
        if not version.model or not version.version:
            raise ValueError("a version needs a model name and a version string")
        with self._lock:
            if version.model not in self._models:
                self.upsert_model(version.model, model_task or "binary-classification")
            entry = self._models[version.model]
            if version.version in entry.versions:
                raise ValueError(f"{version.model} version {version.version} is already registered")
            entry.versions[version.version] = replace(version, aliases=())
            self._registry_events.append(
                RegistryEvent(
                    version.created_at, version.model, "version_registered", version.version
                )
            )
            for alias in version.aliases:
                self._move_alias(entry, alias, version.version, version.created_at)
            self._version_registered(version.model, version.version)
            return self._with_aliases(entry, entry.versions[version.version])

    def set_alias(self, model: str, alias: str, version: str) -> RegistryEvent:
        """Point `alias` at `version`, taking it from any other version."""
        self._check("registry")
        if not alias:
            raise ValueError("alias must not be empty")
        with self._lock:
            entry = self._entry(model)
            if version not in entry.versions:
                raise NotFoundError(f"{model} has no version {version!r}")
            self._record("set_alias", f"{alias}={version}")
            return self._move_alias(entry, alias, version, self.now())

    def _move_alias(
        self, entry: ModelEntry, alias: str, version: str, at: datetime
    ) -> RegistryEvent:
        """Move an alias (one holder only) and record the event; a no-op records none."""
        detail = {"alias": alias, "from": entry.aliases.get(alias)}
        event = RegistryEvent(at, entry.name, "alias_moved", version, detail)
        if entry.aliases.get(alias) != version:
            entry.aliases[alias] = version
            self._registry_events.append(event)
        return event

    def _version_registered(self, model: str, version: str) -> None:
        """A hook for the serving part: a new version is loaded and takes no traffic."""

    def _model(self, entry: ModelEntry) -> Model:
        """The contract's Model for an entry, versions oldest first."""
        versions = sorted(entry.versions.values(), key=lambda v: (v.created_at, v.version))
        return Model(
            name=entry.name,
            task=entry.task,  # type: ignore[arg-type]
            versions=tuple(self._with_aliases(entry, v) for v in versions),
            description=entry.description,
            slo_p99_ms=entry.slo_p99_ms,
            features=entry.features,
            latency_budget_ms=dict(entry.latency_budget_ms),
        )

    @staticmethod
    def _with_aliases(entry: ModelEntry, version: ModelVersion) -> ModelVersion:
        """A version carrying the aliases that point at it now."""
        held = tuple(a for a, holder in entry.aliases.items() if holder == version.version)
        return replace(version, aliases=held)
