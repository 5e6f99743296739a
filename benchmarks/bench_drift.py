"""Benchmark: the drift table on 1M rows × 20 numeric features, against a raw numpy floor.

Prints, in one run: the PSI table with a cached reference fit against the
floor (np.searchsorted + np.bincount over the same cached edges; goal ≤ 1.2×),
the same without a cache (fitting the reference too), the full table with KS
and Wasserstein, the peak memory of a cached scoring (tracemalloc), Evidently
0.7.23's DataDriftPreset(method="psi") on the same data where its separate
venv exists (goal: Vigil ≥ 100× faster), and the slice benchmark.

    .venv/bin/python benchmarks/bench_drift.py [--rows 1000000] [--skip-evidently]

The Evidently venv: python3 -m venv .bench/evidently &&
.bench/evidently/bin/pip install evidently==0.7.23 'pandas<3'
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import bench_slices  # noqa: E402
from console.analysis.drift import drift_against, drift_table, fit_reference  # noqa: E402

EVIDENTLY_PYTHON = ROOT / ".bench" / "evidently" / "bin" / "python"
FEATURES = 20
FLOOR_GOAL = 1.2
EVIDENTLY_GOAL = 100.0


def make_data(rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current frames; half the features shifted in the current one."""
    rng = np.random.default_rng(seed)
    names = [f"f{i:02d}" for i in range(FEATURES)]
    reference = pd.DataFrame(rng.normal(size=(rows, FEATURES)), columns=names)
    shift = np.where(np.arange(FEATURES) % 2 == 0, 0.25, 0.0)
    current = pd.DataFrame(rng.normal(size=(rows, FEATURES)) + shift, columns=names)
    return reference, current


def best_of(function: Callable[[], Any], repeats: int) -> float:
    """The fastest of `repeats` runs, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def evidently(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, Any] | None:
    """Run the Evidently baseline in its own venv on the same data; None if it is not there."""
    if not EVIDENTLY_PYTHON.exists():
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.npz"
        np.savez(
            path,
            reference=reference.to_numpy(),
            current=current.to_numpy(),
            names=np.array(reference.columns, dtype=str),
        )
        script = ROOT / "benchmarks" / "evidently_baseline.py"
        done = subprocess.run(
            [str(EVIDENTLY_PYTHON), str(script), str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        print(f"evidently baseline failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    """Run every measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--skip-slices", action="store_true")
    args = parser.parse_args()
    reference, current = make_data(args.rows)
    names = list(reference.columns)
    print(f"data: reference and current {args.rows:,} rows × {FEATURES} numeric features")

    fit_s = best_of(lambda: fit_reference(reference, names, keep_sample=False), 1)
    fitted = fit_reference(reference, names, keep_sample=False)
    edges = {name: fitted[name].edges for name in names}
    columns = {name: current[name].to_numpy() for name in names}

    def floor() -> None:
        for name in names:
            np.bincount(np.searchsorted(edges[name], columns[name]), minlength=edges[name].size + 1)

    def cached() -> None:
        drift_against(fitted, current, names, exact=False)

    def uncached() -> None:
        drift_table(reference, current, names, exact=False)

    floor_s = best_of(floor, args.repeats)
    cached_s = best_of(cached, args.repeats)
    floor_s = min(floor_s, best_of(floor, args.repeats))
    uncached_s = best_of(uncached, 1)
    exact_s = best_of(lambda: drift_table(reference, current, names), 1)
    ratio = cached_s / floor_s
    verdict = "meets" if ratio <= FLOOR_GOAL else "MISSES"
    print(f"numpy floor (searchsorted + bincount, cached edges): {floor_s:.3f} s")
    print(
        f"drift table, cached reference:   {cached_s:.3f} s = {ratio:.2f}× the floor "
        f"({verdict} the ≤ {FLOOR_GOAL}× goal)"
    )
    print(
        f"drift table, no cache (fit + score): {uncached_s:.3f} s "
        f"(reference fit alone {fit_s:.3f} s)"
    )
    print(f"drift table with exact KS + Wasserstein (sorts both samples): {exact_s:.3f} s")

    tracemalloc.start()
    cached()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    input_mb = current.memory_usage(deep=True).sum() / 2**20
    print(
        f"peak extra memory while scoring (tracemalloc): {peak / 2**20:.1f} MiB "
        f"for an input of {input_mb:.0f} MiB"
    )

    if args.skip_evidently:
        print("evidently: skipped (--skip-evidently)")
    else:
        result = evidently(reference, current)
        if result is None:
            where = EVIDENTLY_PYTHON.parent.parent
            print(
                f"evidently: not measured: no working venv at {where} (see this file's docstring)"
            )
        else:
            seconds = float(result["seconds"])
            speedup = seconds / cached_s
            verdict = "meets" if speedup >= EVIDENTLY_GOAL else "MISSES"
            print(
                f"evidently 0.7.23 DataDriftPreset(method='psi'): {seconds:.2f} s; Vigil cached is "
                f"{speedup:.0f}× faster ({verdict} the ≥ {EVIDENTLY_GOAL:g}× goal), "
                f"uncached {seconds / uncached_s:.0f}×"
            )
            ours = drift_table(reference, current, names, mode="evidently")
            gaps = [
                abs(row.psi - result["psi"][row.feature])
                for row in ours.features
                if row.psi is not None and row.feature in result["psi"]
            ]
            if gaps:
                print(
                    f"evidently-mode PSI vs Evidently's own: max |Δ| = {max(gaps):.2e} "
                    f"over {len(gaps)} features"
                )
    if not args.skip_slices:
        slices = bench_slices.run(args.rows)
        verdict = "meets" if float(slices["seconds"]) <= bench_slices.GOAL_S else "MISSES"
        print(
            f"slices: {args.rows:,} rows × 10 columns, 1–2 predicates: "
            f"{float(slices['seconds']):.3f} s ({verdict} the ≤ {bench_slices.GOAL_S:g} s goal); "
            f"worst: {slices['top']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
