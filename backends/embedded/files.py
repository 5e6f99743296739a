"""Workspace file helpers: safe path components and atomic Parquet writes."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from backends.contracts import BackendError

if TYPE_CHECKING:
    import pyarrow as pa

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+=-]*$")
ROW_GROUP_ROWS = 65_536


class Vanished(BackendError):
    """A file disappeared while being read (compaction replaced it); the read is retried."""


def component(value: str, what: str) -> str:
    """`value` if it is safe as one path component (no slash, no leading dot), else ValueError."""
    if not isinstance(value, str) or not _SAFE.match(value) or ".." in value:
        raise ValueError(f"{what} {value!r} is not a valid name (letters, digits, . _ - @ + =)")
    return value


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Write `table` to `path` through a hidden temporary file and a rename."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        pq.write_table(table, temporary, row_group_size=ROW_GROUP_ROWS, compression="snappy")
        os.replace(temporary, path)
    except (OSError, ValueError) as error:
        temporary.unlink(missing_ok=True)
        raise BackendError(f"cannot write {path}: {error}") from error


def read_parquet(path: Path, columns: list[str] | None = None) -> pa.Table:
    """Read a Parquet file, turning I/O and format errors into BackendError."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, columns=columns)
    except FileNotFoundError as error:
        raise Vanished(f"{path} vanished while being read") from error
    except (OSError, pa.ArrowException) as error:
        raise BackendError(f"cannot read {path}: {error}") from error
