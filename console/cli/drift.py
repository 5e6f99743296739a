"""`vigil drift`: PSI and friends per feature, from two files or a model of the context."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from console.cli.common import (
    UsageError,
    add_window_options,
    emit_json,
    print_rows,
    translated_errors,
    workspace_window,
)


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
        "--slice",
        action="append",
        default=[],
        metavar="COL=VALUE",
        help="only rows inside this slice, on both sides (repeatable: all must hold)",
    )
    parser.add_argument(
        "--by-segment",
        action="store_true",
        help="rank segment × feature pairs by PSI (every categorical value, numeric quartiles)",
    )
    parser.add_argument(
        "--top", type=int, default=20, metavar="N", help="pairs to show with --by-segment"
    )
    parser.add_argument(
        "--min-samples",
        type=int,
        default=None,
        metavar="N",
        help=f"fewer rows than this on a side is 'insufficient' (default {_min_samples()})",
    )
    parser.add_argument(
        "--exact",
        action="store_true",
        help="exact KS and Wasserstein (default: from a quantile sketch, error bound shown)",
    )
    parser.add_argument(
        "--fail-on",
        choices=("act", "investigate"),
        help="exit 1 when a feature (or a segment's feature) is in this band or worse",
    )
    parser.add_argument(
        "--from-buckets",
        action="store_true",
        help="PSI from the metric store's histogram buckets (prometheus), features and score",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    add_window_options(parser)
    parser.add_argument(
        "--reference-window",
        metavar="START/END",
        help="compare against logged traffic in this window instead of the training reference",
    )


def _min_samples() -> int:
    """The default minimum sample, read lazily so `--help` stays light."""
    from console.analysis.samples import DEFAULT_MIN_SAMPLES

    return DEFAULT_MIN_SAMPLES


def run(args: argparse.Namespace) -> int:
    """Compute the drift table and print it; exit 1 with --fail-on when a feature is over."""
    from console.analysis.drift.segments import parse_slice

    if args.bins < 2:
        raise UsageError("--bins must be at least 2")
    if args.min_samples is not None and args.min_samples < 1:
        raise UsageError("--min-samples must be at least 1")
    if args.top < 1:
        raise UsageError("--top must be at least 1")
    if args.by_segment and (args.slice or args.mode != "quantile" or args.reference_window):
        raise UsageError(
            "--by-segment goes without --slice, --mode evidently or --reference-window"
        )
    if args.from_buckets and (
        args.by_segment or args.slice or args.mode != "quantile" or args.exact or args.reference
    ):
        raise UsageError(
            "--from-buckets goes without --by-segment, --slice, --mode evidently, --exact "
            "or file mode"
        )
    args.min_samples = args.min_samples or _min_samples()
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    with translated_errors("bad --slice"):
        predicates = [parse_slice(text) for text in args.slice]
    if args.reference or args.current:
        table, source = _from_files(args, columns, predicates), f"{args.reference} → {args.current}"
    else:
        table, source = _from_workspace(args, columns, predicates)
    if args.json:
        emit_json(table.to_dict() | {"source": source})
    elif args.by_segment:
        _print_segments(table, source, args.top)
    else:
        _print(table, source)
    if args.fail_on and table.over(args.fail_on):
        return 1
    return 0


def _from_files(
    args: argparse.Namespace, columns: list[str] | None, predicates: list[tuple[str, str]]
) -> Any:
    """The drift table (or segment ranking) of two files."""
    from console.analysis.drift import drift_table
    from console.analysis.drift.segments import (
        as_predicates,
        segment_drift_table,
        slice_mask,
        slice_names,
    )
    from console.analysis.inputs import read_table

    if not (args.reference and args.current):
        raise UsageError("file mode needs both --reference FILE and --current FILE")
    if args.model or args.start or args.window or args.reference_window:
        raise UsageError("--model/--start/--window/--reference-window are for workspace mode")
    if args.mode == "quantile" and not (predicates or args.by_segment):
        return _columnwise(args, columns)
    with translated_errors("cannot compare the files"):
        wanted = [*columns, *(c for c, _ in predicates if c not in columns)] if columns else None
        reference = read_table(args.reference, wanted)
        current = read_table(args.current, wanted)
        names = columns or [c for c in reference.columns if c in current.columns]
        if not names:
            raise UsageError(f"{args.reference} and {args.current} share no column")
        if args.by_segment:
            return segment_drift_table(
                reference,
                current,
                names,
                bins=args.bins,
                profile=args.profile,
                min_samples=args.min_samples,
                top=args.top,
            )
        chosen = as_predicates(predicates)
        if chosen:
            reference = reference.loc[slice_mask(reference, chosen, str(args.reference))]
            current = current.loc[slice_mask(current, chosen, str(args.current))]
            names = [n for n in names if n not in {p.column for p in chosen}] or names
        table = drift_table(
            reference,
            current,
            names,
            mode=args.mode,
            bins=args.bins,
            profile=args.profile,
            min_samples=args.min_samples,
            exact=args.exact,
        )
        return replace(table, slice=slice_names(chosen))


def _columnwise(args: argparse.Namespace, columns: list[str] | None) -> Any:
    """Quantile-mode drift of two files read one column at a time (memory: a feature or two)."""
    from console.analysis.columns import ColumnFile
    from console.analysis.drift.table import drift_of_pairs

    with translated_errors("cannot compare the files"):
        reference, current = ColumnFile(args.reference), ColumnFile(args.current)
        names = columns or [c for c in reference.columns if c in current.columns]
        if not names:
            raise UsageError(f"{args.reference} and {args.current} share no column")
        reference.require(names)
        current.require(names)
        return drift_of_pairs(
            reference.column,
            current.column,
            names,
            current.rows,
            bins=args.bins,
            profile=args.profile,
            min_samples=args.min_samples,
            exact=args.exact,
        )


def _from_workspace(
    args: argparse.Namespace, columns: list[str] | None, predicates: list[tuple[str, str]]
) -> tuple[Any, str]:
    """The drift table of a model's window against its training reference (or a window)."""
    from console.analysis.drift.pushdown import bucket_drift, counted_drift, counts_pushdown
    from console.analysis.inputs import parse_interval
    from console.analysis.workspace import feature_kinds, model_drift, segment_drift

    context, model, (start, end) = workspace_window(args)
    window = f"{model.name} [{start.isoformat()}, {end.isoformat()})"
    reference_window = parse_interval(args.reference_window) if args.reference_window else None
    against = args.reference_window or "training reference"
    with translated_errors(f"cannot compute drift for {model.name}"):
        if args.from_buckets:
            buckets = bucket_drift(
                context,
                model,
                start,
                end,
                columns=columns,
                profile=args.profile,
                version=args.version,
                reference_window=reference_window,
                min_samples=args.min_samples,
            )
            return buckets, f"{window} vs {against}, from histogram buckets"
        same = {
            "columns": columns,
            "bins": args.bins,
            "profile": args.profile,
            "version": args.version,
            "min_samples": args.min_samples,
        }
        if args.by_segment:
            ranked = segment_drift(context, model, start, end, top=args.top, **same)
            return ranked, f"{window} vs training reference, by segment"
        if counts_pushdown(
            context.inference_log,
            mode=args.mode,
            reference_window=reference_window,
            slice=predicates,
            kinds=feature_kinds(model),
            exact=args.exact,
        ):
            counted = counted_drift(context, model, start, end, slice=predicates, **same)
            return counted, f"{window} vs {against}, counted by the inference log's engine"
        table = model_drift(
            context,
            model,
            start,
            end,
            mode=args.mode,
            reference_window=reference_window,
            slice=predicates,
            exact=args.exact,
            **same,
        )
    return table, f"{window} vs {against}"


