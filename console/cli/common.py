"""Helpers shared by every subcommand: global options, errors, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


class UsageError(Exception):
    """Bad usage or unreadable input: printed on stderr, exit code 2."""


def add_global_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    """Add --context/--workspace/--read-only, accepted before or after the command."""
    default: Any = None if top_level else argparse.SUPPRESS
    parser.add_argument(
        "--context", default=default, metavar="NAME", help="named context from config.yaml"
    )
    parser.add_argument(
        "--workspace",
        default=default,
        metavar="DIR",
        help="shortcut for an embedded context on DIR",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=False if top_level else argparse.SUPPRESS,
        help="refuse every mutating operation",
    )


def emit_json(document: Any) -> None:
    """Write one JSON document on stdout (numpy scalars and datetimes included)."""
    json.dump(document, sys.stdout, indent=2, default=_json_default, allow_nan=False)
    sys.stdout.write("\n")


def _json_default(value: Any) -> Any:
    """Convert the values JSON does not know: numpy scalars, datetimes, paths."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def warn(message: str) -> None:
    """A diagnostic on stderr, never on stdout (which may carry JSON)."""
    print(message, file=sys.stderr)
