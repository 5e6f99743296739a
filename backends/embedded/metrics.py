"""The embedded metric store: series (name + labels) and points in SQLite, written in bulk.

Quantiles are stored as per-minute rollups, one series per quantile with a
`quantile` label (`"0.99"`, the `str()` of the float), so `quantile_range`
is a label match; see docs/workspace.md.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from backends.contracts import BackendError, Series
from backends.embedded.db import Database, to_us
from backends.embedded.tables import SERIES

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

RAW_STEP_S = 60
REQUIRED = ("name", "labels", "ts", "value")
DAY_S = 86_400
MERGE_AT = 60
MERGE_BELOW = 1440
INSERT_BLOCK = (
    "INSERT INTO point_block (series_id, ts_min, ts_max, count, ts_blob, value_blob) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


class MetricsMixin:
    """MetricStore + SupportsMetricWrite over the workspace database."""

    _db: Database

    def metric_names(self) -> list[str]:
        """Every metric name the store holds, sorted."""
        with self._db.read() as conn:
            query = select(SERIES.c.name).distinct().order_by(SERIES.c.name)
            return list(conn.execute(query).scalars().all())

    def write_points(self, frame: pd.DataFrame) -> int:
        """Append rows (name, labels dict, ts epoch s, value) in one transaction."""
        import numpy as np
        import pandas as pd

        missing = [c for c in REQUIRED if c not in frame.columns]
        if missing:
            raise ValueError(f"write_points needs columns {', '.join(missing)}")
        if frame.empty:
            return 0
        try:
            ts = _epoch_seconds(frame["ts"])
            values = pd.to_numeric(frame["value"]).to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(f"write_points: ts and value must be numeric: {error}") from error
        if not np.isfinite(ts).all():
            raise ValueError("write_points: ts must be finite epoch seconds")
        names = frame["name"].to_numpy(dtype=object)
        labels = frame["labels"].to_numpy(dtype=object)
        name_codes, _ = pd.factorize(names)
        label_codes, _ = pd.factorize(
            np.fromiter(map(id, labels), dtype=np.int64, count=len(labels))
        )
        combo = name_codes.astype(np.int64) * (int(label_codes.max()) + 1) + label_codes
        combo_codes, _ = pd.factorize(combo)
        _, first = np.unique(combo_codes, return_index=True)
        keys = [(str(names[i]), canonical_labels(labels[i])) for i in first.tolist()]
        with self._db.write() as conn:
            ids = _series_ids(conn, keys)
            series_ids = np.asarray(ids, dtype=np.int64)[combo_codes]
            blocks = _blocks(series_ids, ts, values)
            conn.exec_driver_sql(INSERT_BLOCK, blocks)
            small = {(b[0], math.floor(b[1] / DAY_S)) for b in blocks if b[3] < MERGE_BELOW}
            for series_id, day in sorted(small):
                _merge_day(conn, series_id, day)
        return len(frame)

    def query_range(
        self,
        name: str,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_s: int = 60,
    ) -> list[Series]:
        """Series whose labels include `labels`; steps over 60 s average the points per step."""
        if step_s <= 0:
            raise ValueError("step_s must be positive")
        wanted = {str(k): str(v) for k, v in labels.items()}
        lo, hi = to_us(start) / 1e6, to_us(end) / 1e6
        with self._db.read() as conn:
            rows = conn.execute(
                select(SERIES.c.id, SERIES.c.labels_json).where(SERIES.c.name == name)
            ).all()
            matched = {}
            for series_id, labels_json in rows:
                series_labels = json.loads(labels_json)
                if all(series_labels.get(k) == v for k, v in wanted.items()):
                    matched[series_id] = series_labels
            if not matched:
                return []
            points = _points(conn, list(matched), lo, hi, step_s)
        return [
            Series(name, series_labels, *points[series_id])
            for series_id, series_labels in matched.items()
            if series_id in points
        ]

    def quantile_range(
        self,
        histogram: str,
        quantile: float,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_s: int = 60,
    ) -> list[Series]:
        """The stored rollup series of `histogram` whose `quantile` label is `str(quantile)`."""
        if not 0.0 <= float(quantile) <= 1.0:
            raise ValueError(f"quantile must be within [0, 1], got {quantile}")
        matcher = {**labels, "quantile": quantile_label(quantile)}
        return self.query_range(histogram, matcher, start, end, step_s)


def _epoch_seconds(column: pd.Series) -> np.ndarray:
    """Epoch seconds from numbers or datetimes (naive datetimes are UTC)."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(column):
        since = pd.to_datetime(column, utc=True) - pd.Timestamp(0, tz="UTC")
        return (since / pd.Timedelta(seconds=1)).to_numpy(dtype=np.float64)
    return pd.to_numeric(column).to_numpy(dtype=np.float64)


def quantile_label(quantile: float) -> str:
    """The `quantile` label value of a rollup series: `str(float(q))`, e.g. "0.99", "0.5"."""
    return str(float(quantile))


