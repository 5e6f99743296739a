"""How the contract suite builds each installed backend, and which contracts each one claims.

The suite is parametrised from the `vigil.backends` entry points that are
installed, not from this file: every installed entry point must have at least
one factory here (or `test_coverage.py` fails), and a factory's backend class
is the one its entry point loads. A new backend adds a `Factory` to FACTORIES.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends.contracts import (
    FeatureStore,
    IncidentStore,
    InferenceLog,
    MetricStore,
    ModelRegistry,
    RetrainTrigger,
    ServingControl,
    SupportsBinCounts,
    SupportsCompareAndSet,
    SupportsGroupCounts,
    SupportsLoad,
    SupportsLogWrite,
    SupportsMetricWrite,
    SupportsOnlineFeatures,
    SupportsRegister,
    SupportsRollback,
    SupportsStaleEvents,
    SupportsTrafficSplit,
    SupportsWindowCounts,
    SupportsWindowCoverage,
)
from backends.discovery import available, load

Build = Callable[[type[Any], Path], AbstractContextManager[Any]]


@dataclass(frozen=True)
class Factory:
    """One way to build an installed backend on an empty directory, and what it claims."""

    entry_point: str
    build: Build
    contracts: frozenset[type]
    variant: str = ""

    @property
    def name(self) -> str:
        """The test id: the entry point, and the variant when there is one."""
        return f"{self.entry_point}+{self.variant}" if self.variant else self.entry_point

    @contextlib.contextmanager
    def make(self, path: Path) -> Iterator[Any]:
        """The backend, built from its entry point's class; closed, its servers stopped, after."""
        with self.build(load(self.entry_point), path) as made:
            try:
                yield made
            finally:
                close = getattr(made, "close", None)
                if callable(close):
                    close()


@contextlib.contextmanager
def _embedded(backend_class: type[Any], path: Path) -> Iterator[Any]:
    """The embedded backend on a fresh workspace."""
    yield backend_class(str(path / "workspace"))


@contextlib.contextmanager
def _memory(backend_class: type[Any], path: Path) -> Iterator[Any]:
    """An empty in-memory backend."""
    yield backend_class()


@contextlib.contextmanager
def _live_local_serving(backend_class: type[Any], path: Path) -> Iterator[Any]:
    """The KServe V2 client against a live local_serving on an empty workspace."""
    from tests.integration.serving.live_backend import LiveLocalServing

    yield LiveLocalServing(path / "workspace", client_class=backend_class)


@contextlib.contextmanager
def _mlserver(backend_class: type[Any], path: Path) -> Iterator[Any]:
    """The KServe V2 client against a live MLServer (a foreign server: no Vigil admin API)."""
    from tests.integration.backends import launch
    from tests.integration.backends.servers import running

    with running(lambda: launch.mlserver(path / "mlserver")) as server:
        yield backend_class(server.url, timeout_s=10)


@contextlib.contextmanager
def _triton(backend_class: type[Any], path: Path) -> Iterator[Any]:
    """The KServe V2 client against a live Triton (explicit model control: repository loads)."""
    from tests.integration.backends import launch
    from tests.integration.backends.servers import running

    with running(lambda: launch.triton(path / "triton", {"doubler": 2.0})) as server:
        yield backend_class(server.url, timeout_s=10)


@contextlib.contextmanager
def _mlflow(backend_class: type[Any], path: Path) -> Iterator[Any]:
    """The MLflow registry against a live MLflow server (sqlite store) started for the test."""
    from tests.integration.backends import launch
    from tests.integration.backends.servers import running

    with running(lambda: launch.mlflow(path / "mlflow")) as server:
        yield backend_class(server.url, timeout_s=10)


@contextlib.contextmanager
def _torchserve(backend_class: type[Any], path: Path) -> Iterator[Any]:
    """The TorchServe backend against a live TorchServe (no model) started for the test."""
    from tests.integration.backends import launch
    from tests.integration.backends.servers import running

    with running(lambda: launch.torchserve(path / "torchserve")) as server:
        yield backend_class(server.url, inference_url=server.extra["inference_url"])


@contextlib.contextmanager
def _prometheus(backend_class: type[Any], path: Path) -> Iterator[Any]:
    """The Prometheus metric store against a live Prometheus (scraping nothing) started here."""
    from tests.integration.backends import launch
    from tests.integration.backends.servers import running

    with running(lambda: launch.prometheus(path / "prometheus", ["127.0.0.1:9"])) as server:
        yield backend_class(server.url, scrape_interval_s=1)


