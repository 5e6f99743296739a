"""The command line of the server, shared by `python -m local_serving` and `vigil serve`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from local_serving.options import add_arguments, options_from_args


class StartError(Exception):
    """The server cannot start: bad options, workspace, token or address (exit 2)."""


def already_running(workspace: Path) -> str | None:
    """The URL and pid of a live server that W/serving.json names, or None (absent or stale)."""
    import json

    import httpx

    try:
        info = json.loads((workspace / "serving.json").read_text())
        url, pid = str(info["url"]), int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
        live = httpx.get(f"{url}/v2/health/live", timeout=1.0).status_code == 200
    except (OSError, httpx.HTTPError):
        return None
    return f"{url} (pid {pid})" if live else None


def start(workspace: Path | None, args: argparse.Namespace) -> int:
    """Validate, open the workspace, resolve tokens and serve until stopped."""
    from local_serving.admin import TokenError, resolve_tokens
    from local_serving.server import serve

    if workspace is None:
        raise StartError("--workspace is required: the server serves a workspace's models")
    if not workspace.is_dir():
        raise StartError(f"workspace {workspace} is not a directory")
    try:
        options = options_from_args(args)
    except ValueError as error:
        raise StartError(str(error)) from error
    running = already_running(workspace)
    if running:
        raise StartError(f"a server already runs on {workspace}: {running} (stop it first)")
    logging.basicConfig(
        level=options.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        from backends.contracts import BackendError
        from local_serving.source.embedded import EmbeddedWorkspace

        source = EmbeddedWorkspace(workspace)
        tokens = resolve_tokens(options.token_file, source.path)
        return serve(source, options, tokens)
    except (TokenError, BackendError) as error:
        raise StartError(str(error)) from error
    except OSError as error:
        raise StartError(
            f"cannot serve on {options.host}:{options.port}: {error.strerror}"
        ) from error


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the flags and run the server; a start-up problem is exit 2 with a message."""
    parser = argparse.ArgumentParser(
        prog="python -m local_serving",
        description="Serve a Vigil workspace's models over KServe V2 with canary routing.",
    )
    parser.add_argument("--workspace", type=Path, default=None, help="the workspace to serve")
    parser.add_argument(
        "--read-only", action="store_true", help="refuse admin changes (403); reads still work"
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return start(args.workspace, args)
    except StartError as error:
        print(f"local_serving: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
