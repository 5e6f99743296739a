"""What the services need from a context: backends by role, created on first use."""

from __future__ import annotations

from typing import Any, Protocol


class BackendSource(Protocol):
    """Anything that hands out backends by role, as `console.config.Context` does."""

    @property
    def registry(self) -> Any:
        """The ModelRegistry."""
        ...

    @property
    def metrics(self) -> Any:
        """The MetricStore."""
        ...

    @property
    def serving(self) -> Any:
        """The ServingControl."""
        ...

    @property
    def incidents(self) -> Any:
        """The IncidentStore."""
        ...
