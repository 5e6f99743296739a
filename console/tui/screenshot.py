"""Write an SVG screenshot of the overview for the README.

python -m console.tui.screenshot --workspace W --out docs/images/overview.svg
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from console.tui.app import VigilApp

WAIT_ROUNDS = 500


async def capture(app: VigilApp, size: tuple[int, int]) -> str:
    """Run the app headless until the overview has data, then export the screen as SVG."""
    async with app.run_test(size=size) as pilot:
        for _ in range(WAIT_ROUNDS):
            await pilot.pause(0.01)
            if getattr(app.screen, "loaded_at", None) is not None:
                break
        await app.workers.wait_for_complete()
        await pilot.pause()
        return app.export_screenshot(title="vigil")


def main(argv: list[str] | None = None) -> int:
    """Parse options, open the workspace read-only and write the screenshot."""
    from console.config import embedded_context

    parser = argparse.ArgumentParser(prog="python -m console.tui.screenshot")
    parser.add_argument("--workspace", type=Path, required=True, help="workspace directory")
    parser.add_argument("--out", type=Path, required=True, help="SVG file to write")
    parser.add_argument("--size", default="100x30", help="terminal size, WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    if not args.workspace.is_dir():
        print(f"{args.workspace}: no such workspace directory", file=sys.stderr)
        return 2
    try:
        width, height = (int(part) for part in args.size.lower().split("x"))
    except ValueError:
        print(f"--size {args.size!r}: expected WIDTHxHEIGHT, e.g. 100x30", file=sys.stderr)
        return 2
    context: Any = embedded_context(args.workspace, name="demo", read_only=True)
    app = VigilApp(context, context_name=context.name, theme=context.theme, live_ticks=False)
    svg = asyncio.run(capture(app, (width, height)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(svg, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
