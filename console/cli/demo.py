"""`vigil demo`: build (or reuse) the demo workspace, serve it live with traffic, open the console.

By default the demo is live: local_serving and a traffic driver run as child
processes while the console is open, continuing the history's incident.
`--no-serve` opens the workspace as it is; `--no-tui` prints the summary, and
with `--serve` runs the server and driver in the foreground until Ctrl-C.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from console.cli.common import UsageError, warn

if TYPE_CHECKING:
    from console.demo.build import BuildResult
    from console.demo.spec import DemoSpec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `vigil demo`."""
    parser.add_argument(
        "--no-tui", action="store_true", help="build the workspace and print a summary only"
    )
    serve = parser.add_mutually_exclusive_group()
    serve.add_argument(
        "--serve",
        dest="serve",
        action="store_true",
        default=None,
        help="run local_serving and the traffic driver (default with the console)",
    )
    serve.add_argument(
        "--no-serve",
        dest="serve",
        action="store_false",
        help="open the workspace as it is, with no server (default with --no-tui)",
    )
    parser.add_argument(
        "--port", type=int, default=0, metavar="N", help="the live server's port (default: any)"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="build from scratch even if a build is there"
    )
    parser.add_argument(
        "--seed", type=int, default=7, metavar="N", help="seed of the synthetic data (default 7)"
    )


def run(args: argparse.Namespace) -> int:
    """Build the demo into --workspace (default: the XDG data dir), then serve and/or open it."""
    from console.config import default_demo_workspace

    if getattr(args, "context", None):
        raise UsageError("the demo builds its own workspace: use --workspace DIR, not --context")
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0..65535, got {args.port}")
    live = args.serve if args.serve is not None else not args.no_tui
    workspace = Path(args.workspace).expanduser() if args.workspace else default_demo_workspace()
    workspace = workspace.resolve()
    result = _build(workspace, _spec(workspace, args, live), rebuild=args.rebuild)
    if result is None:
        return 1
    if result.reused:
        warn(f"vigil demo: reusing {result.workspace} (same recipe; --rebuild to start over)")
    if not live:
        if args.no_tui:
            from console.demo.build import describe

            print("\n".join(describe(result)))
            return 0
        return _console(result.workspace, args)
    return _live(result, args)


def _spec(workspace: Path, args: argparse.Namespace, live: bool) -> DemoSpec:
    """The history to build: ending now for a live demo that cannot continue, else as present."""
    from dataclasses import replace

    from console.demo.live.continuity import last_data, lead, live_spec, next_minute, present_spec
    from console.demo.spec import DemoSpec

    now = datetime.now(UTC)
    if live and args.rebuild:
        return replace(DemoSpec(seed=args.seed), end=next_minute(now + lead(workspace)))
    if live:
        present, spec = present_spec(workspace, args.seed), live_spec(workspace, args.seed, now)
        if present is not None and present.end != spec.end:
            warn(
                f"vigil demo: the data in {workspace} ends at "
                f"{last_data(workspace, present):%Y-%m-%d %H:%M} UTC; "
                "building a history that ends now, so the live traffic continues it"
            )
        return spec
    if args.rebuild:
        return DemoSpec(seed=args.seed)
    return present_spec(workspace, args.seed) or DemoSpec(seed=args.seed)


def _build(workspace: Path, spec: DemoSpec, *, rebuild: bool) -> BuildResult | None:
    """Build or reuse; usage problems are UsageErrors, a backend failure is None (exit 1)."""
    from backends.contracts import BackendError
    from console.demo.build import DemoError, build
    from console.demo.train import TorchMissing

    try:
        return build(workspace, spec, rebuild=rebuild)
    except (TorchMissing, DemoError) as error:
        raise UsageError(str(error)) from error
    except OSError as error:
        raise UsageError(f"cannot build the demo in {workspace}: {error.strerror}") from error
    except BackendError as error:
        warn(f"vigil demo: the workspace backend failed: {error}")
        return None


def _console(workspace: Path, args: argparse.Namespace) -> int:
    """Open the console on the demo workspace."""
    from console.config import embedded_context
    from console.tui.app import run_app

    context = embedded_context(workspace, name="demo", read_only=args.read_only)
    return int(run_app(context, at=getattr(args, "at", None)))  # --at: the console replays


def _live(result: BuildResult, args: argparse.Namespace) -> int:
    """Run the server and the driver while the console is open, or until Ctrl-C with --no-tui."""
    from console.demo.build import describe
    from console.demo.live.supervisor import LiveDemo, LiveError

    try:
        with LiveDemo(result.workspace, seed=args.seed, port=args.port) as demo:
            assert demo.server is not None and demo.driver is not None
            where = (
                f"live: local_serving on {demo.url} (pid {demo.server.pid}), traffic driver "
                f"pid {demo.driver.pid}; logs in {demo.logs}"
            )
            starts = _starts(result)
            if not args.no_tui:
                warn(where)
                if starts is not None:
                    warn(f"live traffic starts at {starts:%H:%M:%S} UTC, where the history ends")
                    time.sleep(max(0.0, starts.timestamp() - time.time()))
                return _console(result.workspace, args)
            print("\n".join(describe(result)))
            print(where)
            if starts is not None:
                print(f"live traffic starts at {starts:%H:%M:%S} UTC, where the history ends")
            print("Ctrl-C stops both.", flush=True)
            try:
                while (failed := demo.failed_child()) is None:
                    time.sleep(0.5)
            except KeyboardInterrupt:
                print("stopping the driver and the server ...", flush=True)
                return 0
            warn(f"vigil demo: {failed}")
            return 1
    except LiveError as error:
        raise UsageError(str(error)) from error


def _starts(result: BuildResult) -> datetime | None:
    """When the driver's first request goes out, if that is still ahead (the history's end)."""
    end = result.summary.get("history", {}).get("end")
    if not isinstance(end, str):
        return None
    at = datetime.fromisoformat(end.replace("Z", "+00:00"))
    return at if at > datetime.now(UTC) else None
