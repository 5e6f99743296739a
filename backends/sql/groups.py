"""The SQL of slices' grouped counts: a profile of the slice columns, then GROUPING SETS per window.

Slices need two statements per question, whatever the number of columns:

- the profile, over every window asked (a UNION ALL of their rows): the
  rows and the rows with a value per window, and per column its distinct
  values, missing values and, for a numeric column, its exact quantiles over
  the finite values (`percentile_cont`), which Vigil turns into bins;
- the counts, one statement per window: a CTE turns every column into its
  key (a CASE over the bin edges, or the value), then one
  `GROUP BY GROUPING SETS ((a, b), (a), ...)` returns n, the value's sum
  and its sum of squares per group; `GROUPING(k)` tells a column grouped
  away from a missing value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from backends.contracts import ColumnProfile, GroupKey, GroupProfile, RowValue
from backends.sql.query import infinity, missing

VALUE = "vigil_value"
WINDOW = "vigil_window"


def value_expression(
    table: Any, value: RowValue, names: Mapping[str, str | None], dialect: str
) -> ColumnElement[Any]:
    """The per-row value, NULL where the row has none (no label yet, a missing score)."""
    column = names.get(value.column) if value.column else None
    label = names.get("label")
    if value.kind == "rows":
        return sa.literal(1)
    if value.kind == "error":
        prediction = names.get("prediction")
        if label is None or prediction is None:
            return sa.null()
        hit = sa.case((table.c[prediction] == table.c[label], 0), else_=1)
        return sa.case((table.c[label].is_(None), sa.null()), else_=hit)
    if column is None:
        return sa.null()
    measured = table.c[column]
    if value.kind == "squared_error":
        if label is None:
            return sa.null()
        gap = measured - table.c[label]
        absent = sa.or_(missing(measured, dialect), table.c[label].is_(None))
        return sa.case((absent, sa.null()), else_=gap * gap)
    return sa.case((missing(measured, dialect), sa.null()), else_=measured)


def finite(value: ColumnElement[Any], dialect: str) -> ColumnElement[bool]:
    """Neither missing nor ±infinity (where the dialect can tell infinity)."""
    infinite = infinity(value, dialect)
    present = sa.not_(missing(value, dialect))
    return present if infinite is None else sa.and_(present, sa.not_(infinite))


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END)."""
    return sa.func.sum(sa.case((condition, 1), else_=0))


def profile_statement(
    sources: Sequence[sa.Select[Any]],
    kinds: Mapping[str, str],
    quantiles: Sequence[float],
    dialect: str,
) -> sa.Select[Any]:
    """Rows per window, then per column: distinct, distinct finite, missing, quantiles."""
    rows = sa.union_all(*sources).subquery("vigil_rows") if len(sources) > 1 else None
    source = rows if rows is not None else sources[0].subquery("vigil_rows")
    valued = source.c[VALUE].is_not(None)
    measures: list[ColumnElement[Any]] = []
    for index in range(len(sources)):
        mine = source.c[WINDOW] == index
        measures += [_count_if(mine), _count_if(sa.and_(mine, valued))]
    for position, kind in enumerate(kinds.values()):
        cell = source.c[f"k{position}"]
        if kind == "numeric":
            absent = missing(cell, dialect)
            kept = sa.case((sa.and_(valued, sa.not_(absent)), cell))
            usable = sa.case((sa.and_(valued, finite(cell, dialect)), cell))
            measures += [
                sa.func.count(sa.distinct(kept)),
                sa.func.count(sa.distinct(usable)),
                _count_if(sa.and_(valued, absent)),
            ]
            measures += [
                sa.func.percentile_cont(sa.literal_column(repr(float(q)))).within_group(usable)
                for q in quantiles
            ]
        else:
            kept = sa.case((valued, cell))
            distinct = sa.func.count(sa.distinct(kept))
            measures += [distinct, distinct, _count_if(sa.and_(valued, cell.is_(None)))]
    return sa.select(*measures).select_from(source)


def window_rows(
    table: Any,
    where: Sequence[ColumnElement[bool]],
    index: int,
    columns: Sequence[str],
    value: ColumnElement[Any],
) -> sa.Select[Any]:
    """One window's rows for the profile: its index, the value, the slice columns as k0, k1, ..."""
    cells = [table.c[name].label(f"k{i}") for i, name in enumerate(columns)]
    return sa.select(sa.literal(index).label(WINDOW), value.label(VALUE), *cells).where(*where)


