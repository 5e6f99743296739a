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


def model_view(root: Path, model: str, columns: list[str], engine: str = "duckdb") -> str:
    """The view of one model's log: its files, and the latest late label per request."""
    flavour = FLAVOURS[engine]
    name = _ident(model, flavour)
    parts = [path for path, _, _ in log_parts(root / "inference" / model)]
    if not parts:
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
        return f"CREATE OR REPLACE VIEW {name} AS SELECT {empty} WHERE 1 = 0"
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


def workspace_views(root: str | Path, engine: str = "duckdb") -> list[str]:
    """`CREATE OR REPLACE VIEW` for every model with a log folder in the workspace."""
    import pyarrow.parquet as pq

    if engine not in FLAVOURS:
        raise ValueError(f"views for {', '.join(FLAVOURS)} only, not {engine!r}")
    base = Path(root).expanduser()
    statements = []
    for folder in sorted((base / "inference").glob("*")):
        if not folder.is_dir():
            continue
        names: dict[str, None] = {}
        for path, _, _ in log_parts(folder):
            names.update(dict.fromkeys(pq.read_schema(path).names))
        statements.append(model_view(base, folder.name, list(names), engine))
    return statements
