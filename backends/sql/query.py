"""The SQL the pushdown sends, built with SQLAlchemy Core so each engine's dialect renders it.

A window's drift counts are one statement: a CTE that turns every feature
into its bin (numeric: a CASE over the reference edges; categorical: the
value as text), then one `GROUP BY` per feature over that CTE, joined with
`UNION ALL`. A columnar engine reads each feature's column once; Vigil gets
back (feature, bin, value, n) rows, a few per bin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

# How each dialect tests a float for NaN and for ±infinity; NULL is missing everywhere.
NAN_FUNCTIONS: Mapping[str, str] = {
    "duckdb": "isnan",
    "hive": "isnan",
    "spark": "isnan",
    "databricks": "isnan",
    "trino": "is_nan",
    "bigquery": "is_nan",
    "clickhouse": "isNaN",
}
INF_FUNCTIONS: Mapping[str, str] = {
    "duckdb": "isinf",
    "trino": "is_infinite",
    "bigquery": "is_inf",
    "clickhouse": "isInfinite",
}
# Where no function tests for infinity, |x| is compared with CAST('Infinity' AS DOUBLE).
INF_BY_CAST = frozenset({"hive", "spark", "databricks", "postgresql", "snowflake"})
FEATURE_KEY = "vigil_feature"
BIN_KEY = "vigil_bin"
VALUE_KEY = "vigil_value"
COUNT_KEY = "vigil_n"


@dataclass(frozen=True)
class Binning:
    """One feature to count: its column, and reference edges (numeric) or categories."""

    feature: str
    column: str
    edges: np.ndarray

    @property
    def categorical(self) -> bool:
        """True when the edges are category names, counted by value."""
        return self.edges.dtype.kind in "OUS"


def missing(value: ColumnElement[float], dialect: str) -> ColumnElement[bool]:
    """NULL, or NaN where the dialect can tell."""
    name = NAN_FUNCTIONS.get(dialect)
    if name is None:
        return value.is_(None)
    return sa.or_(value.is_(None), getattr(sa.func, name)(value))


def infinity(value: ColumnElement[float], dialect: str) -> ColumnElement[bool] | None:
    """±infinity where the dialect can tell; elsewhere they are only counted in the outer bins."""
    name = INF_FUNCTIONS.get(dialect)
    if name is not None:
        test: ColumnElement[bool] = getattr(sa.func, name)(value)
        return test
    if dialect in INF_BY_CAST:
        return sa.func.abs(value) == sa.cast(sa.literal_column("'Infinity'"), sa.Double)
    return None


def bin_case(value: ColumnElement[float], edges: np.ndarray, dialect: str) -> ColumnElement[int]:
    """The bin of a value: 0..k for the open bins, k+1 missing, k+2 +inf, k+3 −inf.

    A value equal to an edge goes to the bin above it, as `np.searchsorted(side="right")`.
    """
    k = int(edges.size)
    whens: list[tuple[ColumnElement[bool], int]] = [(missing(value, dialect), k + 1)]
    test = infinity(value, dialect)
    if test is not None:
        whens += [(sa.and_(test, value > 0), k + 2), (test, k + 3)]
    whens += [(value < sa.literal(float(edge)), index) for index, edge in enumerate(edges)]
    return sa.case(*whens, else_=k)


def window_filter(
    table: sa.TableClause,
    ts: str,
    start: datetime,
    end: datetime,
    equal: Mapping[str, str],
) -> list[ColumnElement[bool]]:
    """`ts` in [start, end), and each column equal to its value."""
    clauses: list[ColumnElement[bool]] = [table.c[ts] >= start, table.c[ts] < end]
    clauses += [table.c[name] == value for name, value in equal.items()]
    return clauses


def counts_statement(
    table: sa.TableClause,
    binnings: Sequence[Binning],
    where: Sequence[ColumnElement[bool]],
    dialect: str,
) -> sa.CompoundSelect | sa.Select[tuple[object, ...]]:
    """One statement for a window: every feature's counts per bin (or per value)."""
    keyed = {f"b{index}": binning for index, binning in enumerate(binnings)}
    projected: list[ColumnElement[Any]] = []
    for key, binning in keyed.items():
        value = table.c[binning.column]
        expr = (
            sa.cast(value, sa.String)
            if binning.categorical
            else bin_case(value, binning.edges, dialect)
        )
        projected.append(expr.label(key))
    binned = sa.select(*projected).where(*where).cte("vigil_binned")
    parts = []
    for key, binning in keyed.items():
        column = binned.c[key]
        bin_value = sa.cast(sa.null(), sa.Integer) if binning.categorical else column
        text_value = column if binning.categorical else sa.cast(sa.null(), sa.String)
        parts.append(
            sa.select(
                sa.literal(binning.feature, sa.String).label(FEATURE_KEY),
                bin_value.label(BIN_KEY),
                text_value.label(VALUE_KEY),
                sa.func.count().label(COUNT_KEY),
            ).group_by(column)
        )
    return parts[0] if len(parts) == 1 else sa.union_all(*parts)


def fold(
    binning: Binning, rows: Sequence[tuple[int | None, str | None, int]]
) -> tuple[np.ndarray, int]:
    """A feature's rows of the result as SupportsBinCounts counts, and how many were infinite."""
    if binning.categorical:
        names = [str(name) for name in binning.edges.tolist()]
        index = {name: position for position, name in enumerate(names)}
        counts = np.zeros(len(names) + 2, dtype=np.int64)
        for _, value, n in rows:
            slot = len(names) + 1 if value is None else index.get(value, len(names))
            counts[slot] += int(n)
        return counts, 0
    k = int(binning.edges.size)
    raw = np.zeros(k + 4, dtype=np.int64)
    for code, _, n in rows:
        raw[int(code if code is not None else k + 1)] += int(n)
    counts = raw[: k + 2].copy()
    counts[k] += raw[k + 2]
    counts[0] += raw[k + 3]
    return counts, int(raw[k + 2] + raw[k + 3])
