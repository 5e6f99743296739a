"""Benchmark: a drift table's counts pushed down to the engine, against pulling the rows.

On an inference log of 10,000,000 rows (8 numeric features with missing
values, 2 categorical) in Parquet, for each engine in one run:

- pushdown: `SqlInferenceLog.window_bin_counts`, one statement per window
  (a CTE of bins, a GROUP BY per feature, UNION ALL), then the drift rows
  from the counts;
- pull: the same features' rows fetched through SQLAlchemy in batches of
  100,000 and counted in numpy (searchsorted + bincount over the same edges,
  value counts for the categoricals), then the same drift rows;
- the bytes that crossed into Vigil: every value of every result (8 bytes a
  number, a text's UTF-8 length), the driver's framing not counted; for the
  pushdown, the values of the counts statement's rows as the log received them.

Engines: DuckDB embedded over the Parquet file; Spark SQL in local mode
behind its Thrift endpoint (the spark env of scripts/test_servers.sh).

    .venv/bin/python benchmarks/bench_pushdown.py [--rows 10000000] [--engines duckdb,spark]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backends.sql import SqlInferenceLog
from console.analysis.drift.bands import get_profile
from console.analysis.drift.reference import (
    NUMERIC,
    Binned,
    count_categorical,
    count_numeric,
    fit_reference,
)
from console.analysis.drift.table import binned_row

NUMERICS = tuple(f"x{i}" for i in range(8))
CATEGORICALS = ("country", "device")
FEATURES = NUMERICS + CATEGORICALS
START = pd.Timestamp("2026-11-01", tz="UTC")
BATCH = 100_000


def make_log(path: Path, rows: int, seed: int = 0) -> None:
    """Write `rows` logged requests over a day to one Parquet file, in row groups of 1M."""
    rng = np.random.default_rng(seed)
    writer = None
    for lo in range(0, rows, 1_000_000):
        n = min(1_000_000, rows - lo)
        stamps = START + pd.to_timedelta(np.sort(rng.uniform(0, 86_400, n)), "s")
        columns: dict[str, Any] = {"ts": stamps, "version": np.where(rng.random(n) < 0.7, "1", "2")}
        for index, name in enumerate(NUMERICS):
            values = rng.normal(index * 0.1 + 0.3, 1.0, n)
            values[rng.random(n) < 0.02] = np.nan
            columns[name] = values
        columns["country"] = rng.choice(["US", "FR", "DE", "BR", "IN"], n)
        columns["device"] = rng.choice(["ios", "android", "web"], n)
        table = pa.Table.from_pandas(pd.DataFrame(columns), preserve_index=False)
        # microseconds, as the embedded log writes them (Spark reads no nanosecond timestamps)
        index = table.schema.get_field_index("ts")
        table = table.set_column(
            index, "ts", table.column("ts").cast(pa.timestamp("us", tz="UTC"), safe=False)
        )
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()


def reference_fit() -> Any:
    """The cached reference fit the edges come from (100,000 training rows)."""
    rng = np.random.default_rng(7)
    n = 100_000
    frame = pd.DataFrame({name: rng.normal(0.3, 1.0, n) for name in NUMERICS})
    frame["country"] = rng.choice(["US", "FR", "DE", "BR"], n)
    frame["device"] = rng.choice(["ios", "android", "web"], n)
    return fit_reference(frame, FEATURES, bins=10, kinds=dict.fromkeys(CATEGORICALS, "categorical"))


def edges(fitted: Any) -> dict[str, np.ndarray]:
    """Each feature's edges or categories, as sent to the engine."""
    return {
        name: fit.edges if fit.kind == NUMERIC else np.asarray(fit.categories, dtype=object)
        for name, fit in fitted.fits.items()
    }


def value_bytes(rows: Any) -> int:
    """The size of a result's values: 8 bytes a number, a text's UTF-8 length."""
    total = 0
    for row in rows:
        for value in row:
            total += len(value.encode()) if isinstance(value, str) else 8
    return total


def drift_rows(fitted: Any, counted: dict[str, tuple[np.ndarray, int]]) -> list[Any]:
    """The drift table's rows from counts."""
    profile = get_profile("strict")
    return [
        binned_row(fitted[name], Binned(counts, int(counts.sum()), infinite), profile)
        for name, (counts, infinite) in counted.items()
    ]


class MeteredLog(SqlInferenceLog):
    """The SQL log, adding up the bytes of the values every statement returns."""

    crossed = 0

    def _run(self, statement: Any) -> list[tuple[Any, ...]]:
        """Run as the log does, and count what came back."""
        rows = super()._run(statement)
        self.crossed += value_bytes(rows)
        return rows


def pushdown(log: MeteredLog, fitted: Any, end: Any) -> tuple[list[Any], int]:
    """Counts in the engine, one statement; the bytes of the values that came back."""
    log.crossed = 0
    counted = log.window_bin_counts("log", edges(fitted), START.to_pydatetime(), end)
    return drift_rows(fitted, counted), log.crossed


