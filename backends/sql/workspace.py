"""Views over a workspace's own Parquet log, one per model with late labels joined: DuckDB or Spark.

`workspace_views(root, engine)` returns the `CREATE OR REPLACE VIEW`
statements; run them in a DuckDB database (or a Spark SQL session's
catalog) and point the `sql` backend at it with `table: "{model}"`. The
DuckDB view lists the live files by name, so a compaction in progress is
not read twice; Spark reads the folder's `part-*.parquet`. A view is
re-created after a write that adds a model, a column or a label file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backends.embedded.partitions import label_files, log_parts


@dataclass(frozen=True)
class Flavour:
    """How one engine spells a view's parts."""

    quote: str
    timestamp: str
    text: str
    file_name: str


ROWS_SCHEMA = "vigil_rows"
FLAVOURS = {
    "duckdb": Flavour('"', "TIMESTAMPTZ", "VARCHAR", "filename"),
    "spark": Flavour("`", "TIMESTAMP", "STRING", "_metadata.file_name"),
}


def _literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str, flavour: Flavour) -> str:
    """A quoted SQL identifier."""
    q = flavour.quote
    return q + name.replace(q, q + q) + q


def _files(paths: list[Path], engine: str, *, names: bool = False) -> str:
    """A FROM source reading `paths` (DuckDB: the list; Spark: their folder's glob)."""
    if engine == "spark":
        pattern = "labels-*.parquet" if names else "part-*.parquet"
        folders = sorted({str(p.parent.parent if names else p.parent) for p in paths})
        glob = f"{folders[0]}/*/{pattern}" if names else f"{folders[0]}/{pattern}"
        return f"parquet.`{glob}`"
    listed = ", ".join(_literal(str(p)) for p in paths)
    extra = ", filename = true" if names else ""
    return f"read_parquet([{listed}], union_by_name = true{extra})"


def _empty(flavour: Flavour) -> str:
    """A SELECT of no rows with the log's own columns (a model that has logged nothing yet)."""
    empty = ", ".join(
        f"CAST(NULL AS {kind}) AS {column}"
        for column, kind in (
            ("ts", flavour.timestamp),
            ("request_id", flavour.text),
            ("version", flavour.text),
            ("score", "DOUBLE"),
            ("prediction", "DOUBLE"),
            ("label", "DOUBLE"),
        )
    )
    return f"SELECT {empty} WHERE 1 = 0"


def model_view(root: Path, model: str, columns: list[str], engine: str = "duckdb") -> str:
    """The view of one model's log: its files, and the latest late label per request."""
    flavour = FLAVOURS[engine]
    name = _ident(model, flavour)
    parts = [path for path, _, _ in log_parts(root / "inference" / model)]
    if not parts:
        return f"CREATE OR REPLACE VIEW {name} AS {_empty(flavour)}"
    logged = _files(parts, engine)
    folder = root / "labels" / model
    labels = [
        path for day in sorted(folder.glob("*")) if day.is_dir() for _, path in label_files(day)
    ]
    kept = ", ".join(f"logged.{_ident(c, flavour)}" for c in columns if c != "label")
    if not labels:
        base = "logged.label" if "label" in columns else "CAST(NULL AS DOUBLE)"
        select = f"SELECT {kept}, {base} AS label FROM {logged} AS logged"
        return f"CREATE OR REPLACE VIEW {name} AS {select}"
    # a label file's name starts with the time it was written: the newest file's label wins
    late = (
        "SELECT request_id, label FROM (SELECT request_id, label, row_number() OVER "
        f"(PARTITION BY request_id ORDER BY {flavour.file_name} DESC) AS newest "
        f"FROM {_files(labels, engine, names=True)}) AS ranked WHERE newest = 1"
    )
    base = "logged.label" if "label" in columns else "CAST(NULL AS DOUBLE)"
    return (
        f"CREATE OR REPLACE VIEW {name} AS SELECT {kept}, "
        f"CAST(coalesce(late.label, {base}) AS DOUBLE) AS label "
        f"FROM {logged} AS logged LEFT JOIN ({late}) AS late ON logged.request_id = late.request_id"
    )


def rows_view(root: Path, model: str, schema: str = ROWS_SCHEMA) -> str:
    """DuckDB's view of one model's logged rows alone (no label join): what needs no label reads it.

    `MIN`/`MAX(ts)` on it comes from the Parquet statistics instead of a join
    over every row; the `sql` backend's `rows_table` option names it.
    """
    flavour = FLAVOURS["duckdb"]
    name = f"{_ident(schema, flavour)}.{_ident(model, flavour)}"
    parts = [path for path, _, _ in log_parts(root / "inference" / model)]
    if not parts:
        return f"CREATE OR REPLACE VIEW {name} AS {_empty(flavour)}"
    return f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {_files(parts, 'duckdb')}"


def workspace_views(
    root: str | Path, engine: str = "duckdb", *, rows_schema: str | None = None
) -> list[str]:
    """`CREATE OR REPLACE VIEW` for every model with a log folder in the workspace.

    With `rows_schema` (DuckDB only), each model also gets `rows_schema.model`,
    its rows without the label join (`rows_view`).
    """
    import pyarrow.parquet as pq

    if engine not in FLAVOURS:
        raise ValueError(f"views for {', '.join(FLAVOURS)} only, not {engine!r}")
    if rows_schema is not None and engine != "duckdb":
        raise ValueError("label-free rows views are made for DuckDB only")
    base = Path(root).expanduser()
    statements = [] if rows_schema is None else [f"CREATE SCHEMA IF NOT EXISTS {rows_schema}"]
    for folder in sorted((base / "inference").glob("*")):
        if not folder.is_dir():
            continue
        names: dict[str, None] = {}
        for path, _, _ in log_parts(folder):
            names.update(dict.fromkeys(pq.read_schema(path).names))
        statements.append(model_view(base, folder.name, list(names), engine))
        if rows_schema is not None:
            statements.append(rows_view(base, folder.name, rows_schema))
    return statements