@contextlib.contextmanager
def _sql_duckdb(backend_class: type[Any], path: Path) -> Iterator[Any]:
    """The SQL log on DuckDB views of a fresh workspace's Parquet, writing through the workspace."""
    from tests.integration.sql.over_workspace import duckdb_url, over_workspace

    with over_workspace(backend_class, path / "sql", duckdb_url(path / "sql")) as made:
        yield made


@contextlib.contextmanager
def _sql_spark(backend_class: type[Any], path: Path) -> Iterator[Any]:
    """The SQL log on Spark SQL (Thrift endpoint, local mode, one per session) over a workspace."""
    from tests.integration.sql.over_workspace import over_workspace
    from tests.integration.sql.spark import NOSASL, shared_thrift

    server = shared_thrift()
    with over_workspace(backend_class, path / "sql", server.url, "spark", NOSASL) as made:
        yield made


@contextlib.contextmanager
def _feast(backend_class: type[Any], path: Path) -> Iterator[Any]:
    """The Feast feature store against a live `feast serve` (local provider) started here."""
    from datetime import UTC, datetime

    from tests.integration.backends import launch
    from tests.integration.backends.servers import running

    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    with running(lambda: launch.feast(path / "feast", now)) as server:
        features = {"fraud": ["account_stats:amount_mean"]}
        yield backend_class(server.url, features, entities={"account_id": [1]})


@contextlib.contextmanager
def _local_retrain(backend_class: type[Any], path: Path) -> Iterator[Any]:
    """Local retraining jobs on an empty workspace (a job there fails: nothing to train on)."""
    yield backend_class(str(path / "workspace"))


@contextlib.contextmanager
def _webhook(backend_class: type[Any], path: Path) -> Iterator[Any]:
    """The webhook trigger against a training pipeline served on 127.0.0.1 by the test."""
    from tests.contract.pipeline import running_pipeline

    with running_pipeline() as pipeline:
        yield backend_class(pipeline.url, token_env=pipeline.token_env, timeout_s=10)


STORE = frozenset(
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
        SupportsCompareAndSet,
        FeatureStore,
        IncidentStore,
    }
)

SQL_LOG = frozenset(
    {
        InferenceLog,
        SupportsBinCounts,
        SupportsWindowCounts,
        SupportsWindowCoverage,
        SupportsGroupCounts,
        SupportsLogWrite,
        SupportsRegister,
    }
)

FACTORIES: tuple[Factory, ...] = (
    Factory("embedded", _embedded, STORE),
    Factory("memory", _memory, STORE | {SupportsLoad, RetrainTrigger}),
    Factory(
        "kserve_v2",
        _live_local_serving,
        frozenset(
            {
                ServingControl,
                SupportsTrafficSplit,
                SupportsRollback,
                SupportsCompareAndSet,
                SupportsLoad,
                SupportsRegister,
            }
        ),
        variant="local_serving",
    ),
    Factory("kserve_v2", _mlserver, frozenset({ServingControl}), variant="mlserver"),
    Factory("kserve_v2", _triton, frozenset({ServingControl, SupportsLoad}), variant="triton"),
    Factory("mlflow", _mlflow, frozenset({ModelRegistry})),
    Factory("torchserve", _torchserve, frozenset({ServingControl, SupportsRollback, SupportsLoad})),
    Factory("prometheus", _prometheus, frozenset({MetricStore})),
    Factory("sql", _sql_duckdb, SQL_LOG, variant="duckdb"),
    Factory("sql", _sql_spark, SQL_LOG, variant="spark"),
    Factory(
        "feast", _feast, frozenset({FeatureStore, SupportsStaleEvents, SupportsOnlineFeatures})
    ),
    Factory("local_retrain", _local_retrain, frozenset({RetrainTrigger})),
    Factory("webhook", _webhook, frozenset({RetrainTrigger})),
)


def installed_factories() -> list[Factory]:
    """The factories whose entry point is installed, in FACTORIES order."""
    installed = available()
    return [factory for factory in FACTORIES if factory.entry_point in installed]


def factories_for(*contracts: type) -> list[Any]:
    """pytest params: the installed backends' factories that claim every one of `contracts`."""
    import pytest

    return [
        pytest.param(factory, id=factory.name)
        for factory in installed_factories()
        if set(contracts) <= factory.contracts
    ]
