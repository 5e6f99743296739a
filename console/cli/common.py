"""Helpers shared by every subcommand: global options, errors, JSON output."""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from console.config import Context


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
    """Write one strict JSON document on stdout: NaN and infinities become null."""
    json.dump(to_jsonable(document), sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars, datetimes, paths, dataclasses and NaN into plain JSON values."""
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(item) for item in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(asdict(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return to_jsonable(value.tolist())
    if hasattr(value, "items"):
        return to_jsonable(dict(value.items()))
    return str(value)


def warn(message: str) -> None:
    """A diagnostic on stderr, never on stdout (which may carry JSON)."""
    print(message, file=sys.stderr)


def open_context(args: argparse.Namespace) -> Context:
    """Resolve the context the options name; a config or backend problem is a usage error."""
    from backends.discovery import BackendUnavailable
    from console.config import ConfigError, resolve_context

    try:
        return resolve_context(args)
    except (ConfigError, BackendUnavailable) as error:
        raise UsageError(str(error)) from error
