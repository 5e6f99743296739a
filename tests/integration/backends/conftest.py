"""Session-wide real servers for the backend tests, each started once and stopped by PID."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.backends import launch
from tests.integration.backends.servers import Server, running


@pytest.fixture(scope="session")
def mlserver_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """MLServer with one model, `doubler` version 1."""
    with running(lambda: launch.mlserver(tmp_path_factory.mktemp("mlserver"))) as server:
        yield server


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """An MLflow tracking server (sqlite store); each test registers its own models."""
    with running(lambda: launch.mlflow(tmp_path_factory.mktemp("mlflow"))) as server:
        yield server


@pytest.fixture(scope="session")
def torchserve_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """TorchServe holding `tiny` versions 1 (x * 1) and 2 (x * 2), one worker each."""
    folder = tmp_path_factory.mktemp("torchserve")
    with running(lambda: launch.torchserve(folder)) as server:
        launch.serve_tiny(server)
        yield server


@pytest.fixture(scope="session")
def feast_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`feast serve` whose accounts 1..5 got their features at NOW - i hours (materialised)."""
    from tests.integration.backends.test_feast import NOW

    folder = tmp_path_factory.mktemp("feast")
    with running(lambda: launch.feast(folder, NOW.isoformat())) as server:
        yield server


@pytest.fixture(scope="session")
def feast_registry(feast_server: Server) -> Iterator[Server]:
    """Feast's REST registry server on the same repo as `feast_server`."""
    with running(lambda: launch.feast_registry(Path(feast_server.extra["repo"]))) as server:
        yield server


@pytest.fixture(scope="session")
def feast_offline(feast_server: Server) -> Iterator[Server]:
    """Feast's offline server (Arrow Flight) on the same repo as `feast_server`."""
    with running(lambda: launch.feast_offline(Path(feast_server.extra["repo"]))) as server:
        yield server
