"""Benchmark: `vigil drift` on two Parquet files, whole processes, against a numpy floor.

On reference and current files of 1M rows × 20 numeric features (half of
them shifted), each measured as a whole process from the files to the JSON,
in one run:

- the floor: a Python process that reads both files with pandas and computes
  PSI over reference deciles with numpy (np.quantile, searchsorted, bincount);
- `vigil drift --json` (default: PSI, JS, and KS / Wasserstein from the
  reference's quantile sketch): goal ≤ 1.5× the floor;
- `vigil drift --json --exact` (exact KS and Wasserstein): its ratio to the
  floor, and to Evidently 0.7.23's DataDriftPreset(method="psi") run as a
  whole process on the same files where its venv exists;
- each process's peak RSS against the input's in-memory size (goal for the
  default: ≤ 1.5×);
- the in-process table against a cached reference, against the numpy
  floor on the same cached edges;
- slice discovery on 1M rows (goal ≤ 1 s).

    .venv/bin/python benchmarks/bench_drift.py [--rows 1000000] [--skip-evidently]

The Evidently venv: python3 -m venv .bench/evidently &&
.bench/evidently/bin/pip install evidently==0.7.23 'pandas<3' pyarrow
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import bench_slices  # noqa: E402
from console.analysis.drift import drift_against, drift_table, fit_reference  # noqa: E402

EVIDENTLY_PYTHON = ROOT / ".bench" / "evidently" / "bin" / "python"
DATA = ROOT / ".bench" / "drift"
FEATURES = 20
DEFAULT_GOAL = 1.5
MEMORY_GOAL = 1.5
IN_PROCESS_GOAL = 1.2

FLOOR = """
import json, sys
import numpy as np, pandas as pd
reference, current = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
deciles = np.linspace(0, 1, 11)[1:-1]
result = {}
for name in reference.columns:
    edges = np.quantile(reference[name].to_numpy(), deciles)
    ref = np.bincount(np.searchsorted(edges, reference[name].to_numpy()), minlength=10)
    cur = np.bincount(np.searchsorted(edges, current[name].to_numpy()), minlength=10)
    e = np.maximum(ref / ref.sum(), 1e-4)
    a = np.maximum(cur / cur.sum(), 1e-4)
    result[name] = float(np.sum((a - e) * np.log(a / e)))
json.dump(result, sys.stdout)
"""


def make_files(rows: int, seed: int = 0) -> tuple[Path, Path]:
    """Reference and current Parquet files (cached in .bench/drift); half the features shifted."""
    folder = DATA / str(rows)
    reference, current = folder / "reference.parquet", folder / "current.parquet"
    if reference.exists() and current.exists():
        return reference, current
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = [f"f{i:02d}" for i in range(FEATURES)]
    pd.DataFrame(rng.normal(size=(rows, FEATURES)), columns=names).to_parquet(reference)
    shift = np.where(np.arange(FEATURES) % 2 == 0, 0.25, 0.0)
    pd.DataFrame(rng.normal(size=(rows, FEATURES)) + shift, columns=names).to_parquet(current)
    return reference, current


# A small process that forks the command and reports its peak RSS: measured from a fork
# of this (large) benchmark process, ru_maxrss would count the pages it inherited.
LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measure(command: Sequence[str]) -> tuple[float, int, str]:
    """Wall time, peak RSS (bytes, of that process alone) and stdout of one whole process."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "maxrss"
        out, err = Path(folder) / "out", Path(folder) / "err"
        launch = [sys.executable, "-c", LAUNCHER, str(report), *command]
        started = time.perf_counter()
        with out.open("w") as stdout, err.open("w") as stderr:
            code = subprocess.run(launch, stdout=stdout, stderr=stderr, check=False).returncode
        seconds = time.perf_counter() - started
        if code not in (0, 1):
            raise RuntimeError(f"{command[0]} failed ({code}): {err.read_text()[-400:]}")
        return seconds, int(report.read_text()) * 1024, out.read_text()


def best_of(function: Callable[[], Any], repeats: int) -> float:
    """The fastest of `repeats` runs, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def whole_processes(reference: Path, current: Path, repeats: int) -> dict[str, tuple[float, int]]:
    """The floor, vigil default and vigil --exact as processes: best time, and its peak RSS."""
    vigil = [sys.executable, "-m", "console", "drift", "--reference", str(reference)]
    vigil += ["--current", str(current), "--json"]
    commands = {
        "floor": [sys.executable, "-c", FLOOR, str(reference), str(current)],
        "default": vigil,
        "exact": [*vigil, "--exact"],
    }
    results: dict[str, tuple[float, int]] = {}
    for _ in range(repeats):
        for name, command in commands.items():
            seconds, peak, out = measure(command)
            json.loads(out)
            best = results.get(name)
            if best is None or seconds < best[0]:
                results[name] = (seconds, max(peak, best[1] if best else 0))
    return results


def evidently(reference: Path, current: Path) -> tuple[float, int, dict[str, float]] | None:
    """Evidently's preset as a whole process on the same files, and its PSI per column."""
    if not EVIDENTLY_PYTHON.exists():
        return None
    script = ROOT / "benchmarks" / "evidently_baseline.py"
    seconds, peak, out = measure([str(EVIDENTLY_PYTHON), str(script), str(reference), str(current)])
    psi: dict[str, float] = json.loads(out.strip().splitlines()[-1])["psi"]
    return seconds, peak, psi


