"""`vigil timeline`: one ordered incident timeline across layers, and which layer moved first."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from console.cli.common import (
    UsageError,
    add_window_options,
    emit_json,
    print_rows,
    translated_errors,
    workspace_window,
)

DEFAULT_WINDOW = "72h"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `vigil timeline`."""
    parser.add_argument(
        "--metrics", metavar="A,B", help="metric names to scan for anomalies (default: all)"
    )
    parser.add_argument(
        "--no-derived",
        action="store_true",
        help="skip accuracy and per-feature PSI computed from the inference log",
    )
    parser.add_argument(
        "--correlate",
        metavar="SELECTOR",
        help="also correlate this metric, e.g. 'memory_used_bytes{host=serve-a}', with lag",
    )
    parser.add_argument(
        "--against",
        metavar="SELECTOR",
        help="the second series for --correlate (default: the model's mean score)",
    )
    parser.add_argument("--max-lag", type=int, default=60, help="lags tried, in steps")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    add_window_options(parser, default_window=DEFAULT_WINDOW)


def build(args: argparse.Namespace) -> tuple[Any, Any, Any, tuple[Any, Any]]:
    """The context, model, timeline and window the options ask for (shared with postmortem)."""
    from console.analysis.workspace import model_timeline
    from console.services.timeline_view import with_stale_features

    context, model, window = workspace_window(args, DEFAULT_WINDOW)
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    # without --end, the actions taken since the last logged request belong on it too
    until = None if args.end else datetime.now(UTC)
    with translated_errors(f"cannot build the timeline of {model.name}"):
        timeline = model_timeline(
            context,
            model,
            window[0],
            window[1],
            metrics=metrics,
            derived=not args.no_derived,
            actions_until=until,
        )
    timeline, degraded = with_stale_features(
        context, model.name, timeline, window[0], until or window[1]
    )
    for role, why in degraded:
        print(f"vigil: {role} unavailable, its events are missing: {why}", file=sys.stderr)
    return context, model, timeline, window


def run(args: argparse.Namespace) -> int:
    """Print the timeline, oldest first, with the layer that moved first."""
    context, model, timeline, (start, end) = build(args)
    source = f"{model.name} [{start.isoformat()}, {end.isoformat()})"
    correlation = None
    if args.correlate:
        from console.analysis.workspace import correlate

        if args.max_lag < 0:
            raise UsageError("--max-lag must be 0 or more")
        with translated_errors(f"cannot correlate {args.correlate}"):
            correlation = correlate(
                context, model, args.correlate, args.against, start, end, max_lag=args.max_lag
            )
    if args.json:
        document = timeline.to_dict() | {"model": model.name, "start": start, "end": end}
        if correlation is not None:
            document["correlation"] = correlation.to_dict()
        emit_json(document)
        return 0
    print(f"timeline  {source}")
    rows = [
        (
            f"{e.at:%Y-%m-%d %H:%M}",
            e.layer,
            e.kind,
            "*" if e is timeline.first_move else ("!" if e.signal else ""),
            e.summary,
        )
        for e in timeline.events
    ]
    print_rows(("time (utc)", "layer", "kind", "", "what"), rows)
    move = timeline.first_move
    if move:
        print(f"moved first (*): the {move.layer} layer — {move.summary}")
    else:
        print("nothing moved in this window")
    if correlation is not None:
        r = correlation.correlation
        strength = f"r={r:+.2f}" if r is not None else "no correlation (a flat series?)"
        print(
            f"correlation: {correlation.x} vs {correlation.y}: {strength} at lag "
            f"{correlation.best_lag} steps ({correlation.best_lag_s / 60:+.0f} min); "
            f"moves first: {correlation.leader}"
        )
    return 0