def _print(table: Any, source: str) -> None:
    """The table with its context line: mode, bins, epsilon, profile, sizes and slice."""
    profile = table.profile
    print(f"drift  {source}")
    if table.slice:
        print(f"slice  {' AND '.join(table.slice)} (both sides)")
    if table.coverage is not None and table.coverage.note:
        print(f"window {table.coverage.note}")
    print(
        f"mode {table.mode} · bins {table.bins or 'Sturges'} · ε {table.epsilon:g} · "
        f"profile {profile.name} ({profile.description}) · "
        f"n_ref {table.n_reference:,} · n_cur {table.n_current:,} · "
        f"min samples {table.min_samples:,}" + _tests(table.tests)
    )
    rows = [
        (
            f.feature,
            f.kind,
            f.psi,
            f.status,
            f.bins,
            f.n_reference,
            f.n_current,
            f.js,
            _bounded(f.ks, f.ks_error, "+"),
            f.chi2,
            _bounded(f.wasserstein, f.wasserstein_error, "±"),
            f.note,
        )
        for f in table.features
    ]
    headers = (
        "feature",
        "kind",
        "psi",
        "status",
        "bins",
        "n_ref",
        "n_cur",
        "js",
        "ks",
        "chi2",
        "wass",
        "note",
    )
    print_rows(headers, rows)


def _tests(kind: str) -> str:
    """How KS and Wasserstein were computed, for the context line."""
    if kind in ("counts", "buckets"):
        return " · from counts: ks/wass not available (they need the values)"
    if kind == "sketch":
        return " · ks/wass from a reference sketch (bound after the value; --exact for exact)"
    return " · ks/wass exact" if kind == "exact" else ""


def _bounded(value: float | None, error: float | None, sign: str) -> str | None:
    """`0.0381 +0.00025`: a sketched statistic with its error bound (KS: the true D is above)."""
    if value is None:
        return None
    if not error:
        return f"{value:.4g}"
    return f"{value:.4g} {sign}{error:.2g}"


def _print_segments(table: Any, source: str, top: int) -> None:
    """Segment × feature pairs, worst PSI first, with their support."""
    profile = table.profile
    print(f"drift  {source}")
    print(
        f"{table.segments} segments · bins {table.bins} · profile {profile.name} "
        f"({profile.description}) · n_ref {table.n_reference:,} · n_cur {table.n_current:,} · "
        f"min samples {table.min_samples:,}"
    )
    rows = [
        (
            str(r.segment),
            r.drift.feature,
            r.drift.psi,
            r.drift.status,
            r.drift.n_current,
            f"{r.share_current:.1%}",
            r.drift.n_reference,
            r.drift.note,
        )
        for r in table.rows[:top]
    ]
    headers = ("segment", "feature", "psi", "status", "rows", "share", "n_ref", "note")
    print_rows(headers, rows)
