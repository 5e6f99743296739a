"""The Spark Thrift server (once per session on first use, stopped by PID), a `sql` context."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.backends.servers import Server
from tests.integration.sql.fixtures import install_sql_context
from tests.integration.sql.spark import session_thrift, shared_thrift


@pytest.fixture(scope="session", autouse=True)
def stop_spark() -> Iterator[None]:
    """Stop the shared Spark server (if a test started one) when the session ends."""
    with session_thrift():
        yield


@pytest.fixture(scope="session")
def spark() -> Server:
    """The session's Spark Thrift server."""
    return shared_thrift()


@pytest.fixture
def sql_context(demo_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Context `sql`: the demo's registry and references, its Parquet log read by DuckDB."""
    return install_sql_context(demo_workspace, tmp_path, monkeypatch)
