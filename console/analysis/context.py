"""The backends an analysis reads, by role: the seams between the analysis and a context."""

from __future__ import annotations

from typing import Protocol

from backends.contracts import FeatureStore, IncidentStore, InferenceLog, MetricStore, ModelRegistry


class Sources(Protocol):
    """What most analyses read: the registry, the log, the metrics and the incident store."""

    @property
    def registry(self) -> ModelRegistry:
        """Models, versions and registry events."""
        ...

    @property
    def inference_log(self) -> InferenceLog:
        """Logged requests."""
        ...

    @property
    def metrics(self) -> MetricStore:
        """Time series."""
        ...

    @property
    def incidents(self) -> IncidentStore:
        """Incidents, recorded events and the audit log."""
        ...


class AnalysisContext(Sources, Protocol):
    """What drift needs on top: the training references (a `console.config.Context` fits)."""

    @property
    def features(self) -> FeatureStore:
        """Training references."""
        ...
