"""Benchmark: automatic slice discovery (1–2 predicates) on 1M rows; goal ≤ 1 s.

The baseline, timed in the same process and interleaved with Vigil's runs
(so both see the same load), is the plain pandas way to get the same
statistics: each column made categorical (numeric ones cut at their exact
quartiles with `pd.qcut`), then one `groupby(...).agg(size, sum)` per column
and per pair of columns. It only counts; Vigil also scores, filters and
ranks the slices.

.venv/bin/python benchmarks/bench_slices.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pandas as pd

from console.analysis.slices import worst_slices

GOAL_S = 1.0


def make_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """6 categorical and 4 numeric columns, labels and predictions; tablet is the bad slice."""
    rng = np.random.default_rng(seed)
    device = rng.choice(["desktop", "ios", "android", "tablet"], rows, p=[0.45, 0.3, 0.2, 0.05])
    frame = pd.DataFrame(
        {
            "device_type": device,
            "country": rng.choice([f"c{i}" for i in range(12)], rows),
            "channel": rng.choice(["web", "app", "api"], rows),
            "merchant": rng.choice([f"m{i}" for i in range(8)], rows),
            "daypart": rng.choice(["night", "morning", "afternoon", "evening"], rows),
            "plan": rng.choice(["free", "pro"], rows),
            **{f"x{i}": rng.normal(size=rows) for i in range(4)},
        }
    )
    accuracy = np.select(
        [device == "desktop", device == "ios", device == "android"], [0.94, 0.92, 0.88], 0.62
    )
    label = rng.integers(0, 2, rows)
    frame["label"] = label
    frame["prediction"] = np.where(rng.random(rows) < accuracy, label, 1 - label)
    return frame


def pandas_baseline(frame: pd.DataFrame) -> int:
    """The same 1- and 2-column statistics with plain pandas groupbys; the number of groups."""
    errors = (frame["label"] != frame["prediction"]).astype(np.float64)
    columns = [c for c in frame.columns if c not in ("label", "prediction")]
    data = pd.DataFrame({"error": errors})
    for column in columns:
        series = frame[column]
        numeric = pd.api.types.is_float_dtype(series.dtype)
        cut = pd.qcut(series, 4, duplicates="drop") if numeric else None
        data[column] = cut if cut is not None else series.astype("category")
    groups = 0
    for chosen in [*([c] for c in columns), *map(list, itertools.combinations(columns, 2))]:
        groups += len(data.groupby(chosen, observed=True)["error"].agg(["size", "sum"]))
    return groups


def run(rows: int, repeats: int = 3, baseline: bool = False) -> dict[str, float | str]:
    """Best-of-`repeats` time of worst_slices (two predicates), and of the pandas baseline."""
    frame = make_frame(rows)
    times: list[float] = []
    floor: list[float] = []
    table = None
    for _ in range(repeats):
        started = time.perf_counter()
        table = worst_slices(frame, metric="accuracy", max_predicates=2, min_support=1000)
        times.append(time.perf_counter() - started)
        if baseline:
            started = time.perf_counter()
            pandas_baseline(frame)
            floor.append(time.perf_counter() - started)
    assert table is not None and table.slices
    return {
        "seconds": min(times),
        "baseline_seconds": min(floor) if floor else float("nan"),
        "top": table.slices[0].name,
        "columns": 10.0,
    }


def main() -> int:
    """Print the slice benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    result = run(args.rows, baseline=True)
    seconds, floor = float(result["seconds"]), float(result["baseline_seconds"])
    verdict = "meets" if seconds <= GOAL_S else "MISSES"
    print(
        f"slices: {args.rows:,} rows × 10 columns (6 categorical, 4 numeric in quartiles), "
        f"1–2 predicates: {seconds:.3f} s ({verdict} the ≤ {GOAL_S:g} s goal); "
        f"pandas groupbys of the same counts {floor:.3f} s, ratio {seconds / floor:.2f}×; "
        f"worst slice: {result['top']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
