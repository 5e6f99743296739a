"""Helpers shared by every subcommand: global options, errors, JSON output, windows, tables."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from console.config import Context


class UsageError(Exception):
    """Bad usage or unreadable input: printed on stderr, exit code 2."""


def add_global_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    """Add --context/--workspace/--read-only/--at, accepted before or after the command."""
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
    parser.add_argument(
        "--at",
        default=default,
        metavar="TIME",
        help="as of a past instant (2026-11-18T08:00Z, --at=-2h): reads end there; read-only",
    )


def apply_replay_option(args: argparse.Namespace) -> None:
    """Turn `--at TIME` into an aware UTC instant and force read-only; bad TIME is exit 2."""
    from console.services.clock import InstantError, parse_replay_instant, utc_now

    text = getattr(args, "at", None)
    if text is None:
        return
    try:
        args.at = parse_replay_instant(str(text), utc_now())
    except InstantError as error:
        raise UsageError(f"--at: {error}") from None
    if args.at is not None:
        args.read_only = True


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
    """Resolve the context the options name (as of `--at`); a config problem is a usage error."""
    from backends.discovery import BackendUnavailable
    from console.config import ConfigError, resolve_context

    try:
        context = resolve_context(args)
    except (ConfigError, BackendUnavailable) as error:
        raise UsageError(str(error)) from error
    at = getattr(args, "at", None)
    if not isinstance(at, datetime):
        return context
    from console.services.replay import ReplaySource

    # every role and attribute a command reads, each cut at the instant
    return cast("Context", ReplaySource(context, at))


def add_window_options(parser: argparse.ArgumentParser, *, default_window: str = "24h") -> None:
    """--model, --start/--end, --window and --version, shared by the workspace-mode commands."""
    group = parser.add_argument_group("workspace mode (a model of the current context)")
    group.add_argument("--model", metavar="NAME", help="model (default: the context's default)")
    group.add_argument("--start", metavar="ISO", help="window start (ISO-8601, UTC)")
    group.add_argument("--end", metavar="ISO", help="window end (default: the log's last entry)")
    group.add_argument(
        "--window",
        metavar="DURATION",
        help=f"window length ending at --end or the last logged request (default {default_window})",
    )
    group.add_argument("--version", metavar="V", help="only requests served by this version")


@contextmanager
def translated_errors(what: str) -> Iterator[None]:
    """Bad input and unreachable backends become usage errors (exit 2) naming `what`."""
    from backends.contracts import BackendError
    from console.analysis.inputs import InputError

    try:
        yield
    except InputError as error:
        raise UsageError(str(error)) from error
    except BackendError as error:
        raise UsageError(f"{what}: {error}") from error
    except ValueError as error:
        raise UsageError(f"{what}: {error}") from error


def workspace_window(args: argparse.Namespace, default_window: str = "24h") -> tuple[Any, Any, Any]:
    """The context, the model and the [start, end) window the options ask for."""
    from console.analysis.inputs import resolve_window
    from console.analysis.workspace import last_logged, pick_model

    context = open_context(args)
    with translated_errors("cannot read the workspace"):
        model = pick_model(context, args.model)
        last = last_logged(context, model.name)
        start, end = resolve_window(args.start, args.end, args.window, last, default_window)
    return context, model, (start, end)


def print_rows(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned table: readable over SSH, without colour, and easy to grep."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    print("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    """A table cell: floats to 4 significant digits, None as '-'."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
