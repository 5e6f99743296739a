"""`vigil postmortem`: a Markdown postmortem generated from the timeline and the analyses.

The generation is `console.services.postmortem.generate_postmortem`, the
function the console's postmortem screen calls, so both print the same text.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from console.cli.common import (
    UsageError,
    add_window_options,
    emit_json,
    open_context,
    translated_errors,
)
from console.services.postmortem import POSTMORTEM_WINDOW


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `vigil postmortem`."""
    parser.add_argument("--title", help="the postmortem's title")
    parser.add_argument("--output", metavar="FILE", help="write the Markdown here")
    parser.add_argument("--metrics", metavar="A,B", help="metric names to scan (default: all)")
    parser.add_argument("--no-derived", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    add_window_options(parser, default_window=POSTMORTEM_WINDOW)


def run(args: argparse.Namespace) -> int:
    """Build the timeline, find the impact window and its drift and slices, write Markdown."""
    from console.services.postmortem import generate_postmortem

    context = open_context(args)
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    with translated_errors(f"cannot write the postmortem of {args.model or 'the model'}"):
        report = generate_postmortem(
            context,
            args.model,
            start=args.start,
            end=args.end,
            window=args.window,
            metrics=metrics,
            derived=not args.no_derived,
            title=args.title,
        )
    markdown = report.to_markdown()
    if args.output:
        try:
            Path(args.output).write_text(markdown, encoding="utf-8")
        except OSError as error:
            raise UsageError(f"{args.output}: cannot write: {error.strerror}") from error
    if args.json:
        emit_json(report.to_dict())
    elif not args.output:
        print(markdown, end="")
    return 0
