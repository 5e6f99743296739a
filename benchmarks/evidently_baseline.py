"""Time Evidently 0.7.23's DataDriftPreset(method="psi") on the benchmark data.

Runs inside the separate venv .bench/evidently (Evidently needs pandas < 3);
bench_drift.py starts it as a subprocess and reads one JSON line from stdout:
{"seconds": ..., "psi": {feature: value}}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import pandas as pd


def main() -> int:
    """Load the npz, run the preset once (after a small warm-up), print the timing as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("data", help="npz with arrays reference, current and names")
    args = parser.parse_args()
    from evidently import Report
    from evidently.presets import DataDriftPreset

    data = np.load(args.data, allow_pickle=False)
    names = [str(n) for n in data["names"]]
    reference = pd.DataFrame(data["reference"], columns=names)
    current = pd.DataFrame(data["current"], columns=names)
    Report([DataDriftPreset(method="psi")]).run(current.head(1000), reference.head(1000))
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
