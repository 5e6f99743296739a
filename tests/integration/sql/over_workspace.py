"""The `sql` backend over an embedded workspace's own Parquet files, on DuckDB or Spark SQL.

Writes go to the embedded workspace (the SQL log is read-only); after each
write the views are re-created from the workspace's files, so every read is
the SQL backend's own query over the Parquet the embedded log wrote.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from backends.contracts import GroupProfile, ModelVersion, RegistryEvent
from backends.embedded import EmbeddedBackend
from backends.sql.workspace import workspace_views


class LogOverWorkspace:
    """A SqlInferenceLog on views of a workspace, writing through the embedded backend."""

    def __init__(
        self,
        sql_class: type[Any],
        directory: Path,
        url: str,
        engine: str = "duckdb",
        connect_args: Mapping[str, Any] | None = None,
    ) -> None:
        """A fresh workspace in `directory`, read through `url` with `engine`'s views."""
        directory.mkdir(parents=True, exist_ok=True)
        self.workspace = EmbeddedBackend(str(directory / "workspace"))
        self.url = url
        self.engine = engine
        self._ddl = sa.create_engine(url, connect_args=dict(connect_args or {}))
        self.log = sql_class(url=url, table="{model}", connect_args=dict(connect_args or {}))
        self._refresh()

    def _refresh(self) -> None:
        """Re-create every model's view from the files, and let the log re-read columns."""
        with self._ddl.connect() as connection:
            for statement in workspace_views(self.workspace.workspace, self.engine):
                connection.exec_driver_sql(statement)
            connection.commit()
        self.log.refresh()

    def register_version(self, version: ModelVersion, *, model_task: str = "") -> ModelVersion:
        """Register in the workspace; the model's (empty) view exists from now on."""
        registered = self.workspace.register_version(version, model_task=model_task)
        (self.workspace.workspace / "inference" / version.model).mkdir(parents=True, exist_ok=True)
        self._refresh()
        return registered

    def set_alias(self, model: str, alias: str, version: str) -> RegistryEvent:
        """Move an alias in the workspace."""
        return self.workspace.set_alias(model, alias, version)

    def append(self, model: str, rows: pd.DataFrame) -> int:
        """Append through the embedded log, then re-create the views."""
        written = self.workspace.append(model, rows)
        self._refresh()
        return written

    def add_labels(self, model: str, labels: pd.DataFrame) -> int:
        """Attach labels through the embedded log, then re-create the views."""
        matched = self.workspace.add_labels(model, labels)
        self._refresh()
        return matched

    def window(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """The SQL backend's window."""
        return self.log.window(*args, **kwargs)

    def time_range(self, model: str) -> tuple[datetime, datetime] | None:
        """The SQL backend's time range."""
        return self.log.time_range(model)

    def bin_counts(self, *args: Any, **kwargs: Any) -> np.ndarray:
        """The SQL backend's counts, pushed down."""
        return self.log.bin_counts(*args, **kwargs)

    def window_bin_counts(self, *args: Any, **kwargs: Any) -> dict[str, tuple[np.ndarray, int]]:
        """The SQL backend's window counts, pushed down."""
        return self.log.window_bin_counts(*args, **kwargs)

    def window_minutes(self, *args: Any, **kwargs: Any) -> list[tuple[int, datetime, datetime]]:
        """The SQL backend's rows per minute of a window, pushed down."""
        return self.log.window_minutes(*args, **kwargs)

    def widest_gap(self, *args: Any, **kwargs: Any) -> tuple[datetime, datetime] | None:
        """The SQL backend's widest gap between consecutive rows, pushed down."""
        return self.log.widest_gap(*args, **kwargs)

    def group_profile(self, *args: Any, **kwargs: Any) -> GroupProfile:
        """The SQL backend's profile of the slice columns, pushed down."""
        return self.log.group_profile(*args, **kwargs)

    def grouped_counts(self, *args: Any, **kwargs: Any) -> list[pd.DataFrame]:
        """The SQL backend's grouped counts (GROUPING SETS), pushed down."""
        return self.log.grouped_counts(*args, **kwargs)

    def slice_rows(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """The SQL backend's slice rows, filtered in the engine."""
        return self.log.slice_rows(*args, **kwargs)

    def close(self) -> None:
        """Close both engines and the workspace."""
        self.log.close()
        self._ddl.dispose()
        close = getattr(self.workspace, "close", None)
        if callable(close):
            close()


@contextmanager
def over_workspace(
    sql_class: type[Any],
    directory: Path,
    url: str,
    engine: str = "duckdb",
    connect_args: Mapping[str, Any] | None = None,
) -> Iterator[LogOverWorkspace]:
    """The composite, closed after."""
    made = LogOverWorkspace(sql_class, directory, url, engine, connect_args)
    try:
        yield made
    finally:
        made.close()


def duckdb_url(directory: Path) -> str:
    """A DuckDB database file in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    return f"duckdb:///{directory / 'log.duckdb'}"
