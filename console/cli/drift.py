"""`vigil drift`: PSI and friends per feature, from two files or a model of the context.

Also home of the helpers the other analysis commands share (window options,
error translation, plain tables), so each command module stays small.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from console.cli.common import UsageError, emit_json, open_context


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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `vigil drift`."""
    files = parser.add_argument_group("file mode (CSV or Parquet)")
    files.add_argument("--reference", metavar="FILE", help="reference sample (training data)")
    files.add_argument("--current", metavar="FILE", help="current sample (production window)")
    parser.add_argument("--mode", choices=("quantile", "evidently"), default="quantile")
    parser.add_argument("--bins", type=int, default=10, help="quantile bins (default 10: deciles)")
    parser.add_argument("--profile", choices=("strict", "classic"), default="strict")
    parser.add_argument("--columns", metavar="A,B", help="only these features")
    parser.add_argument(
        "--fail-on",
        choices=("act", "investigate"),
        help="exit 1 when a feature is in this band or worse",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    add_window_options(parser)
    parser.add_argument(
        "--reference-window",
        metavar="START/END",
        help="compare against logged traffic in this window instead of the training reference",
    )


def run(args: argparse.Namespace) -> int:
    """Compute the drift table and print it; exit 1 with --fail-on when a feature is over."""
    if args.bins < 2:
        raise UsageError("--bins must be at least 2")
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    if args.reference or args.current:
        table, source = _from_files(args, columns), f"{args.reference} → {args.current}"
    else:
        table, source = _from_workspace(args, columns)
    if args.json:
        emit_json(table.to_dict() | {"source": source})
    else:
        _print(table, source)
    if args.fail_on and table.over(args.fail_on):
        return 1
    return 0


def _from_files(args: argparse.Namespace, columns: list[str] | None) -> Any:
    """The drift table of two files."""
    from console.analysis.drift import drift_table
    from console.analysis.inputs import read_table

    if not (args.reference and args.current):
        raise UsageError("file mode needs both --reference FILE and --current FILE")
    if args.model or args.start or args.window or args.reference_window:
        raise UsageError("--model/--start/--window/--reference-window are for workspace mode")
    with translated_errors("cannot compare the files"):
        reference = read_table(args.reference, columns)
        current = read_table(args.current, columns)
        if columns is None:
            shared = [c for c in reference.columns if c in current.columns]
            if not shared:
                raise UsageError(f"{args.reference} and {args.current} share no column")
        return drift_table(
            reference, current, columns, mode=args.mode, bins=args.bins, profile=args.profile
        )


def _from_workspace(args: argparse.Namespace, columns: list[str] | None) -> tuple[Any, str]:
    """The drift table of a model's window against its training reference (or a window)."""
    from console.analysis.inputs import parse_interval
    from console.analysis.workspace import model_drift

    context, model, (start, end) = workspace_window(args)
    with translated_errors(f"cannot compute drift for {model.name}"):
        reference_window = parse_interval(args.reference_window) if args.reference_window else None
        table = model_drift(
            context,
            model,
            start,
            end,
            columns=columns,
            mode=args.mode,
            bins=args.bins,
            profile=args.profile,
            version=args.version,
            reference_window=reference_window,
        )
    against = args.reference_window or "training reference"
    return table, f"{model.name} [{start.isoformat()}, {end.isoformat()}) vs {against}"


def _print(table: Any, source: str) -> None:
    """The table with its context line: mode, bins, epsilon, profile and sizes."""
    profile = table.profile
    print(f"drift  {source}")
    print(
        f"mode {table.mode} · bins {table.bins or 'Sturges'} · ε {table.epsilon:g} · "
        f"profile {profile.name} ({profile.description}) · "
        f"n_ref {table.n_reference:,} · n_cur {table.n_current:,}"
    )
    rows = [
        (f.feature, f.kind, f.psi, f.status, f.bins, f.js, f.ks, f.chi2, f.wasserstein, f.note)
        for f in table.features
    ]
    headers = ("feature", "kind", "psi", "status", "bins", "js", "ks", "chi2", "wass", "note")
    print_rows(headers, rows)
