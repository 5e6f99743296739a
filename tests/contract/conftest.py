"""The contract suite's fixture: a fresh backend per test from each installed backend's factory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.contract.factories import Factory


@pytest.fixture
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Build the parametrised factory's backend on an empty directory, closing it after."""
    factory: Factory = request.param
    with factory.make(tmp_path) as made:
        yield made


@pytest.fixture(scope="session", autouse=True)
def stop_shared_servers() -> Iterator[None]:
    """Stop, by PID, the servers a factory starts once per session (Spark's Thrift endpoint)."""
    from tests.integration.sql.spark import session_thrift

    with session_thrift():
        yield
