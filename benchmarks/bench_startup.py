"""Startup: time to first frame of Vigil vs a bare Textual app, and `vigil --help`.

Each measurement runs in a fresh interpreter (imports included), several times;
the medians are printed with the ratio against the baseline measured in the
same run. "First frame" is when `App.run_test()` reports the app ready (the
first screen composed, mounted and painted headless); "data" is when the
overview's first backend read has landed.

    .venv/bin/python benchmarks/bench_startup.py --workspace ~/.local/share/vigil/demo
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BARE = """
import time, asyncio
t0 = time.perf_counter()
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("hello")
async def main():
    app = Bare()
    async with app.run_test(size=(100, 30)) as pilot:
        print(f"first_frame {time.perf_counter() - t0:.6f}")
asyncio.run(main())
"""

VIGIL = """
import time, asyncio, sys
t0 = time.perf_counter()
from pathlib import Path
from console.config import embedded_context
from console.tui.app import VigilApp
async def main():
    context = embedded_context(Path(sys.argv[1]), name="demo", read_only=True)
    app = VigilApp(context, context_name="demo", live_ticks=False)
    async with app.run_test(size=(100, 30)) as pilot:
        print(f"first_frame {time.perf_counter() - t0:.6f}")
        while getattr(app.screen, "loaded_at", None) is None:
            await pilot.pause(0.005)
        print(f"data {time.perf_counter() - t0:.6f}")
asyncio.run(main())
"""


def timed_script(code: str, *args: str) -> dict[str, float]:
    """Run a snippet in a fresh interpreter and parse its `name seconds` lines."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    return {
        name: float(value) for name, value in (line.split() for line in out.stdout.splitlines())
    }


def wall(command: list[str]) -> float:
    """Wall time of a subprocess, in seconds."""
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True)
    return time.perf_counter() - started


def median_ms(values: list[float]) -> float:
    """Median in milliseconds."""
    return statistics.median(values) * 1000


def main() -> int:
    """Measure and print; no assertion on timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, required=True, help="the demo workspace")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    args = parser.parse_args()
    if not args.workspace.is_dir():
        print(f"{args.workspace}: no such workspace (build it with `vigil demo --no-tui`)")
        return 2
    bare, vigil_frame, vigil_data, help_s, python_s = [], [], [], [], []
    for _ in range(args.repeat):
        bare.append(timed_script(BARE)["first_frame"])
        vigil = timed_script(VIGIL, str(args.workspace))
        vigil_frame.append(vigil["first_frame"])
        vigil_data.append(vigil["data"])
        help_s.append(wall([sys.executable, "-m", "console", "--help"]))
        python_s.append(wall([sys.executable, "-c", "pass"]))
    bare_ms, frame_ms = median_ms(bare), median_ms(vigil_frame)
    data_ms, help_ms, python_ms = median_ms(vigil_data), median_ms(help_s), median_ms(python_s)
    print(f"repetitions: {args.repeat} (medians, fresh interpreter each, imports included)")
    print(f"bare Textual app, first frame:  {bare_ms:8.1f} ms")
    print(f"vigil overview, first frame:    {frame_ms:8.1f} ms   ratio {frame_ms / bare_ms:.2f}x")
    print(f"vigil overview, data shown:     {data_ms:8.1f} ms   ratio {data_ms / bare_ms:.2f}x")
    print(f"python -c pass:                 {python_ms:8.1f} ms")
    print(f"vigil --help:                   {help_ms:8.1f} ms   ratio {help_ms / python_ms:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
