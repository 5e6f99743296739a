"""The `sql` backend on DuckDB over an embedded workspace's own Parquet files.

Writes go to the embedded workspace (the SQL log is read-only); after each
write the views are re-created from the live file list, so every read is
the SQL backend's own query over the Parquet the embedded log wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from backends.contracts import ModelVersion, RegistryEvent
from backends.embedded import EmbeddedBackend
from backends.sql.workspace import workspace_views


class DuckDbOverWorkspace:
    """A SqlInferenceLog on DuckDB views of a workspace, writing through the embedded backend."""

    def __init__(self, sql_class: type[Any], directory: Path) -> None:
        """A fresh workspace and DuckDB database in `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        self.workspace = EmbeddedBackend(str(directory / "workspace"))
        self.url = f"duckdb:///{directory / 'log.duckdb'}"
        self._ddl = sa.create_engine(self.url)
        self.log = sql_class(url=self.url, table="{model}")
        self._refresh()

    def _refresh(self) -> None:
        """Re-create every model's view from the live files, and let the log re-read columns."""
        with self._ddl.begin() as connection:
            for statement in workspace_views(self.workspace.workspace):
                connection.exec_driver_sql(statement)
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

    def close(self) -> None:
        """Close both engines and the workspace."""
        self.log.close()
        self._ddl.dispose()
        close = getattr(self.workspace, "close", None)
        if callable(close):
            close()


@contextmanager
def duckdb_over_workspace(sql_class: type[Any], directory: Path) -> Iterator[DuckDbOverWorkspace]:
    """The composite, closed after."""
    made = DuckDbOverWorkspace(sql_class, directory)
    try:
        yield made
    finally:
        made.close()
