"""Paging through 100,000 rows: Vigil's VirtualTable (line API) vs Textual's DataTable.

Both tables get the same rows (a slice drill-down: time, id, version, score,
label and eight features). A frame is timed from the moment the page-down
action starts until the screen update it causes has been composed and
rendered to terminal output (the escape sequences a real terminal would get);
the Pilot's own waiting between keys is not counted. The goal is no frame
over 50 ms while paging down; the DataTable run, measured in the same process,
is the baseline for the ratio. A fixed pure-Python task as long as the median
frame, run as many times, shows the host's own stalls (the same work each time).

    .venv/bin/python benchmarks/bench_table.py [--rows 100000] [--pages 0 (all)]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable

from console.tui.widgets.virtual_table import Column, ColumnRows, VirtualTable

SIZE = (120, 40)
HEADERS = ("TIME", "REQUEST", "VERSION", "SCORE", "LABEL", *(f"F{i}" for i in range(8)))


def make_columns(rows: int) -> list[tuple[Column, Callable[[Any], str]]]:
    """Synthetic request columns with their formatters."""
    rng = np.random.default_rng(7)
    start = np.datetime64("2026-11-19T00:00:00")
    stamps = start + np.arange(rows).astype("timedelta64[s]")
    columns: list[tuple[Column, Callable[[Any], str]]] = [
        (stamps, lambda v: str(v)[:19].replace("T", " ")),
        (np.array([f"req-{i:08d}" for i in range(rows)], dtype=object), str),
        (rng.integers(1, 4, rows), lambda v: f"v{v}"),
        (rng.random(rows), lambda v: f"{v:.4f}"),
        (rng.integers(0, 2, rows), str),
    ]
    columns += [(rng.normal(50, 20, rows), lambda v: f"{v:.4g}") for _ in range(8)]
    return columns


class TableApp(App[None]):
    """One full-screen table, filled once mounted."""

    def __init__(self, table: Widget, fill: Callable[[], None]) -> None:
        """Hold the table to mount and how to fill it."""
        super().__init__()
        self.table = table
        self.fill = fill

    def compose(self) -> ComposeResult:
        """Just the table."""
        yield self.table

    def on_mount(self) -> None:
        """Give the table its rows (timed as part of getting ready)."""
        self.fill()


class FrameClock:
    """Start time of the last page-down action, and the frames measured from it.

    Within each frame it also sums the time spent in the table's own `render_line`
    and in garbage collection, so a slow frame can be told apart: the table did
    more work, the GC ran, or everything ran slower (the host).
    """

    def __init__(self) -> None:
        """No frame yet."""
        self.started: float | None = None
        self.cpu_started = 0.0
        self.frames: list[float] = []
        self.cpu: list[float] = []
        self.rendering = 0.0
        self.collecting = 0.0
        self.renders: list[float] = []
        self.collections: list[float] = []
        self.gc_started = 0.0

    def start(self) -> None:
        """A page-down action begins."""
        self.started = time.perf_counter()
        self.cpu_started = time.thread_time()
        self.rendering = self.collecting = 0.0

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        """A `gc.callbacks` hook: add each collection's duration to the frame's."""
        if phase == "start":
            self.gc_started = time.perf_counter()
        else:
            self.collecting += time.perf_counter() - self.gc_started

    def displayed(self, app: App[None], update: Any) -> None:
        """A screen update: render it as a terminal would receive it, then stop the clock."""
        if update is not None and hasattr(update, "render_segments"):
            update.render_segments(app.console)
        if self.started is not None:
            self.frames.append(time.perf_counter() - self.started)
            self.cpu.append(time.thread_time() - self.cpu_started)
            self.renders.append(self.rendering)
            self.collections.append(self.collecting)
            self.started = None


class TimedVirtualTable(VirtualTable):
    """VirtualTable that starts the frame clock on page-down."""

    def __init__(self, clock: FrameClock) -> None:
        """Remember the clock."""
        super().__init__()
        self.clock = clock

    def action_page_down(self) -> None:
        """Start the clock, then page."""
        self.clock.start()
        super().action_page_down()

    def render_line(self, y: int) -> Strip:
        """The table's line, its time added to the frame's."""
        started = time.perf_counter()
        line = super().render_line(y)
        self.clock.rendering += time.perf_counter() - started
        return line


class TimedDataTable(DataTable[str]):
    """DataTable that starts the frame clock on page-down."""

    def __init__(self, clock: FrameClock) -> None:
        """Remember the clock."""
        super().__init__()
        self.clock = clock

    def action_page_down(self) -> None:
        """Start the clock, then page."""
        self.clock.start()
        super().action_page_down()


async def page_down(app: TableApp, clock: FrameClock, pages: int) -> float:
    """Mount the app, then press page-down `pages` times; seconds until the first frame."""
    original = app._display

    def display(screen: Any, update: Any) -> None:
        """The app's display, timed."""
        original(screen, update)
        clock.displayed(app, update)

    app._display = display  # type: ignore[method-assign,assignment]
    started = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        ready = time.perf_counter() - started
        app.table.focus()
        await pilot.pause()
        for _ in range(pages):
            await pilot.press("pagedown")
            await pilot.pause()
    return ready


