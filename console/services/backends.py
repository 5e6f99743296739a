"""What the services need from a context: backends by role, created on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from backends.contracts import IncidentStore, MetricStore, ModelRegistry, ServingControl


class BackendSource(Protocol):
    """Anything that hands out backends by role, as `console.config.Context` does."""

    @property
    def registry(self) -> ModelRegistry:
        """The ModelRegistry."""
        ...

    @property
    def metrics(self) -> MetricStore:
        """The MetricStore."""
        ...

    @property
    def serving(self) -> ServingControl:
        """The ServingControl."""
        ...

    @property
    def incidents(self) -> IncidentStore:
        """The IncidentStore."""
        ...
