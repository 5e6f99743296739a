"""Evidently 0.7.23's DataDriftPreset(method="psi") on two Parquet files, as a whole process.

Runs inside the separate venv .bench/evidently (Evidently needs pandas < 3);
bench_drift.py times the whole process (read the files, run the preset,
print) and reads one JSON line from stdout:
{"seconds": <the preset alone>, "psi": {feature: value}}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import pandas as pd


def main() -> int:
    """Read the files, run the preset once, print the PSI per column as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("reference", help="reference Parquet file")
    parser.add_argument("current", help="current Parquet file")
    args = parser.parse_args()
    from evidently import Report
    from evidently.presets import DataDriftPreset

    reference = pd.read_parquet(args.reference)
    current = pd.read_parquet(args.current)
    names = [str(n) for n in reference.columns]
    started = time.perf_counter()
    snapshot = Report([DataDriftPreset(method="psi")]).run(current, reference)
    seconds = time.perf_counter() - started
    values: dict[str, float] = {}
    for result in snapshot.dict().get("metrics", []):
        config = result.get("config", {})
        column = config.get("column")
        value = result.get("value")
        if column in names and isinstance(value, int | float):
            values[column] = float(value)
    json.dump({"seconds": seconds, "psi": values}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