def canonical_labels(labels: Any) -> str:
    """Labels (a mapping or its JSON) as canonical JSON with string values."""
    if isinstance(labels, str):
        try:
            labels = json.loads(labels) if labels else {}
        except ValueError as error:
            raise ValueError(f"labels are not JSON: {labels[:60]!r}") from error
    if labels is None or (isinstance(labels, float) and math.isnan(labels)):
        labels = {}
    if not isinstance(labels, Mapping):
        raise ValueError(f"labels must be a mapping, got {type(labels).__name__}")
    return json.dumps({str(k): str(v) for k, v in labels.items()}, sort_keys=True)


def _series_ids(conn: Connection, keys: list[tuple[str, str]]) -> list[int]:
    """Ids of the series for (name, labels_json) keys, creating the missing ones."""
    known: dict[tuple[str, str], int] = {}
    for name in {name for name, _ in keys}:
        for series_id, labels_json in conn.execute(
            select(SERIES.c.id, SERIES.c.labels_json).where(SERIES.c.name == name)
        ):
            known[(name, labels_json)] = series_id
    for key in dict.fromkeys(keys):
        if key not in known:
            result = conn.exec_driver_sql(
                "INSERT INTO series (name, labels_json) VALUES (?, ?)", key
            )
            if result.lastrowid is None:
                raise BackendError(f"could not create series {key[0]}")
            known[key] = int(result.lastrowid)
    return [known[key] for key in keys]


def _blocks(
    series_ids: np.ndarray, ts: np.ndarray, values: np.ndarray
) -> list[tuple[int, float, float, int, bytes, bytes]]:
    """Rows of point_block: points grouped by series and UTC day, sorted by time."""
    import numpy as np

    days = np.floor(ts / DAY_S).astype(np.int64)
    order = np.lexsort((ts, days, series_ids))
    sid, day, ts, values = series_ids[order], days[order], ts[order], values[order]
    cuts = np.flatnonzero((np.diff(sid) != 0) | (np.diff(day) != 0)) + 1
    bounds = [0, *cuts.tolist(), len(sid)]
    return [
        (
            int(sid[lo]),
            float(ts[lo]),
            float(ts[hi - 1]),
            hi - lo,
            ts[lo:hi].tobytes(),
            values[lo:hi].tobytes(),
        )
        for lo, hi in itertools.pairwise(bounds)
    ]


def _merge_day(conn: Connection, series_id: int, day: int) -> None:
    """Merge a series-day's blocks into one once MERGE_AT of them (per-minute rollups) exist."""
    import numpy as np

    rows = conn.exec_driver_sql(
        "SELECT id, ts_blob, value_blob FROM point_block "
        "WHERE series_id = ? AND ts_min >= ? AND ts_min < ? ORDER BY ts_min",
        (series_id, day * DAY_S, (day + 1) * DAY_S),
    ).all()
    if len(rows) < MERGE_AT:
        return
    ts = np.concatenate([np.frombuffer(row[1], dtype=np.float64) for row in rows])
    values = np.concatenate([np.frombuffer(row[2], dtype=np.float64) for row in rows])
    marks = ", ".join("?" for _ in rows)
    conn.exec_driver_sql(
        f"DELETE FROM point_block WHERE id IN ({marks})", tuple(r[0] for r in rows)
    )
    conn.exec_driver_sql(INSERT_BLOCK, _blocks(np.full(len(ts), series_id), ts, values))


def _points(
    conn: Connection, series_ids: list[int], lo: float, hi: float, step_s: int
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """(timestamps, values) per series in [lo, hi), averaged per step when step_s > 60."""
    import numpy as np

    marks = ", ".join("?" for _ in series_ids)
    sql = (
        "SELECT series_id, ts_blob, value_blob FROM point_block "
        f"WHERE series_id IN ({marks}) AND ts_min < ? AND ts_max >= ? ORDER BY series_id, ts_min"
    )
    chunks: dict[int, list[tuple[bytes, bytes]]] = {}
    for series_id, ts_blob, value_blob in conn.exec_driver_sql(sql, (*series_ids, hi, lo)):
        chunks.setdefault(series_id, []).append((ts_blob, value_blob))
    found: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for series_id, blobs in chunks.items():
        ts = np.concatenate([np.frombuffer(t, dtype=np.float64) for t, _ in blobs])
        values = np.concatenate([np.frombuffer(v, dtype=np.float64) for _, v in blobs])
        keep = (ts >= lo) & (ts < hi)
        ts, values = ts[keep], values[keep]
        order = np.argsort(ts, kind="stable")
        ts, values = ts[order], values[order]
        if step_s > RAW_STEP_S:
            ts, values = downsample(ts, values, step_s)
        if len(ts):
            found[series_id] = (ts, values)
    return found


def downsample(ts: np.ndarray, values: np.ndarray, step_s: int) -> tuple[np.ndarray, np.ndarray]:
    """Average the points of each `step_s` bucket (NaN ignored), stamped at the bucket start."""
    import numpy as np

    buckets = np.floor(ts / step_s) * step_s
    starts, codes = np.unique(buckets, return_inverse=True)
    valid = ~np.isnan(values)
    sums = np.bincount(codes[valid], weights=values[valid], minlength=len(starts))
    counts = np.bincount(codes[valid], minlength=len(starts))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return starts, means
