"""The inference log: Parquet files per model, one per UTC day of each append batch.

Files are named `part-<ts_min_us>-<ts_max_us>-<id>.parquet`, so a window
opens only the files whose time span overlaps it and reads only the columns
asked for. Late labels live in `W/labels/<model>/<YYYY-MM-DD>/` (the UTC day
the request was logged) and are joined by request_id when a window includes
`label`, reading only the days the window covers. A window whose rows were
logged at different sample rates is thinned to the lowest (`sampling.py`).
"""

from __future__ import annotations

import itertools
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backends.contracts import BackendError, NotFoundError
from backends.embedded.db import from_us, now_us, to_us
from backends.embedded.files import Vanished, component, read_parquet, write_parquet_atomic
from backends.embedded.partitions import (
    DAY_US,
    compact_labels,
    compact_log,
    label_files,
    log_parts,
    retry_vanished,
)
from backends.embedded.sampling import RATE, thinned_to_lowest_rate

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

REQUIRED = ("ts", "request_id", "version")
log = logging.getLogger(__name__)
EMPTY_COLUMNS = ("ts", "request_id", "version", "score", "prediction")


class InferenceLogMixin:
    """InferenceLog + SupportsLogWrite + SupportsBinCounts over Parquet files."""

    _root: Path
    _schemas: dict[Path, pa.Schema]
    _schema_lock: threading.Lock

    if TYPE_CHECKING:

        def _has_model(self, name: str) -> bool:
            """Whether the registry knows `name` (provided by the registry mixin)."""

    def append(self, model: str, rows: pd.DataFrame) -> int:
        """Append logged requests, one file per UTC day; returns how many were written."""
        import numpy as np
        import pyarrow as pa

        directory = self._log_dir(model)
        missing = [c for c in REQUIRED if c not in rows.columns]
        if missing:
            raise ValueError(f"inference rows need columns {', '.join(missing)}")
        if rows.empty:
            return 0
        frame = rows.copy()
        frame["ts"] = _utc_times(frame["ts"])
        if frame["ts"].isna().any():
            raise ValueError("inference rows: ts has missing values")
        frame["request_id"] = frame["request_id"].astype(str)
        frame["version"] = frame["version"].astype(str)
        if "label" in frame.columns:
            frame["label"] = frame["label"].astype("float64")
        frame = frame.sort_values("ts", kind="stable").reset_index(drop=True)
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError) as error:
            raise ValueError(f"inference rows cannot be stored: {error}") from error
        index = table.schema.get_field_index("ts")
        table = table.set_column(
            index, "ts", table.column("ts").cast(pa.timestamp("us", tz="UTC"), safe=False)
        )
        stamps = table.column("ts").cast(pa.int64()).to_numpy()
        days = stamps // DAY_US
        cuts = np.flatnonzero(np.diff(days)) + 1
        bounds = [0, *cuts.tolist(), len(stamps)]
        for lo, hi in itertools.pairwise(bounds):
            name = f"part-{stamps[lo]}-{stamps[hi - 1]}-{uuid.uuid4().hex[:12]}.parquet"
            write_parquet_atomic(table.slice(lo, hi - lo), directory / name)
        _quietly(compact_log, directory, {int(day) for day in np.unique(days)})
        return len(frame)

    @retry_vanished
    def add_labels(self, model: str, labels: pd.DataFrame) -> int:
        """Attach late labels (request_id, label) to logged requests; returns how many matched."""
        import pyarrow as pa
        import pyarrow.compute as pc

        directory = self._log_dir(model)
        if not {"request_id", "label"} <= set(labels.columns):
            raise ValueError("labels need columns request_id and label")
        frame = labels[["request_id", "label"]].copy()
        frame["request_id"] = frame["request_id"].astype(str)
        try:
            frame["label"] = frame["label"].astype("float64")
        except (TypeError, ValueError) as error:
            raise ValueError(f"labels must be numeric: {error}") from error
        table = pa.Table.from_pandas(frame, preserve_index=False)
        ids = table.column("request_id")
        hit_ids, hit_days = self._logged(directory, pc.unique(ids))
        where = pc.index_in(ids, value_set=hit_ids)
        logged = pc.is_valid(where)
        rows = table.filter(logged).to_pandas()
        rows["day"] = hit_days[where.filter(logged).to_numpy(zero_copy_only=False)]
        rows = rows.drop_duplicates("request_id", keep="last")
        for day, group in rows.groupby("day", sort=True):
            folder = self._root / "labels" / model / _day_name(int(day))
            name = f"labels-{now_us()}-{uuid.uuid4().hex[:12]}.parquet"
            batch = pa.Table.from_pandas(group[["request_id", "label"]], preserve_index=False)
            write_parquet_atomic(batch, folder / name)
            _quietly(compact_labels, folder)
        return len(rows)

    @retry_vanished
    def window(
        self,
        model: str,
        start: datetime,
        end: datetime,
        columns: Sequence[str] | None = None,
        version: str | None = None,
    ) -> pd.DataFrame:
        """Rows logged in [start, end), only the columns asked for, optionally one version."""
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        directory = self._log_dir(model, must_exist=True)
        lo, hi = to_us(start), to_us(end)
        parts = log_parts(directory)
        selected = [(path, first, last) for path, first, last in parts if first < hi and last >= lo]
        wanted = self._wanted_columns(model, columns, [p for p, _, _ in selected], parts)
        needed = list(dict.fromkeys([*wanted, "ts", *(["version"] if version else [])]))
        if "label" in wanted:
            needed.append("request_id")
        if any(RATE in self._schema(path).names for path, _, _ in selected):
            needed.append(RATE)
        tables = []
        for path, first, last in selected:
            present = [c for c in dict.fromkeys(needed) if c in self._schema(path).names]
            table = read_parquet(path, present)
            if first < lo or last >= hi:
                stamps = table.column("ts").cast(pa.int64())
                keep = pc.and_(pc.greater_equal(stamps, lo), pc.less(stamps, hi))
                table = table.filter(keep)
            if version is not None:
                table = table.filter(pc.equal(table.column("version"), version))
            tables.append(table)
        if tables:
            try:
                merged = pa.concat_tables(tables, promote_options="default")
            except pa.ArrowException as error:
                raise BackendError(f"inference log of {model}: files disagree: {error}") from error
            if len(tables) > 1:
                merged = merged.sort_by("ts")
            merged = thinned_to_lowest_rate(merged)
            if "label" in wanted:
                labels = self._joined_labels(model, merged)
                merged = merged.drop_columns([c for c in ("label",) if c in merged.column_names])
                merged = merged.append_column("label", labels)
            frame = merged.to_pandas()
        else:
            frame = pd.DataFrame({c: pd.Series(dtype=_empty_dtype(c)) for c in needed})
        for column in wanted:
            if column not in frame.columns:
                frame[column] = float("nan")
        return frame[wanted].reset_index(drop=True)

    def time_range(self, model: str) -> tuple[datetime, datetime] | None:
        """First and last timestamp logged, from the file names alone."""
        parts = log_parts(self._log_dir(model, must_exist=True))
        if not parts:
            return None
        return from_us(min(p[1] for p in parts)), from_us(max(p[2] for p in parts))

    @retry_vanished
    def bin_counts(
        self,
        model: str,
        feature: str,
        edges: np.ndarray,
        start: datetime,
        end: datetime,
    ) -> np.ndarray:
        """Counts per open numeric bin (or per category, then unseen), then missing values."""
        from backends.counting import bin_counts_of

        return bin_counts_of(self.window(model, start, end, columns=[feature])[feature], edges)

    def _log_dir(self, model: str, *, must_exist: bool = False) -> Path:
        """W/inference/<model>; NotFoundError when the model is neither logged nor registered."""
        directory = self._root / "inference" / component(model, "model")
        if must_exist and not directory.is_dir() and not self._has_model(model):
            raise NotFoundError(f"no model {model!r} in the registry or the inference log")
        return directory

    def _schema(self, path: Path) -> pa.Schema:
        """The schema of a log file (cached: files never change once written)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        with self._schema_lock:
            cached = self._schemas.get(path)
        if cached is None:
            try:
                cached = pq.read_schema(path)
            except FileNotFoundError as error:
                raise Vanished(f"{path} vanished while being read") from error
            except (OSError, pa.ArrowException) as error:
                raise BackendError(f"cannot read {path}: {error}") from error
            with self._schema_lock:
                self._schemas[path] = cached
        return cached

    def _wanted_columns(
        self,
        model: str,
        columns: Sequence[str] | None,
        selected: list[Path],
        parts: list[tuple[Path, int, int]],
    ) -> list[str]:
        """The window's columns, checking other files only for a name its own lack."""
        known = self._known_columns(selected)
        if columns is None:
            known = known or self._known_columns([p for p, _, _ in parts]) or list(EMPTY_COLUMNS)
            known = [c for c in known if c != RATE]  # how a row was logged, not a feature
            return [*known, *(["label"] * ("label" not in known))]
        wanted = list(columns)
        missing = [c for c in wanted if c not in known and c != "label"]
        if missing and parts:
            everywhere = self._known_columns([p for p, _, _ in parts])
            unknown = [c for c in missing if c not in everywhere]
            if unknown:
                raise NotFoundError(
                    f"no column {', '.join(map(repr, unknown))} in the inference log of {model}"
                )
        return wanted

    def _known_columns(self, paths: list[Path]) -> list[str]:
        """Every column any log file holds, in first-seen order."""
        names: dict[str, None] = {}
        for path in paths:
            names.update(dict.fromkeys(self._schema(path).names))
        return list(names)

    def _logged(self, directory: Path, candidates: pa.Array) -> tuple[pa.Array, np.ndarray]:
        """The `candidates` logged for the model, with the UTC day of the file holding each."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        chunks: list[pa.Array] = [pa.array([], type=pa.string())]
        days = [np.zeros(0, dtype=np.int64)]
        for path, first, _ in log_parts(directory):
            ids = read_parquet(path, ["request_id"]).column("request_id").cast(pa.string())
            chunks.extend(ids.chunks)
            days.append(np.full(len(ids), first // DAY_US, dtype=np.int64))
        every = pa.chunked_array(chunks, type=pa.string())
        mask = pc.is_in(every, value_set=candidates)
        hits = every.filter(mask).combine_chunks()
        return hits, np.concatenate(days)[mask.to_numpy(zero_copy_only=False)]

    def _joined_labels(self, model: str, table: pa.Table) -> pa.ChunkedArray:
        """The label column, late labels (latest wins) filled in from the window's days."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if "label" in table.column_names:
            base = table.column("label").cast(pa.float64())
        else:
            base = pa.chunked_array([pa.nulls(table.num_rows, type=pa.float64())])
        if table.num_rows == 0:
            return base
        stamps = table.column("ts").cast(pa.int64())
        first = pc.min(stamps).as_py() // DAY_US
        last = pc.max(stamps).as_py() // DAY_US
        root = self._root / "labels" / model
        files = [
            path for day in range(first, last + 1) for _, path in label_files(root / _day_name(day))
        ]
        if not files:
            return base
        late = pa.concat_tables(
            [read_parquet(path, ["request_id", "label"]) for path in files],
            promote_options="default",
        )
        ids = table.column("request_id")
        late = late.filter(pc.is_in(late.column("request_id"), value_set=pc.unique(ids)))
        newest_first = late.take(pa.array(np.arange(late.num_rows - 1, -1, -1)))
        where = pc.index_in(ids, value_set=newest_first.column("request_id"))
        found = newest_first.column("label").cast(pa.float64()).take(where)
        return pc.coalesce(found, base)


def _day_name(day: int) -> str:
    """A UTC day number as the `YYYY-MM-DD` folder its labels live in."""
    return from_us(day * DAY_US).strftime("%Y-%m-%d")


def _quietly(merge: Callable[..., object], *args: object) -> None:
    """Run a compaction; a failure is logged, never failing the write that triggered it."""
    try:
        merge(*args)
    except (BackendError, OSError) as error:
        log.warning("compaction of %s skipped: %s", args[0], error)


def _utc_times(values: pd.Series) -> pd.Series:
    """Timestamps as UTC datetimes: aware are converted, naive read as UTC, numbers as epoch s."""
    import pandas as pd

    try:
        if pd.api.types.is_numeric_dtype(values):
            return pd.to_datetime(values, unit="s", utc=True)
        return pd.to_datetime(values, utc=True)
    except (TypeError, ValueError) as error:
        raise ValueError(f"inference rows: ts is not a timestamp: {error}") from error


def _empty_dtype(column: str) -> Any:
    """The dtype of a column in an empty window."""
    if column == "ts":
        return "datetime64[us, UTC]"
    if column in ("request_id", "version"):
        return object
    return "float64"
