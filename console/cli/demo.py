"""`vigil demo`: build (or reuse) the demo workspace with its planted incident, then open it."""

from __future__ import annotations

import argparse
from pathlib import Path

from console.cli.common import UsageError, warn


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `vigil demo`."""
    parser.add_argument(
        "--no-tui", action="store_true", help="build the workspace and print a summary only"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="build from scratch even if a build is there"
    )
    parser.add_argument(
        "--seed", type=int, default=7, metavar="N", help="seed of the synthetic data (default 7)"
    )


def run(args: argparse.Namespace) -> int:
    """Build the demo into --workspace (default: the XDG data dir), then open the TUI on it."""
    from backends.contracts import BackendError
    from console.config import default_demo_workspace, embedded_context
    from console.demo.build import DemoError, build, describe
    from console.demo.spec import DemoSpec
    from console.demo.train import TorchMissing

    if getattr(args, "context", None):
        raise UsageError("the demo builds its own workspace: use --workspace DIR, not --context")
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    workspace = Path(args.workspace).expanduser() if args.workspace else default_demo_workspace()
    try:
        result = build(workspace.resolve(), DemoSpec(seed=args.seed), rebuild=args.rebuild)
    except (TorchMissing, DemoError) as error:
        raise UsageError(str(error)) from error
    except OSError as error:
        raise UsageError(f"cannot build the demo in {workspace}: {error.strerror}") from error
    except BackendError as error:
        warn(f"vigil demo: the workspace backend failed: {error}")
        return 1
    if result.reused:
        warn(f"vigil demo: reusing {result.workspace} (same recipe; --rebuild to start over)")
    if args.no_tui:
        print("\n".join(describe(result)))
        return 0
    from console.tui.app import run_app

    context = embedded_context(result.workspace, name="demo", read_only=args.read_only)
    return int(run_app(context))
