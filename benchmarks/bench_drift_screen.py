"""Drift screen: data on screen after the key press vs the headless computation alone.

For each window (the demo's 24 h of fraud-detector, about 70,000 rows, and a
window of about 1,000,000 rows), in one process and turn by turn: the time of
`compute_drift` alone (what `vigil drift` runs), then the time from pressing
`d` on the model screen to the first frame that paints the drift table (its
escape sequences rendered, as the startup benchmark does); the ratio is taken
pair by pair, so a host whose load drifts compares like with like. Each is
timed in wall time and in CPU time of the process (every thread): on a shared
host the wall time also counts waiting for a core, the CPU time only the
work. Both sides are warm (the reference fit is cached by the first run); the
screen's cache of earlier results is cleared before each press, so every press
computes. No assertion on timings.

    .venv/bin/python benchmarks/bench_drift_screen.py --workspace ~/.local/share/vigil/demo
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODEL = "fraud-detector"


@dataclass(frozen=True)
class Timing:
    """One measurement: wall seconds and CPU seconds of the whole process."""

    wall: float
    cpu: float


WAITING = Timing(-1.0, -1.0)
"""The stamp of a frame not painted yet."""


def timed(run: Callable[[], object]) -> Timing:
    """Time one call in wall and process CPU time."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


def headless(context: Any, window: str) -> tuple[Callable[[], Timing], int]:
    """A timer of the computation alone, and the window's row count (a first call fits)."""
    from console.services.drift import DriftRequest, analysis_context, compute_drift

    request = DriftRequest(MODEL, window)
    rows = compute_drift(analysis_context(context), request).table.n_current
    return lambda: timed(lambda: compute_drift(analysis_context(context), request)), rows


async def turns(
    context: Any, window: str, repeat: int, alone: Callable[[], Timing]
) -> list[tuple[Timing, Timing]]:
    """`repeat` pairs (computation alone, key press to the drift table painted).

    24 h: `d` on the model screen. Another window: `w`, the window typed, then
    the timed Enter, on the drift screen (the `3` key goes back to 24 h between runs).
    """
    from console.tui.app import VigilApp
    from console.tui.screens import drift
    from console.tui.screens.drift import DriftScreen
    from console.tui.screens.model import ModelScreen

    app = VigilApp(context, context_name="bench", live_ticks=False, refresh_s=3600)
    pairs: list[tuple[Timing, Timing]] = []
    shown: dict[str, Timing] = {}
    display = app._display

    def result_of(screen: Any) -> Any:
        """The drift result a visible drift screen has loaded, else None."""
        if isinstance(screen, DriftScreen) and screen.loaded_at is not None:
            return screen.result
        return None

    def stamped(screen: Any, update: Any) -> None:
        """Time the first frame that paints the awaited window's table (escape codes rendered)."""
        display(screen, update)
        result = result_of(app.screen)
        if update is None or result is None or result.request.window not in shown:
            return
        if shown[result.request.window] is WAITING:
            update.render_segments(app.console)  # the escape sequences a terminal would get
            shown[result.request.window] = Timing(time.perf_counter(), time.process_time())

    app._display = stamped  # type: ignore[method-assign]

    async def painted(window: str) -> Timing:
        """Wait for the frame armed for `window` (`shown[window] = WAITING`); when it came."""
        while shown[window] is WAITING:
            await asyncio.sleep(0.002)
        return shown.pop(window)

    async def timed_press(key: str, window: str) -> Timing:
        """Seconds from the key's press to the first frame showing `window`'s table.

        The key is posted with `simulate_key`, not `Pilot.press`: the pilot waits
        for the whole process to go idle (up to a second, twice) while the drift
        worker computes, which no user waits for. The frame is the one that
        paints the table, not a later one (the footer's keys follow it).
        """
        wall, cpu = time.perf_counter(), time.process_time()
        shown[window] = WAITING
        app.simulate_key(key)
        at = await painted(window)
        return Timing(at.wall - wall, at.cpu - cpu)

    async with app.run_test(size=(100, 30)) as pilot:
        app.open_model(MODEL)
        while not isinstance(app.screen, ModelScreen) or app.screen.loaded_at is None:
            await pilot.pause(0.01)
        for run in range(repeat + 1):
            drift.RESULTS.clear()
            if window == "24h":
                elapsed = await timed_press("d", window)
                await pilot.press("escape")
            else:
                if not isinstance(app.screen, DriftScreen):
                    shown["24h"] = WAITING
                    await pilot.press("d")
                    await painted("24h")
                await pilot.press("w", "ctrl+u", *window)
                drift.RESULTS.clear()
                elapsed = await timed_press("enter", window)
                shown["24h"] = WAITING
                await pilot.press("3")
                await painted("24h")
            await pilot.pause()
            if run:
                pairs.append((alone(), elapsed))
    return pairs


def spread(seconds: list[float]) -> str:
    """`min / median` in milliseconds."""
    return f"{min(seconds) * 1000:7.1f} / {statistics.median(seconds) * 1000:7.1f} ms"


def main() -> int:
    """Measure both windows and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, required=True, help="the demo workspace")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    parser.add_argument("--large-window", default="14d", help="a window of about 1M rows")
    args = parser.parse_args()
    if not args.workspace.is_dir():
        print(f"{args.workspace}: no such workspace (build it with `vigil demo --no-tui`)")
        return 2
    from console.config import embedded_context

    context = embedded_context(args.workspace, name="bench", read_only=True)
    print(f"repetitions: {args.repeat} (warm reference fit, no cached result; min / median)")
    for window in ("24h", args.large_window):
        alone, rows = headless(context, window)
        pairs = asyncio.run(turns(context, window, args.repeat, alone))
        print(f"{window:>4} ({rows:>9,} rows):")
        for name, pick in (("wall", lambda t: t.wall), ("CPU", lambda t: t.cpu)):
            headless_s = [pick(a) for a, _ in pairs]
            screen_s = [pick(s) for _, s in pairs]
            each = [s / a for a, s in zip(headless_s, screen_s, strict=True)]
            print(
                f"  {name:>4}: headless {spread(headless_s)} · on screen after the key"
                f" {spread(screen_s)} · ratio {min(each):.2f}x / {statistics.median(each):.2f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
