"""InferenceLog over any SQL engine through SQLAlchemy, counting drift bins where the data lives.

`inference_log: {type: sql, url: SQLALCHEMY_URL, table: NAME}`. The table
holds one model's log (`table: "inference_{model}"` names one per model) or
every model's, told apart by the `model` column. Column names default to the
embedded log's own (`ts`, `request_id`, `version`, the features, `score`,
`prediction`, `label`, `<stage>_ms`), so a table copied from a workspace's
Parquet files works as it is; `columns:` maps any of them to the table's.
Drift counts (`window_bin_counts`) and the grouped counts of slices
(`group_profile`, `grouped_counts`) are computed by the engine; only `window`,
`page` and `slice_rows` (the drill-down) return rows.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from backends.contracts import (
    BackendError,
    GroupKey,
    GroupProfile,
    NotFoundError,
    RowValue,
)
from backends.discovery import Option
from backends.sql.query import (
    Binning,
    counts_statement,
    fold,
    window_filter,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import sqlalchemy as sa

MODEL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
OUTCOMES = ("score", "prediction", "label")
# how engines whose dialect cannot say `has_table` word a missing table
MISSING_TABLE = ("table_or_view_not_found", "does not exist", "not found", "unknown table")


class SqlInferenceLog:
    """InferenceLog + SupportsBinCounts + SupportsWindowCounts over a SQL table (GROUP BY)."""

    OPTIONS: ClassVar[tuple[Option, ...]] = (
        Option("url", "string", "a SQLAlchemy URL (duckdb:///log.db, hive://host:10000/db, ...)"),
        Option("table", "string", "the table or view; `{model}` in it names one per model"),
        Option(
            "columns", "any", "Vigil column -> table column (ts, version, model, features...)", None
        ),
        Option("connect_args", "any", "extra arguments for the DBAPI connect()", None),
        Option(
            "rows_table",
            "string",
            "the same rows without the late-label join (`vigil_rows.{model}`): the time range "
            "and the coverage read it",
            None,
        ),
    )

    def __init__(
        self,
        url: str,
        table: str,
        columns: Mapping[str, str] | None = None,
        connect_args: Mapping[str, Any] | None = None,
        rows_table: str | None = None,
    ) -> None:
        """Remember where the log is; the engine connects on the first query."""
        import sqlalchemy as sa

        if not isinstance(table, str) or not table.strip():
            raise ValueError("sql table must be a table name")
        mapping = dict(columns or {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
            raise ValueError("sql columns must map Vigil column names to table column names")
        try:
            self._engine = sa.create_engine(url, connect_args=dict(connect_args or {}))
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
            raise ValueError(f"sql url is not usable: {error}") from error
        self.dialect = self._engine.dialect.name
        self._table = table
        if rows_table is not None and (
            not isinstance(rows_table, str) or ("{model}" in rows_table) != self._per_model
        ):
            raise ValueError("sql rows_table must name a table, with `{model}` as `table` has it")
        self._rows_table = rows_table
        self._to_table = mapping
        self._to_vigil = {v: k for k, v in mapping.items()}
        self._known: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        """`SqlInferenceLog('duckdb', 'inference_{model}')`: no URL, it may hold a password."""
        return f"SqlInferenceLog({self.dialect!r}, {self._table!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._engine.dispose()

    def refresh(self) -> None:
        """Forget the tables' columns read so far (after a table changed its schema)."""
        with self._lock:
            self._known.clear()

    # --- names --------------------------------------------------------------

    def _name(self, vigil: str) -> str:
        """The table's name for a Vigil column."""
        return self._to_table.get(vigil, vigil)

    @property
    def _per_model(self) -> bool:
        """True when the table name holds `{model}`: one table per model."""
        return "{model}" in self._table

    def _source(self, model: str, rows: bool = False) -> tuple[sa.TableClause, dict[str, str]]:
        """The model's table (`rows`: its label-free one) and the equality that picks its rows."""
        import sqlalchemy as sa

        if not MODEL_NAME.match(model):
            raise NotFoundError(f"no model {model!r} in the inference log")
        chosen = self._rows_table if rows and self._rows_table is not None else self._table
        name = chosen.replace("{model}", model) if self._per_model else chosen
        schema, _, bare = name.rpartition(".")
        columns = self._columns(name)
        table = sa.table(bare, *(sa.column(c) for c in columns), schema=schema or None)
        equal = {} if self._per_model else {self._name("model"): model}
        return table, equal

    def _columns(self, name: str) -> tuple[str, ...]:
        """The table's columns (asked once per table); NotFoundError when there is no such table."""
        import sqlalchemy as sa

        with self._lock:
            known = self._known.get(name)
        if known is not None:
            return known
        try:
            with self._engine.connect() as connection:
                result = connection.execute(
                    sa.text(f"SELECT * FROM {_quoted(self._engine, name)} WHERE 1 = 0")
                )
                found = tuple(result.keys())
        except sa.exc.SQLAlchemyError as error:
            if self._absent(name, error):
                raise NotFoundError(f"no table {name!r} for the inference log") from error
            raise BackendError(f"sql inference log ({self.dialect}): {_brief(error)}") from error
        with self._lock:
            self._known[name] = found
        return found

    def _absent(self, name: str, error: Exception) -> bool:
        """Whether a failed read failed because the table does not exist."""
        import sqlalchemy as sa

        schema, _, bare = name.rpartition(".")
        try:
            with self._engine.connect() as connection:
                return not sa.inspect(connection).has_table(bare, schema=schema or None)
        except Exception:  # a dialect without a working has_table: read the engine's words
            text = str(getattr(error, "orig", error)).lower()
            return any(sign in text for sign in MISSING_TABLE)

    def _run(self, statement: sa.Executable) -> list[tuple[Any, ...]]:
        """Execute on the engine; its errors become BackendError naming the dialect only."""
        import sqlalchemy as sa

        try:
            with self._engine.connect() as connection:
                return [tuple(row) for row in connection.execute(statement)]
        except sa.exc.SQLAlchemyError as error:
            raise BackendError(f"sql inference log ({self.dialect}): {_brief(error)}") from error

    def _where(
        self,
        model: str,
        start: datetime,
        end: datetime,
        equal: Mapping[str, str] | None = None,
        version: str | None = None,
        rows: bool = False,
    ) -> tuple[sa.TableClause, list[Any]]:
        """The model's table and the filter of a window (plus column equalities, Vigil names)."""
        table, picked = self._source(model, rows)
        equal = {**(equal or {}), **({"version": version} if version is not None else {})}
        wanted = {**picked, **{self._name(k): str(v) for k, v in equal.items()}}
        unknown = [c for c in wanted if c not in table.c]
        if unknown:
            raise NotFoundError(f"no column {', '.join(map(repr, unknown))} in the log of {model}")
        return table, window_filter(table, self._name("ts"), _bound(start), _bound(end), wanted)

    # --- InferenceLog -----------------------------------------------------

    def window(
        self,
        model: str,
        start: datetime,
        end: datetime,
        columns: Sequence[str] | None = None,
        version: str | None = None,
    ) -> pd.DataFrame:
        """Rows logged in [start, end) (the rows cross: for a drill-down, not for counting)."""
        import sqlalchemy as sa

        table, where = self._where(model, start, end, version=version)
        hidden = {self._name("model")} if not self._per_model else set()
        present = [
            self._to_vigil.get(c, c) for c in (col.name for col in table.c) if c not in hidden
        ]
        wanted = (
            list(columns)
            if columns is not None
            else [*present, *(["label"] * ("label" not in present))]
        )
        unknown = [c for c in wanted if c not in present and c != "label"]
        if unknown:
            raise NotFoundError(f"no column {', '.join(map(repr, unknown))} in the log of {model}")
        read = list(dict.fromkeys(c for c in wanted if c in present))
        ts = table.c[self._name("ts")]
        statement = (
            sa.select(*(table.c[self._name(c)].label(c) for c in read)).where(*where).order_by(ts)
        )
        return self._frame(statement, read, wanted)

    def page(
        self,
        model: str,
        start: datetime,
        end: datetime,
        where: Mapping[str, str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> pd.DataFrame:
        """One page of a slice's rows, oldest first: the drill-down, the only rows that cross."""
        table, clauses = self._where(model, start, end, where)
        return self._every_column(table, clauses, limit, offset)

    def _every_column(
        self,
        table: sa.TableClause,
        clauses: Sequence[Any],
        limit: int | None = None,
        offset: int = 0,
    ) -> pd.DataFrame:
        """Every column of the rows the clauses keep, oldest first (a page of them with `limit`)."""
        import sqlalchemy as sa

        hidden = {self._name("model")} if not self._per_model else set()
        read = [self._to_vigil.get(c, c) for c in (col.name for col in table.c) if c not in hidden]
        statement = (
            sa.select(*(table.c[self._name(c)].label(c) for c in read))
            .where(*clauses)
            .order_by(table.c[self._name("ts")])
        )
        if limit is not None:
            statement = statement.limit(int(limit)).offset(int(offset))
        return self._frame(statement, read, [*read, *(["label"] * ("label" not in read))])

    def _frame(self, statement: sa.Select[Any], read: list[str], wanted: list[str]) -> pd.DataFrame:
        """A result as the window frame: ts in UTC, label float, absent columns NaN."""
        import pandas as pd

        frame = pd.DataFrame(self._run(statement), columns=read)
        if "ts" in frame.columns:
            frame["ts"] = _utc(frame["ts"])
        for column in ("score", "label"):
            if column in frame.columns:
                frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        for column in wanted:
            if column not in frame.columns:
                frame[column] = float("nan")
        return frame[wanted].reset_index(drop=True)

    def time_range(self, model: str) -> tuple[datetime, datetime] | None:
        """First and last timestamp logged: MIN and MAX in the engine."""
        import sqlalchemy as sa

        table, equal = self._source(model, rows=True)  # no label join: the files' statistics
        ts = table.c[self._name("ts")]
        statement = sa.select(sa.func.min(ts), sa.func.max(ts)).where(
            *(table.c[k] == v for k, v in equal.items())
        )
        first, last = self._run(statement)[0]
        if first is None:
            if not self._per_model:
                raise NotFoundError(f"no model {model!r} in the inference log")
            return None
        low, high = _utc([first, last])
        return low.to_pydatetime(), high.to_pydatetime()

    # --- counts pushed down -------------------------------------------------

    def window_minutes(
        self,
        model: str,
        start: datetime,
        end: datetime,
        version: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> list[tuple[int, datetime, datetime]]:
        """Per UTC minute holding rows of the window, oldest first: rows, first and last time."""
        from backends.sql.coverage import minutes_statement

        table, clauses = self._where(model, start, end, where, version, rows=True)
        rows = self._run(minutes_statement(table, self._name("ts"), clauses))
        if not rows:
            return []
        firsts, lasts = _utc([r[1] for r in rows]), _utc([r[2] for r in rows])
        return [
            (int(r[0]), first.to_pydatetime(), last.to_pydatetime())
            for r, first, last in zip(rows, firsts, lasts, strict=True)
        ]

    def widest_gap(
        self,
        model: str,
        start: datetime,
        end: datetime,
        version: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> tuple[datetime, datetime] | None:
        """The widest time between two consecutive rows of the window (the earliest of ties)."""
        from backends.sql.coverage import widest_gap_statement

        table, clauses = self._where(model, start, end, where, version, rows=True)
        rows = self._run(widest_gap_statement(table, self._name("ts"), clauses))
        if not rows:
            return None
        before, after = _utc([rows[0][0], rows[0][1]])
        return before.to_pydatetime(), after.to_pydatetime()

    def bin_counts(
        self,
        model: str,
        feature: str,
        edges: np.ndarray,
        start: datetime,
        end: datetime,
    ) -> np.ndarray:
        """Counts per open numeric bin (or per category, then unseen), then missing values."""
        counts, _ = self.window_bin_counts(model, {feature: edges}, start, end)[feature]
        return counts

    def window_bin_counts(
        self,
        model: str,
        edges: Mapping[str, np.ndarray],
        start: datetime,
        end: datetime,
        version: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> dict[str, tuple[np.ndarray, int]]:
        """Every feature's bin counts in one statement, and how many values were infinite.

        Numeric edges give `len(edges) + 1` open bins then missing (±inf in the
        outer bins); categorical edges (strings) give one count per category,
        then unseen, then missing. `where` adds `column = 'value'` filters.
        """
        import numpy as np

        table, clauses = self._where(model, start, end, where, version)
        binnings = []
        for feature, cut in edges.items():
            array = np.asarray(cut)
            if array.dtype.kind not in "OUS":
                array = array.astype(np.float64)
                if array.ndim != 1 or (np.diff(array) < 0).any():
                    raise ValueError(f"{feature}: edges must be a one-dimensional ascending array")
            column = self._name(feature)
            if column not in table.c:
                raise NotFoundError(f"no column {feature!r} in the log of {model}")
            binnings.append(Binning(feature, column, array))
        if not binnings:
            return {}
        rows = self._run(counts_statement(table, binnings, clauses, self.dialect))
        by_feature: dict[str, list[tuple[Any, Any, Any]]] = {b.feature: [] for b in binnings}
        for row in rows:
            by_feature[str(row[0])].append((row[1], row[2], row[3]))
        return {b.feature: fold(b, by_feature[b.feature]) for b in binnings}

    def group_profile(
        self,
        model: str,
        windows: Sequence[tuple[datetime, datetime]],
        kinds: Mapping[str, Literal["numeric", "categorical"]],
        value: RowValue,
        quantiles: Sequence[float],
        version: str | None = None,
    ) -> GroupProfile:
        """The slice columns over the windows' rows with a value, in one statement."""
        from backends.sql import groups

        sources = []
        for index, (start, end) in enumerate(windows):
            table, where = self._where(model, start, end, version=version)
            columns = self._present(model, table, list(kinds))
            measured = groups.value_expression(table, value, self._outcomes(table), self.dialect)
            sources.append(groups.window_rows(table, where, index, columns, measured))
        statement = groups.profile_statement(sources, kinds, quantiles, self.dialect)
        row = self._run(statement)[0]
        return groups.read_profile(row, len(windows), kinds, len(quantiles))

    def grouped_counts(
        self,
        model: str,
        start: datetime,
        end: datetime,
        keys: Sequence[GroupKey],
        sets: Sequence[tuple[str, ...]],
        value: RowValue,
        version: str | None = None,
    ) -> list[pd.DataFrame]:
        """n, the value's sum and sum of squares per group of every set: one GROUPING SETS query."""
        from backends.sql import groups

        table, where = self._where(model, start, end, version=version)
        self._present(model, table, [key.column for key in keys])
        names = {key.column: self._name(key.column) for key in keys}
        measured = groups.value_expression(table, value, self._outcomes(table), self.dialect)
        statement = groups.counts_statement(table, where, keys, sets, measured, names, self.dialect)
        return groups.split_sets(self._run(statement), keys, sets)

    def slice_rows(
        self,
        model: str,
        start: datetime,
        end: datetime,
        where: Sequence[tuple[str, str, str]],
        version: str | None = None,
    ) -> pd.DataFrame:
        """A slice's rows, oldest first, filtered in the engine: only the drill-down crosses."""
        from backends.sql import groups

        table, clauses = self._where(model, start, end, version=version)
        names = self._present(model, table, [column for column, _, _ in where])
        for name, (_, op, value) in zip(names, where, strict=True):
            clauses.append(groups.predicate_clause(table.c[name], op, value, self.dialect))
        return self._every_column(table, clauses)

    def _present(self, model: str, table: sa.TableClause, columns: Sequence[str]) -> list[str]:
        """The table's names of Vigil columns; NotFoundError naming any that is absent."""
        names = [self._name(c) for c in columns]
        unknown = [c for c, name in zip(columns, names, strict=True) if name not in table.c]
        if unknown:
            raise NotFoundError(f"no column {', '.join(map(repr, unknown))} in the log of {model}")
        return names

    def _outcomes(self, table: sa.TableClause) -> dict[str, str | None]:
        """Vigil column -> the table's column for every column the table has (None when absent)."""
        vigil = [self._to_vigil.get(c.name, c.name) for c in table.c]
        return {name: self._name(name) for name in vigil} | {
            name: None for name in OUTCOMES if self._name(name) not in table.c
        }


def _quoted(engine: sa.Engine, name: str) -> str:
    """A dotted table name quoted by the engine's dialect."""
    preparer = engine.dialect.identifier_preparer
    return ".".join(preparer.quote(part) for part in name.split("."))


def _bound(moment: datetime) -> datetime:
    """A window bound in UTC (naive bounds are read as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _utc(values: Any) -> Any:
    """Timestamps as UTC: aware ones converted, naive ones read as UTC."""
    import pandas as pd

    return pd.to_datetime(values, utc=True)


def _brief(error: Exception) -> str:
    """The engine's message, first line only, without the statement or its parameters."""
    original = getattr(error, "orig", None) or error
    return str(original).splitlines()[0][:300] if str(original) else type(original).__name__
