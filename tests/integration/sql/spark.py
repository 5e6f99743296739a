"""Spark SQL in local mode behind its Thrift (HiveServer2) endpoint, one per test session.

Spark runs from its own env (`scripts/test_servers.sh spark`: pyspark
does not support Vigil's pandas); Vigil reaches it through PyHive's
SQLAlchemy dialect. The server is started on first use on 127.0.0.1 and
stopped by PID by the session fixture `stop_spark` (tests/contract and
tests/integration/sql conftests) or when its block ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from tempfile import mkdtemp

import pytest

from tests.integration.backends.servers import Server, env_bin, envs_dir, free_port

NOSASL = {"auth": "NOSASL"}
READY_TIMEOUT_S = 240.0
_SHARED: list[Server] = []


def spark_home() -> Path:
    """The pyspark package of the spark env (its bin/spark-submit and jars)."""
    python = env_bin("spark", "python")
    found = sorted((envs_dir() / "spark" / "lib").glob("python3*/site-packages/pyspark"))
    if not found:
        pytest.fail(
            f"no pyspark in the spark env ({python}): run `bash scripts/test_servers.sh spark`"
        )
    return found[0]


def start_thrift(folder: Path) -> Server:
    """Start the Thrift server in local mode (2 cores, UTC sessions) and wait until it answers."""
    import sqlalchemy as sa

    home = spark_home()
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        str(home / "bin" / "spark-submit"),
        "--master", "local[2]",
        "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
        "--conf", "spark.sql.session.timeZone=UTC",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.sql.parquet.mergeSchema=true",
        "--conf", f"spark.sql.warehouse.dir={folder / 'warehouse'}",
        "--conf", "spark.driver.memory=2g",
        "--conf", "spark.sql.thriftServer.incrementalCollect=true",
        "--driver-java-options", f"-Dderby.system.home={folder}",
        "--hiveconf", f"hive.server2.thrift.port={port}",
        "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1",
        "--hiveconf", "hive.server2.authentication=NOSASL",
        "spark-internal",
    ]  # fmt: skip
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "PYSPARK_PYTHON": str(env_bin("spark", "python")),
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    log = folder / "spark-thrift.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=folder, stdin=subprocess.DEVNULL, stdout=sink,
            stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    server = Server("spark-thrift", f"hive://127.0.0.1:{port}/default", process, log)
    engine = sa.create_engine(server.url, connect_args=NOSASL)
    deadline = time.monotonic() + READY_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            if not server.alive():
                pytest.fail(f"spark thrift server exited:\n{server.tail()}")
            try:
                with engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1").fetchall()
                return server
            except Exception:  # any failure before it is up means "not yet"
                time.sleep(1.0)
    finally:
        engine.dispose()
    server.stop()
    pytest.fail(f"spark thrift server not ready in {READY_TIMEOUT_S:g} s:\n{server.tail()}")


def shared_thrift() -> Server:
    """The session's Thrift server, started on first use."""
    if not _SHARED or not _SHARED[0].alive():
        _SHARED[:] = [start_thrift(Path(mkdtemp(prefix="vigil-spark-")))]
    return _SHARED[0]


def stop_shared() -> None:
    """Stop the session's Thrift server by PID, if one was started, and remove its folder."""
    while _SHARED:
        server = _SHARED.pop()
        server.stop()
        shutil.rmtree(server.log.parent, ignore_errors=True)


@contextlib.contextmanager
def session_thrift() -> Iterator[None]:
    """A block (the test session) after which a started server is stopped."""
    try:
        yield
    finally:
        stop_shared()