def pull(
    url: str, table: str, args: dict[str, Any], fitted: Any, end: Any
) -> tuple[list[Any], int]:
    """The rows fetched in batches and counted in numpy; the bytes of the values fetched."""
    engine = sa.create_engine(url, connect_args=args)
    source = sa.table(table, sa.column("ts"), *(sa.column(c) for c in FEATURES))
    statement = sa.select(*(source.c[c] for c in FEATURES)).where(
        source.c.ts >= START.to_pydatetime(), source.c.ts < end
    )
    totals: dict[str, np.ndarray] = {}
    crossed = 0
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=BATCH).execute(statement)
        for batch in result.partitions(BATCH):
            crossed += value_bytes(batch)
            frame = pd.DataFrame(batch, columns=list(FEATURES))
            for name in FEATURES:
                fit = fitted[name]
                if fit.kind == NUMERIC:
                    values = pd.to_numeric(frame[name]).to_numpy(np.float64, na_value=np.nan)
                    counts, _ = count_numeric(values, fit.edges)
                else:
                    counts = count_categorical(frame[name], fit.categories)
                totals[name] = totals.get(name, 0) + counts
    engine.dispose()
    return drift_rows(fitted, {n: (c, 0) for n, c in totals.items()}), crossed


def timed(run: Callable[[], tuple[list[Any], int]]) -> tuple[float, list[Any], int]:
    """Seconds, drift rows and value bytes of one run."""
    began = time.perf_counter()
    rows, crossed = run()
    return time.perf_counter() - began, rows, crossed


def engines(
    folder: Path, data: Path, wanted: list[str]
) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(name, url, table, connect_args) of each engine, set up over the Parquet file."""
    if "duckdb" in wanted:
        url = f"duckdb:///{folder / 'bench.duckdb'}"
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql(
                f"CREATE OR REPLACE VIEW log AS SELECT * FROM read_parquet('{data}')"
            )
        engine.dispose()
        yield "duckdb", url, "log", {}
    if "spark" in wanted:
        from tests.integration.sql.spark import NOSASL, start_thrift

        server = start_thrift(folder / "spark")
        try:
            engine = sa.create_engine(server.url, connect_args=NOSASL)
            with engine.connect() as connection:
                connection.exec_driver_sql(
                    f"CREATE OR REPLACE VIEW log AS SELECT * FROM parquet.`{data}`"
                )
            engine.dispose()
            yield "spark", server.url, "log", NOSASL
        finally:
            server.stop()


def main() -> None:
    """Print, per engine, pushdown against pull: time, bytes, and that the tables agree."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--engines", default="duckdb,spark")
    options = parser.parse_args()
    fitted = reference_fit()
    end = (START + pd.Timedelta(days=1)).to_pydatetime()
    measured: list[tuple[str, float, float, int, int, bool]] = []
    with tempfile.TemporaryDirectory(prefix="vigil-pushdown-") as tmp:
        folder = Path(tmp)
        data = folder / "log.parquet"
        began = time.perf_counter()
        make_log(data, options.rows)
        size = data.stat().st_size
        print(f"log: {options.rows:,} rows × {len(FEATURES)} features, {size / 1e6:.0f} MB Parquet "
              f"(written in {time.perf_counter() - began:.1f} s)", flush=True)  # fmt: skip
        for name, url, table, args in engines(folder, data, options.engines.split(",")):
            log = MeteredLog(url, "{model}", connect_args=args)
            log.window_bin_counts(table, {}, START.to_pydatetime(), end)  # the columns, once
            down_s, down_rows, down_bytes = timed(partial(pushdown, log, fitted, end))
            log.close()
            print(f"\n{name}:")
            print(line("pushdown", down_s, down_bytes), flush=True)
            pull_s, pull_rows, pull_bytes = timed(partial(pull, url, table, args, fitted, end))
            print(line("pull", pull_s, pull_bytes))
            same = all(
                a.feature == b.feature and a.psi == b.psi and a.n_current == b.n_current
                for a, b in zip(down_rows, pull_rows, strict=True)
            )
            print(f"  pull / pushdown: {pull_s / down_s:.1f}× the time, "
                  f"{pull_bytes / max(down_bytes, 1):,.0f}× the values; "
                  f"drift tables equal: {same}", flush=True)  # fmt: skip
            measured.append((name, down_s, pull_s, down_bytes, pull_bytes, same))
    print(f"\none run, {options.rows:,} rows:")
    for name, down_s, pull_s, down_bytes, pull_bytes, same in measured:
        print(f"  {name:7} pushdown {down_s:7.2f} s, {down_bytes:>9,} B | "
              f"pull {pull_s:7.2f} s, {pull_bytes:>13,} B | "
              f"{pull_s / down_s:5.1f}× faster, tables equal: {same}")  # fmt: skip


def line(label: str, seconds: float, values: int) -> str:
    """One measured line: the time and the bytes of the values that crossed."""
    return f"  {label:9} {seconds:8.2f} s   values in {values:>14,} B"


if __name__ == "__main__":
    main()
