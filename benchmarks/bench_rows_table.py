"""Benchmark: what needs no label read from the label-free rows view, against the joined view.

Over a workspace's Parquet log (default: the demo at ~/.local/share/vigil/demo,
read only), one temporary DuckDB database holds both `workspace_views`: the
model's view with the late labels joined, and `vigil_rows.<model>` without
the join. For `time_range` and the coverage's two statements
(`window_minutes`, `widest_gap` over the last 24 h), runs alternate between a
log reading the joined view (the baseline) and one with `rows_table`, and the
script prints each one's min and median and the median of run-by-run ratios.

    .venv/bin/python benchmarks/bench_rows_table.py [--workspace DIR] [--model M] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backends.sql import SqlInferenceLog
from backends.sql.workspace import ROWS_SCHEMA, workspace_views


def timed(read: Callable[[SqlInferenceLog], object], log: SqlInferenceLog) -> float:
    """Seconds one read of `log` takes."""
    started = time.perf_counter()
    read(log)
    return time.perf_counter() - started


def main() -> None:
    """Build the views, then alternate the two logs on each read and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", default=str(Path.home() / ".local/share/vigil/demo"))
    parser.add_argument("--model", default="fraud-detector")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"duckdb:///{folder}/log.duckdb"
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            for statement in workspace_views(args.workspace, "duckdb", rows_schema=ROWS_SCHEMA):
                connection.exec_driver_sql(statement)
        engine.dispose()
        joined = SqlInferenceLog(url, "{model}")
        rows = SqlInferenceLog(url, "{model}", rows_table=f"{ROWS_SCHEMA}.{{model}}")
        span = joined.time_range(args.model)
        if span is None:
            raise SystemExit(f"{args.model} has no logged rows in {args.workspace}")
        end = span[1]
        start = end - timedelta(hours=24)
        reads: dict[str, Callable[[SqlInferenceLog], object]] = {
            "time_range": lambda log: log.time_range(args.model),
            "window_minutes 24h": lambda log: log.window_minutes(args.model, start, end),
            "widest_gap 24h": lambda log: log.widest_gap(args.model, start, end),
        }
        try:
            for name, read in reads.items():
                read(joined), read(rows)  # warm the column cache and the files
                base, fast = [], []
                for _ in range(args.runs):
                    base.append(timed(read, joined))
                    fast.append(timed(read, rows))
                ratio = statistics.median(b / f for b, f in zip(base, fast, strict=True))
                print(
                    f"{name}: joined view min {min(base) * 1000:.1f} ms median "
                    f"{statistics.median(base) * 1000:.1f} ms; rows table min "
                    f"{min(fast) * 1000:.1f} ms median {statistics.median(fast) * 1000:.1f} ms; "
                    f"{ratio:.1f}x faster (median of run-by-run ratios)"
                )
        finally:
            joined.close()
            rows.close()


if __name__ == "__main__":
    main()
