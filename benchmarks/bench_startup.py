"""Startup: time to first frame of Vigil vs a bare Textual app, and `vigil --help`.

Each measurement runs in a fresh interpreter (imports included), several times;
the medians are printed with the ratio against the baseline measured in the
same run. "First frame" is the first screen update the app renders (as the
escape sequences a terminal would get, headless); "data" is the first update
rendered once the overview's first backend read has landed. Both apps are
timed the same way, from the first line of the script. Each is timed in wall time and in
CPU time of the process (every thread): on a shared host the wall time also
counts waiting for a core, the CPU time only the work. The minimum and the
median of each ratio (taken run by run, the two apps back to back) are printed.
Vigil's own modules are compiled to bytecode first, as an install leaves Textual's:
otherwise, where PYTHONDONTWRITEBYTECODE is set, every run would compile them again.

    .venv/bin/python benchmarks/bench_startup.py --workspace ~/.local/share/vigil/demo
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path

CLOCK = """
import time
t0, c0 = time.perf_counter(), time.process_time()
stamps = {}
def clock(app, data_shown=None):
    \"\"\"Stamp the first screen update rendered, and the first once `data_shown()` holds.\"\"\"
    display = app._display
    def timed(screen, update):
        display(screen, update)
        if update is None:
            return
        update.render_segments(app.console)  # the escape sequences a terminal would get
        now = (time.perf_counter() - t0, time.process_time() - c0)
        stamps.setdefault("first_frame", now)
        if data_shown is not None and data_shown():
            stamps.setdefault("data", now)
    app._display = timed
def report():
    for name, (wall, cpu) in stamps.items():
        print(f"{name} {wall:.6f}")
        print(f"{name}_cpu {cpu:.6f}")
"""

BARE = (
    CLOCK
    + """
import asyncio
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("hello")
async def main():
    app = Bare()
    clock(app)
    async with app.run_test(size=(100, 30)) as pilot:
        while "first_frame" not in stamps:
            await pilot.pause(0.005)
asyncio.run(main())
report()
"""
)

VIGIL = (
    CLOCK
    + """
import asyncio, sys
from pathlib import Path
from console.config import embedded_context
from console.tui.app import VigilApp
async def main():
    context = embedded_context(Path(sys.argv[1]), name="demo", read_only=True)
    app = VigilApp(context, context_name="demo", live_ticks=False)
    clock(app, lambda: getattr(app.screen, "loaded_at", None) is not None)
    async with app.run_test(size=(100, 30)) as pilot:
        while "data" not in stamps:
            await pilot.pause(0.005)
asyncio.run(main())
report()
"""
)


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


def ratios(values: list[float], baseline: list[float]) -> str:
    """`min / median` of the run-by-run ratios of `values` to `baseline`."""
    each = [value / base for value, base in zip(values, baseline, strict=True)]
    return f"{min(each):.2f}x / {statistics.median(each):.2f}x"


def main() -> int:
    """Measure and print; no assertion on timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, required=True, help="the demo workspace")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    args = parser.parse_args()
    if not args.workspace.is_dir():
        print(f"{args.workspace}: no such workspace (build it with `vigil demo --no-tui`)")
        return 2
    root = Path(__file__).resolve().parents[1]
    for package in ("console", "backends", "runbooks", "local_serving"):
        compileall.compile_dir(root / package, quiet=1)
    runs: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        for key, value in timed_script(BARE).items():
            runs.setdefault(f"bare_{key}", []).append(value)
        for key, value in timed_script(VIGIL, str(args.workspace)).items():
            runs.setdefault(f"vigil_{key}", []).append(value)
        runs.setdefault("help", []).append(wall([sys.executable, "-m", "console", "--help"]))
        runs.setdefault("python", []).append(wall([sys.executable, "-c", "pass"]))
    print(f"repetitions: {args.repeat} (fresh interpreter each, imports included)")
    print("                                 wall median       CPU median   ratio min / median")
    print(
        f"bare Textual app, first frame:  {median_ms(runs['bare_first_frame']):8.1f} ms"
        f"   {median_ms(runs['bare_first_frame_cpu']):8.1f} ms"
    )
    for label, key in (("first frame", "first_frame"), ("data shown ", "data")):
        print(
            f"vigil overview, {label}:    {median_ms(runs[f'vigil_{key}']):8.1f} ms"
            f"   {median_ms(runs[f'vigil_{key}_cpu']):8.1f} ms"
            f"   wall {ratios(runs[f'vigil_{key}'], runs['bare_first_frame'])}"
            f"   CPU {ratios(runs[f'vigil_{key}_cpu'], runs['bare_first_frame_cpu'])}"
        )
    print(f"python -c pass:                 {median_ms(runs['python']):8.1f} ms")
    print(
        f"vigil --help:                   {median_ms(runs['help']):8.1f} ms"
        f"   wall {ratios(runs['help'], runs['python'])}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
