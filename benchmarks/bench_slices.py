"""Benchmark: automatic slice discovery (1–2 predicates) on 1M rows; goal ≤ 1 s.

.venv/bin/python benchmarks/bench_slices.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
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


def run(rows: int, repeats: int = 3) -> dict[str, float | str]:
    """Best-of-`repeats` time of worst_slices with up to two predicates."""
    frame = make_frame(rows)
    times = []
    table = None
    for _ in range(repeats):
        started = time.perf_counter()
        table = worst_slices(frame, metric="accuracy", max_predicates=2, min_support=1000)
        times.append(time.perf_counter() - started)
    assert table is not None and table.slices
    return {"seconds": min(times), "top": table.slices[0].name, "columns": 10.0}


def main() -> int:
    """Print the slice benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    result = run(args.rows)
    verdict = "meets" if float(result["seconds"]) <= GOAL_S else "MISSES"
    print(
        f"slices: {args.rows:,} rows × 10 columns (6 categorical, 4 numeric in quartiles), "
        f"1–2 predicates: {float(result['seconds']):.3f} s ({verdict} the ≤ {GOAL_S:g} s goal); "
        f"worst slice: {result['top']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