def evidently_gap(reference: Path, current: Path, theirs: dict[str, float]) -> float | None:
    """The largest |Δ| between Vigil's `evidently` mode and Evidently's own PSI."""
    ours = drift_table(pd.read_parquet(reference), pd.read_parquet(current), mode="evidently")
    gaps = [abs(r.psi - theirs[r.feature]) for r in ours.features if r.psi is not None]
    return max(gaps) if gaps else None


def in_process(reference: Path, current: Path, repeats: int) -> tuple[float, float]:
    """The table against a cached reference fit, and the numpy floor on the same cached edges."""
    ref, cur = pd.read_parquet(reference), pd.read_parquet(current)
    names = list(ref.columns)
    fitted = fit_reference(ref, names, keep_sample=False)
    edges = {name: fitted[name].edges for name in names}
    columns = {name: cur[name].to_numpy() for name in names}

    def floor() -> None:
        for name in names:
            np.bincount(np.searchsorted(edges[name], columns[name]), minlength=edges[name].size + 1)

    cached = best_of(lambda: drift_against(fitted, cur, names), repeats)
    return cached, best_of(floor, repeats)


def main() -> int:
    """Run every measurement and print each figure next to its goal."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--skip-slices", action="store_true")
    args = parser.parse_args()
    reference, current = make_files(args.rows)
    input_bytes = 2 * args.rows * FEATURES * 8
    print(
        f"data: reference and current {args.rows:,} rows × {FEATURES} numeric features "
        f"(Parquet; {input_bytes / 2**20:.0f} MiB in memory)"
    )
    runs = whole_processes(reference, current, args.repeats)
    floor_s, floor_rss = runs["floor"]
    print(f"floor (pandas read + numpy PSI over deciles): {floor_s:.2f} s, peak {_mib(floor_rss)}")
    for name, label in (("default", "vigil drift --json"), ("exact", "vigil drift --json --exact")):
        seconds, peak = runs[name]
        ratio, memory = seconds / floor_s, peak / input_bytes
        goal = ""
        if name == "default":
            goal = f" ({_verdict(ratio <= DEFAULT_GOAL)} the ≤ {DEFAULT_GOAL}× goal)"
        memory_goal = f" ({_verdict(memory <= MEMORY_GOAL)} the ≤ {MEMORY_GOAL}× goal)"
        print(
            f"{label}: {seconds:.2f} s = {ratio:.2f}× the floor{goal}; peak {_mib(peak)} = "
            f"{memory:.2f}× the input{memory_goal}"
        )
    if args.skip_evidently:
        print("evidently: skipped (--skip-evidently)")
    else:
        found = evidently(reference, current)
        if found is None:
            print(f"evidently: not measured: no venv at {EVIDENTLY_PYTHON.parent.parent}")
        else:
            seconds, peak, theirs = found
            exact_s = runs["exact"][0]
            print(
                f"evidently 0.7.23 DataDriftPreset(method='psi') process: {seconds:.2f} s "
                f"(peak {_mib(peak)}) = {seconds / floor_s:.2f}× the floor; vigil --exact is "
                f"{seconds / exact_s:.1f}× faster, the default {seconds / runs['default'][0]:.1f}×"
            )
            gap = evidently_gap(reference, current, theirs)
            shown = "no feature to compare" if gap is None else f"max |Δ| = {gap:.2e}"
            print(f"evidently mode vs Evidently's own PSI on the same files: {shown}")
    cached_s, numpy_s = in_process(reference, current, args.repeats)
    ratio = cached_s / numpy_s
    print(
        f"in process, cached reference: {cached_s:.3f} s vs numpy binning {numpy_s:.3f} s = "
        f"{ratio:.2f}× (the table sorts each column once for PSI, KS and Wasserstein; "
        f"{_verdict(ratio <= IN_PROCESS_GOAL)} the ≤ {IN_PROCESS_GOAL}× goal)"
    )
    if not args.skip_slices:
        slices = bench_slices.run(args.rows)
        seconds = float(slices["seconds"])
        print(
            f"slices: {args.rows:,} rows × 10 columns, 1–2 predicates: {seconds:.3f} s "
            f"({_verdict(seconds <= bench_slices.GOAL_S)} the ≤ {bench_slices.GOAL_S:g} s goal); "
            f"worst: {slices['top']}"
        )
    return 0


def _mib(size: int) -> str:
    """Bytes as MiB."""
    return f"{size / 2**20:.0f} MiB"


def _verdict(met: bool) -> str:
    """`meets` or `MISSES`."""
    return "meets" if met else "MISSES"


if __name__ == "__main__":
    raise SystemExit(main())
