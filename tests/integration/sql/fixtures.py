"""What the SQL tests set up alike: a fraud log over a workspace, the demo views, what was sent."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from backends.sql import SqlInferenceLog
from backends.sql.workspace import workspace_views
from tests.contract.helpers import version
from tests.integration.backends.contexts import install_context
from tests.integration.sql.over_workspace import LogOverWorkspace, over_workspace


@contextmanager
def fraud_log(
    directory: Path,
    url: str,
    rows: pd.DataFrame,
    engine: str = "duckdb",
    connect_args: Mapping[str, Any] | None = None,
) -> Iterator[LogOverWorkspace]:
    """A workspace with `fraud` v1 and `rows` logged, read by the SQL log at `url`; closed after."""
    with over_workspace(SqlInferenceLog, directory, url, engine, connect_args) as made:
        made.register_version(version("fraud", "1"))
        made.append("fraud", rows)
        yield made


@contextmanager
def statements_sent(dialect: str | None = None) -> Iterator[list[str]]:
    """Every statement an engine (of `dialect` when given) sends while the block runs."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if dialect is None or conn.dialect.name == dialect:
            sent.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


def demo_views(demo_workspace: Path, directory: Path, rows_schema: str | None = None) -> str:
    """A DuckDB database in `directory` with the demo's views (and label-free ones in a schema)."""
    directory.mkdir(parents=True, exist_ok=True)
    url = f"duckdb:///{directory / 'log.duckdb'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for statement in workspace_views(demo_workspace, "duckdb", rows_schema=rows_schema):
            connection.exec_driver_sql(statement)
    engine.dispose()
    return url


def install_sql_context(
    demo_workspace: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rows_schema: str | None = None,
) -> str:
    """Context `sql`: the demo's registry and references, its Parquet log read by DuckDB."""
    url = demo_views(demo_workspace, tmp_path / "db", rows_schema)
    embedded = {"type": "embedded", "workspace": str(demo_workspace)}
    log = {"type": "sql", "url": url, "table": "{model}"}
    if rows_schema is not None:
        log["rows_table"] = f"{rows_schema}.{{model}}"
    backends = {"registry": embedded, "features": embedded, "inference_log": log}
    install_context(tmp_path, monkeypatch, "sql", backends)
    return "sql"
