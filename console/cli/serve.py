"""`vigil serve`: run local_serving on a workspace and record its address there."""

from __future__ import annotations

import argparse
from pathlib import Path

from console.cli.common import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The server's flags (see docs/serving.md)."""
    from local_serving.options import add_arguments as add_server_arguments

    add_server_arguments(parser)


def _workspace(args: argparse.Namespace) -> Path:
    """--workspace, else the workspace of the context."""
    if getattr(args, "workspace", None):
        return Path(args.workspace).expanduser()
    if getattr(args, "context", None):
        from console.cli.common import open_context

        found = open_context(args).workspace
        if found is not None:
            return Path(found)
    raise UsageError("--workspace DIR is required (or a --context with a workspace)")


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; start-up problems are usage errors (exit 2)."""
    from local_serving.cli import StartError, start

    try:
        return start(_workspace(args), args)
    except StartError as error:
        raise UsageError(str(error)) from error
