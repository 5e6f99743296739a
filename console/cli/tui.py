"""`vigil tui` (and plain `vigil`): open the console on the current context."""

from __future__ import annotations

import argparse
from pathlib import Path

from console.cli.common import UsageError, open_context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `vigil tui`."""
    parser.add_argument(
        "--keymap",
        type=Path,
        default=None,
        metavar="FILE",
        help="key overrides by action id (default: $XDG_CONFIG_HOME/vigil/keymap.yaml)",
    )


def run(args: argparse.Namespace) -> int:
    """Resolve the context and run the console until `q` (a bad keymap exits 2 first)."""
    from console.tui.app import run_app

    keymap_file = getattr(args, "keymap", None)
    if keymap_file is not None and not keymap_file.is_file():
        raise UsageError(f"{keymap_file}: no such keymap file")
    context = open_context(args)
    from console.services.replay import ReplaySource

    if isinstance(context, ReplaySource):  # the console replays the live context itself
        return run_app(context.inner, keymap_file=keymap_file, at=context.at)
    return run_app(context, keymap_file=keymap_file)
