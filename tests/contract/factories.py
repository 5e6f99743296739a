"""The backends the contract suite runs against; a new backend appends a `Factory` here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends.contracts import (
    IncidentStore,
    InferenceLog,
    MetricStore,
    ModelRegistry,
    ServingControl,
    SupportsBinCounts,
    SupportsLogWrite,
    SupportsMetricWrite,
    SupportsRegister,
    SupportsRollback,
    SupportsTrafficSplit,
)


@dataclass(frozen=True)
class Factory:
    """A named way to build a fresh backend on an empty temporary directory."""

    name: str
    make: Callable[[Path], Any]
    contracts: frozenset[type]


def _embedded(path: Path) -> Any:
    """The embedded backend on a fresh workspace."""
    from backends.embedded import EmbeddedBackend

    return EmbeddedBackend(str(path / "workspace"))


EVERYTHING = frozenset(
    {
        ModelRegistry,
        SupportsRegister,
        MetricStore,
        SupportsMetricWrite,
        InferenceLog,
        SupportsLogWrite,
        SupportsBinCounts,
        ServingControl,
        SupportsTrafficSplit,
        SupportsRollback,
        IncidentStore,
    }
)


def _live_local_serving(path: Path) -> Any:
    """KServeV2Serving against a live local_serving (tests/integration/serving/live_backend.py)."""
    from tests.integration.serving.live_backend import live_local_serving

    return live_local_serving(path)


BACKEND_FACTORIES: list[Factory] = [
    Factory("embedded", _embedded, EVERYTHING),
    Factory(
        "kserve_v2+local_serving",
        _live_local_serving,
        frozenset({ServingControl, SupportsTrafficSplit, SupportsRollback, SupportsRegister}),
    ),
]


def factories_for(*contracts: type) -> list[Any]:
    """pytest params: the factories that provide every contract in `contracts`."""
    import pytest

    return [
        pytest.param(factory, id=factory.name)
        for factory in BACKEND_FACTORIES
        if set(contracts) <= factory.contracts
    ]
