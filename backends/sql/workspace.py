"""DuckDB views over a workspace's own Parquet log: one view per model, late labels joined.

`workspace_views(root)` returns the `CREATE OR REPLACE VIEW` statements;
run them in a DuckDB database and point the `sql` backend at it with
`table: "{model}"`. A view lists the live files by name (a compaction in
progress is not read twice), so it is re-created after a write.
"""

from __future__ import annotations

from pathlib import Path

from backends.embedded.partitions import label_files, log_parts

EMPTY = (
    "SELECT CAST(NULL AS TIMESTAMPTZ) AS ts, CAST(NULL AS VARCHAR) AS request_id, "
    "CAST(NULL AS VARCHAR) AS version, CAST(NULL AS DOUBLE) AS score, "
    "CAST(NULL AS DOUBLE) AS prediction, CAST(NULL AS DOUBLE) AS label WHERE false"
)


def _literal(path: Path) -> str:
    """A file path as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def model_view(root: Path, model: str, columns: list[str]) -> str:
    """The view of one model's log: its files, and the latest late label per request."""
    parts = [path for path, _, _ in log_parts(root / "inference" / model)]
    if not parts:
        return f"CREATE OR REPLACE VIEW {_ident(model)} AS {EMPTY}"
    logged = f"read_parquet([{', '.join(map(_literal, parts))}], union_by_name = true)"
    folder = root / "labels" / model
    labels = [
        path for day in sorted(folder.glob("*")) if day.is_dir() for _, path in label_files(day)
    ]
    if not labels:
        return f"CREATE OR REPLACE VIEW {_ident(model)} AS SELECT * FROM {logged}"
    order = {str(path): rank for rank, path in enumerate(labels)}
    ranks = " ".join(f"WHEN {_literal(Path(p))} THEN {r}" for p, r in order.items())
    late = (
        "SELECT request_id, label FROM ("
        "SELECT request_id, label, row_number() OVER (PARTITION BY request_id "
        f"ORDER BY CASE filename {ranks} END DESC, file_row_number DESC) AS newest "
        f"FROM read_parquet([{', '.join(map(_literal, labels))}], "
        "filename = true, file_row_number = true)) WHERE newest = 1"
    )
    kept = ", ".join(f"logged.{_ident(c)}" for c in columns if c != "label")
    base = "logged.label" if "label" in columns else "CAST(NULL AS DOUBLE)"
    return (
        f"CREATE OR REPLACE VIEW {_ident(model)} AS SELECT {kept}, "
        f"CAST(coalesce(late.label, {base}) AS DOUBLE) AS label "
        f"FROM {logged} AS logged LEFT JOIN ({late}) AS late USING (request_id)"
    )


def workspace_views(root: str | Path) -> list[str]:
    """`CREATE OR REPLACE VIEW` for every model with a log folder in the workspace."""
    import pyarrow.parquet as pq

    base = Path(root).expanduser()
    statements = []
    for folder in sorted((base / "inference").glob("*")):
        if not folder.is_dir():
            continue
        names: dict[str, None] = {}
        for path, _, _ in log_parts(folder):
            names.update(dict.fromkeys(pq.read_schema(path).names))
        statements.append(model_view(base, folder.name, list(names)))
    return statements
