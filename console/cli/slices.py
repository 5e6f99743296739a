"""`vigil slices`: the metric per slice and the worst slices found, from a file or a model."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.common import (
    UsageError,
    add_window_options,
    emit_json,
    print_rows,
    translated_errors,
    workspace_window,
)

METRIC_CHOICES = ("accuracy", "error_rate", "brier", "mean_score", "latency")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `vigil slices`."""
    files = parser.add_argument_group("file mode (CSV or Parquet)")
    files.add_argument("--data", metavar="FILE", help="one row per request")
    files.add_argument("--label", default="label", metavar="COL", help="label column")
    files.add_argument(
        "--prediction", default="prediction", metavar="COL", help="prediction column"
    )
    files.add_argument(
        "--baseline", metavar="FILE", help="rank slices by how much they worsened against this file"
    )
    parser.add_argument("--metric", choices=METRIC_CHOICES, default="accuracy")
    parser.add_argument(
        "--metric-column", metavar="COL", help="column for mean_score / latency (e.g. total_ms)"
    )
    parser.add_argument("--columns", metavar="A,B", help="candidate slice columns (default: all)")
    parser.add_argument("--by", metavar="COL", help="the metric for every value of one column")
    parser.add_argument("--max-predicates", type=int, choices=(1, 2), default=2)
    parser.add_argument("--min-support", type=int, default=30, metavar="N")
    parser.add_argument("--top", type=int, default=15, metavar="N", help="slices to show")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    add_window_options(parser)
    parser.add_argument(
        "--baseline-window",
        metavar="START/END",
        help="rank slices by how much they worsened against this logged window",
    )


def run(args: argparse.Namespace) -> int:
    """Find and print the worst slices (or the per-value table of --by)."""
    if args.min_support < 1 or args.top < 1:
        raise UsageError("--min-support and --top must be at least 1")
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    covered = None
    if args.data:
        if args.model or args.start or args.window or args.baseline_window:
            raise UsageError("--model/--start/--window/--baseline-window are for workspace mode")
        frame, source = _read_file(args, args.data), str(args.data)
        baseline = _read_file(args, args.baseline) if args.baseline else None
        with translated_errors(f"cannot slice {source}"):
            table = _analyse(frame, args, columns, baseline)
    else:
        if args.baseline:
            raise UsageError("--baseline FILE goes with --data FILE; use --baseline-window")
        table, source, covered = _workspace(args, columns)
    if args.json:
        emit_json(table.to_dict() | {"source": source})
    else:
        _print(table, source)
        if covered is not None and covered.note:
            print(f"window: {covered.note}")
    return 0


def _read_file(args: argparse.Namespace, path: str) -> Any:
    """A data file, checked for the columns the metric needs."""
    from console.analysis.inputs import read_table

    needed = [args.label, args.prediction] if args.metric in ("accuracy", "error_rate") else []
    if args.metric == "brier":
        needed = [args.label, args.metric_column or "score"]
    if args.metric_column:
        needed.append(args.metric_column)
    with translated_errors("cannot read the data"):
        return read_table(path, needed)


def _workspace(args: argparse.Namespace, columns: list[str] | None) -> tuple[Any, str, Any]:
    """A model's window sliced as the slices screen slices it (counts pushed down to a SQL log)."""
    from console.analysis.coverage import coverage
    from console.analysis.inputs import parse_interval
    from console.services.slices_view import (
        SliceMetricChoice,
        SliceOptions,
        read_by_column,
        read_slices,
    )

    context, model, (start, end) = workspace_window(args)
    source = f"{model.name} [{start.isoformat()}, {end.isoformat()})"
    baseline = None
    if args.baseline_window:
        with translated_errors("bad --baseline-window"):
            baseline = parse_interval(args.baseline_window)
        source += f" vs {args.baseline_window}"
    with translated_errors(f"cannot slice {source}"):
        choice = SliceMetricChoice(args.metric, args.metric_column)
        if args.by:
            read = read_by_column(context, model, (start, end), choice, args.by, args.version)
        else:
            options = SliceOptions(
                columns=tuple(columns) if columns else None,
                max_predicates=args.max_predicates,
                min_support=args.min_support,
                top=args.top,
                version=args.version,
            )
            read = read_slices(context, model, (start, end), choice, baseline, options)
        table, frame = read.table, read.frame
    covered = coverage(frame["ts"], start, end) if frame is not None and "ts" in frame else None
    return table, source, covered


def _analyse(frame: Any, args: argparse.Namespace, columns: list[str] | None, baseline: Any) -> Any:
    """The per-value table of --by, or the automatic worst slices."""
    from console.analysis.slices import metric_by_column, row_values, worst_slices

    if args.by:
        options = {"label": args.label, "prediction": args.prediction}
        values = row_values(frame, args.metric, column=args.metric_column, **options)
        return metric_by_column(frame, args.by, values, args.metric)
    return worst_slices(
        frame,
        label=args.label,
        prediction=args.prediction,
        metric=args.metric,
        metric_column=args.metric_column,
        columns=columns,
        max_predicates=args.max_predicates,
        min_support=args.min_support,
        top=args.top,
        baseline=baseline,
    )


def _print(table: Any, source: str) -> None:
    """The overall metric, then one row per slice, worst first."""
    print(f"slices  {source}")
    print(
        f"{table.metric_name}: overall {table.overall:.4g} over {table.n:,} rows "
        f"(from slices: {table.overall_from_slices:.4g})"
        + (f" · {table.note}" if table.note else "")
    )
    if table.n == 0:
        print("no row has a value for this metric (labels arrive late): try --metric mean_score")
        return
    if not table.slices:
        print("no slice is worse than overall by enough for its support")
        return
    if table.slices[0].baseline_metric is not None:
        rows = [
            (s.name, s.support, f"{s.share:.1%}", s.metric, s.baseline_metric, _ci(s), s.score)
            for s in table.slices
        ]
        print_rows(("slice", "support", "share", "metric", "baseline", "95% ci", "z"), rows)
        return
    rows = [
        (s.name, s.support, f"{s.share:.1%}", s.metric, _delta(s), _ci(s), s.score)
        for s in table.slices
    ]
    print_rows(("slice", "support", "share", "metric", "delta", "95% ci", "score"), rows)


def _ci(row: Any) -> str:
    """`[low, high]` of a slice's 95 % interval."""
    return f"[{row.ci_low:.3g}, {row.ci_high:.3g}]"


def _delta(row: Any) -> str:
    """The delta against overall, or `insufficient` for a group under the minimum sample."""
    return "insufficient" if row.insufficient else f"{row.delta:+.4g}"
