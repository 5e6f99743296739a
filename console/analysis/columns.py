"""A data file read one column at a time, so drift on big files holds one column in memory.

Parquet is columnar: each column is read when asked for and dropped after
use. A CSV or TSV has to be parsed whole, once.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from console.analysis.inputs import InputError, read_table

PARQUET = (".parquet", ".pq")


class ColumnFile:
    """The columns and row count of a CSV, TSV or Parquet file, and each column on demand."""

    def __init__(self, path: str | Path) -> None:
        """Open the file (a Parquet file's footer only); errors name the file and the reason."""
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        self._frame: pd.DataFrame | None = None
        if suffix not in PARQUET:
            self._frame = read_table(self.path)
            self.columns = [str(c) for c in self._frame.columns]
            self.rows = len(self._frame)
            return
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such file")
        import pyarrow.parquet as pq

        try:
            self._parquet = pq.ParquetFile(self.path)
        except Exception as error:  # pyarrow raises its own types for corrupt files
            raise InputError(
                f"{self.path}: cannot read: {type(error).__name__}: {error}"
            ) from error
        self.columns = list(self._parquet.schema_arrow.names)
        self.rows = int(self._parquet.metadata.num_rows)

    def require(self, names: list[str]) -> None:
        """An InputError naming the file when a column asked for is not in it."""
        missing = [name for name in names if name not in self.columns]
        if missing:
            known = ", ".join(self.columns[:20])
            raise InputError(f"{self.path}: no column(s) {', '.join(missing)} (has: {known})")

    def column(self, name: str) -> pd.Series:
        """One column as a Series (read from disk now, for Parquet)."""
        if self._frame is not None:
            return self._frame[name]
        try:
            table = self._parquet.read(columns=[name])
        except Exception as error:
            raise InputError(f"{self.path}: cannot read {name}: {error}") from error
        series: pd.Series = table.column(0).to_pandas()
        series.name = name
        return series