def report(name: str, ready: float, clock: FrameClock) -> dict[str, float]:
    """Print and return the frame statistics in ms (wall clock, and CPU of the app's thread)."""
    ms = sorted(1000 * f for f in clock.frames)
    cpu = sorted(1000 * f for f in clock.cpu)
    stats = {
        "ready": 1000 * ready,
        "median": statistics.median(ms),
        "p99": ms[min(len(ms) - 1, int(0.99 * len(ms)))],
        "max": ms[-1],
        "cpu_median": statistics.median(cpu),
        "cpu_max": cpu[-1],
    }
    print(
        f"{name:<13} pages {len(ms):>5}  mount+rows {stats['ready']:8.1f} ms  "
        f"frame median {stats['median']:5.1f}  p99 {stats['p99']:5.1f}  max {stats['max']:5.1f} ms"
        f"  (CPU median {stats['cpu_median']:5.1f}  max {stats['cpu_max']:5.1f} ms)"
    )
    return stats


def slow_frames(clock: FrameClock) -> None:
    """Each frame over 50 ms: the table's own render and the GC in it, against their medians."""
    median_render = statistics.median(clock.renders)
    timed = zip(clock.frames, clock.renders, clock.collections, strict=True)
    slow = [(frame, render, collect) for frame, render, collect in timed if frame > 0.050]
    print(
        f"each frame: the table's own render median {1000 * median_render:.2f} ms, "
        f"GC median {1000 * statistics.median(clock.collections):.2f} ms"
    )
    for frame, render, collect in slow:
        print(
            f"  a {1000 * frame:5.1f} ms frame: table render {1000 * render:5.1f} ms "
            f"({render / median_render:.1f}x its median), GC {1000 * collect:5.1f} ms"
        )


def host_noise(seconds: float, repeat: int) -> None:
    """The host's own stalls: a fixed pure-Python task as long as a median frame, `repeat` times.

    The same work every time, so any spread is the machine's (another tenant, a
    stolen CPU): the floor under which no frame can be promised on this host.
    """

    def task(loops: int) -> float:
        """`loops` iterations of fixed arithmetic; its wall time."""
        started = time.perf_counter()
        total = 0
        for i in range(loops):
            total += i * i % 7
        return time.perf_counter() - started

    def unstalled(loops: int) -> float:
        """The task's time without the host's stalls: the fastest of seven runs."""
        return min(task(loops) for _ in range(7))

    loops = 10_000
    while unstalled(loops) < seconds / 2:
        loops *= 2
    loops = int(loops * seconds / max(unstalled(loops), 1e-6))
    times = sorted(1000 * task(loops) for _ in range(repeat))
    median = statistics.median(times)
    print(
        f"host control  runs  {repeat:>5}  a fixed {median:4.1f} ms task: "
        f"p99 {times[int(0.99 * (len(times) - 1))]:5.1f}  max {times[-1]:5.1f} ms  "
        f"({sum(t > 50 for t in times)} over 50 ms)"
    )


def main() -> int:
    """Run both tables and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=0, help="page-downs (0: to the end)")
    parser.add_argument(
        "--baseline-pages", type=int, default=300, help="page-downs on DataTable (0: skip it)"
    )
    parser.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="skip gc.freeze() once the rows are loaded (the console freezes after its loads)",
    )
    args = parser.parse_args()
    columns = make_columns(args.rows)
    rows = ColumnRows(columns)
    page_rows = SIZE[1] - 1
    pages = args.pages or -(-args.rows // page_rows)

    clock = FrameClock()
    virtual = TimedVirtualTable(clock)

    def fill() -> None:
        """Give the table its rows; optionally freeze what exists so far out of the GC's scans."""
        virtual.show(HEADERS, rows)
        if args.gc_freeze:
            gc.freeze()

    app = TableApp(virtual, fill)
    gc.callbacks.append(clock.on_gc)
    v_ready = asyncio.run(page_down(app, clock, pages))
    gc.callbacks.remove(clock.on_gc)
    ours = report("VirtualTable", v_ready, clock)
    verdict = "met" if ours["max"] <= 50 else "NOT met"
    over = sum(frame > 0.050 for frame in clock.frames)
    print(
        f"goal: no frame over 50 ms while paging down {args.rows:,} rows: {verdict}"
        f" ({over} of {len(clock.frames)} frames over 50 ms)"
    )
    print(
        "(wall frames include waiting for Textual's next screen update, "
        "and for the CPU on a busy host)"
    )
    slow_frames(clock)
    host_noise(ours["cpu_median"] / 1000, len(clock.frames))
    if not args.baseline_pages:
        return 0

    base_clock = FrameClock()
    baseline_table = TimedDataTable(base_clock)

    def fill_baseline() -> None:
        """Columns, then every row (DataTable measures each cell)."""
        baseline_table.add_columns(*HEADERS)
        baseline_table.add_rows(rows.cells(i) for i in range(args.rows))

    base_app = TableApp(baseline_table, fill_baseline)
    b_ready = asyncio.run(page_down(base_app, base_clock, args.baseline_pages))
    base = report("DataTable", b_ready, base_clock)

    print(
        f"ratio (VirtualTable / DataTable): mount+rows {ours['ready'] / base['ready']:.3f}  "
        f"median frame {ours['median'] / base['median']:.3f}  "
        f"max frame {ours['max'] / base['max']:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
