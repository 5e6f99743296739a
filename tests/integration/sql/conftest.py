"""The Spark Thrift server is started once per session on first use, and stopped by PID after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.backends.servers import Server
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
