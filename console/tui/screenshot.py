"""Write an SVG screenshot of a view (the overview by default) for the docs and the README.

python -m console.tui.screenshot --workspace W --out docs/images/overview.svg
python -m console.tui.screenshot --workspace W --out docs/images/slices.svg \\
    --command ":slices fraud-detector 24h"
python -m console.tui.screenshot --workspace W --out docs/images/requests.svg \\
    --command ":slices fraud-detector 24h" --keys j,enter
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from console.tui.app import VigilApp

WAIT_ROUNDS = 1500


async def until_loaded(pilot: Pilot[Any]) -> None:
    """Wait until the visible screen has its data and no worker is running."""
    app = pilot.app
    for _ in range(WAIT_ROUNDS):
        await pilot.pause(0.01)
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        if getattr(app.screen, "loaded_at", True) is not None:
            break
    await pilot.pause()


async def capture(
    app: VigilApp, size: tuple[int, int], command: str = "", keys: Sequence[str] = ()
) -> str:
    """Run the app headless, run a `:` command and keys (each waited on), then export the SVG."""
    async with app.run_test(size=size) as pilot:
        await until_loaded(pilot)
        if command:
            app.run_command_line(command)
            await until_loaded(pilot)
        for key in keys:
            await pilot.press(key)
            await until_loaded(pilot)
        return app.export_screenshot(title="vigil")


def main(argv: list[str] | None = None) -> int:
    """Parse options, open the workspace read-only and write the screenshot."""
    from console.config import embedded_context

    parser = argparse.ArgumentParser(prog="python -m console.tui.screenshot")
    parser.add_argument("--workspace", type=Path, required=True, help="workspace directory")
    parser.add_argument("--out", type=Path, required=True, help="SVG file to write")
    parser.add_argument("--size", default="100x30", help="terminal size, WIDTHxHEIGHT")
    parser.add_argument("--command", default="", help="a `:` command to run first")
    parser.add_argument("--keys", default="", help="keys to press after it, comma-separated")
    args = parser.parse_args(argv)
    if not args.workspace.is_dir():
        print(f"{args.workspace}: no such workspace directory", file=sys.stderr)
        return 2
    try:
        width, height = (int(part) for part in args.size.lower().split("x"))
    except ValueError:
        print(f"--size {args.size!r}: expected WIDTHxHEIGHT, e.g. 100x30", file=sys.stderr)
        return 2
    keys = [key.strip() for key in args.keys.split(",") if key.strip()]
    context: Any = embedded_context(args.workspace, name="demo", read_only=True)
    app = VigilApp(context, context_name=context.name, theme=context.theme, live_ticks=False)
    svg = asyncio.run(capture(app, (width, height), args.command, keys))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(svg, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