def read_profile(
    row: Sequence[Any], windows: int, kinds: Mapping[str, str], quantiles: int
) -> GroupProfile:
    """The profile statement's one row as a GroupProfile."""
    values = list(row)
    counts = [int(v or 0) for v in values[: 2 * windows]]
    position = 2 * windows
    columns: dict[str, ColumnProfile] = {}
    for name, kind in kinds.items():
        distinct, usable, absent = (int(v or 0) for v in values[position : position + 3])
        position += 3
        cuts: tuple[float, ...] = ()
        if kind == "numeric":
            found = values[position : position + quantiles]
            position += quantiles
            cuts = tuple(float(q) for q in found) if usable and None not in found else ()
        columns[name] = ColumnProfile(distinct, usable, absent, cuts)
    return GroupProfile(tuple(counts[0::2]), tuple(counts[1::2]), columns)


def key_expression(cell: ColumnElement[Any], key: GroupKey, dialect: str) -> ColumnElement[Any]:
    """A column's group: its bin 0..k (NULL when missing), its value, or NULL when missing."""
    if key.numeric and key.edges is not None:
        whens: list[tuple[ColumnElement[bool], Any]] = [(missing(cell, dialect), sa.null())]
        whens += [(cell < sa.literal(float(edge)), i) for i, edge in enumerate(key.edges)]
        return sa.case(*whens, else_=len(key.edges))
    if key.numeric:
        return sa.case((missing(cell, dialect), sa.null()), else_=cell)
    return cell


def counts_statement(
    table: Any,
    where: Sequence[ColumnElement[bool]],
    keys: Sequence[GroupKey],
    sets: Sequence[tuple[str, ...]],
    value: ColumnElement[Any],
    names: Mapping[str, str],
    dialect: str,
) -> sa.Select[Any]:
    """One window's n, sum and sum of squares of the value for every grouping set."""
    index = {key.column: i for i, key in enumerate(keys)}
    cells = [
        key_expression(table.c[names[key.column]], key, dialect).label(f"k{i}")
        for i, key in enumerate(keys)
    ]
    keyed = sa.select(value.label(VALUE), *cells).where(*where).cte("vigil_keyed")
    columns = [keyed.c[f"k{i}"] for i in range(len(keys))]
    measured = keyed.c[VALUE]
    grouping = sa.func.grouping_sets(
        *(sa.tuple_(*(columns[index[name]] for name in chosen)) for chosen in sets)
    )
    return (
        sa.select(
            *columns,
            *(sa.func.grouping(column).label(f"g{i}") for i, column in enumerate(columns)),
            sa.func.count().label("n"),
            sa.func.sum(measured).label("total"),
            sa.func.sum(measured * measured).label("squares"),
        )
        .where(measured.is_not(None))
        .group_by(grouping)
    )


def split_sets(
    rows: Sequence[Sequence[Any]], keys: Sequence[GroupKey], sets: Sequence[tuple[str, ...]]
) -> list[Any]:
    """The result's rows as one frame per grouping set, in the order the sets were asked."""
    import pandas as pd

    width = len(keys)
    names = [key.column for key in keys]
    by_set: dict[frozenset[str], list[list[Any]]] = {frozenset(s): [] for s in sets}
    for row in rows:
        grouped = frozenset(names[i] for i in range(width) if not int(row[width + i]))
        by_set.setdefault(grouped, []).append(list(row))
    frames = []
    for chosen in sets:
        positions = [names.index(name) for name in chosen]
        data = by_set[frozenset(chosen)]
        frame = pd.DataFrame(
            {
                **{
                    name: pd.Series([r[p] for r in data], dtype=object)
                    for name, p in zip(chosen, positions, strict=True)
                },
                "n": pd.Series([r[2 * width] for r in data], dtype="int64"),
                "total": pd.Series([r[2 * width + 1] for r in data], dtype="float64"),
                "squares": pd.Series([r[2 * width + 2] for r in data], dtype="float64"),
            }
        )
        frames.append(frame)
    return frames


def predicate_clause(
    cell: ColumnElement[Any], op: str, value: str, dialect: str
) -> ColumnElement[bool]:
    """A slice predicate in SQL, as `Predicate.mask` reads it on rows."""
    if op == "is":  # NULL: the column's type is not known here, and Parquet stores NaN as NULL
        return cell.is_(None) if value == "missing" else sa.false()
    if op == "in":
        low, _, high = (part.strip() for part in value.strip("[()]").partition(","))
        clauses = [sa.not_(missing(cell, dialect))]
        if low != "-inf":
            clauses.append(cell >= sa.literal(float(low)))
        if high != "inf":
            clauses.append(cell < sa.literal(float(high)))
        return sa.and_(*clauses)
    if op == "==":
        return sa.cast(cell, sa.String) == sa.literal(value, sa.String)
    raise ValueError(f"unknown slice predicate operator {op!r}")
