"""`vigil log export`: a model's logged requests in a window, to Parquet or CSV, for file mode.

The file-mode commands (`vigil drift --reference/--current`, `vigil slices
--data`, `vigil latency --data`) read files; this writes them from the
inference log of any context, so every example runs on the demo workspace.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from console.cli.common import (
    UsageError,
    add_window_options,
    emit_json,
    translated_errors,
    warn,
    workspace_window,
)

if TYPE_CHECKING:
    import pandas as pd

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "tsv"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`vigil log export OUT` with the window options."""
    parser.add_argument("action", choices=("export",), help="what to do with the log")
    parser.add_argument("out", metavar="OUT", help="file to write: .parquet, .pq, .csv or .tsv")
    parser.add_argument(
        "--with-labels",
        action="store_true",
        help="add the `label` column (empty for requests whose label has not arrived)",
    )
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    add_window_options(parser)


def run(args: argparse.Namespace) -> int:
    """Write the window's rows to OUT; the format follows OUT's suffix."""
    out = Path(args.out).expanduser()
    kind = FORMATS.get(out.suffix.lower())
    if kind is None:
        raise UsageError(
            f"{out}: unknown format {out.suffix or '(none)'} (use {', '.join(FORMATS)})"
        )
    if out.exists() and not args.force:
        raise UsageError(f"{out} exists (use --force to replace it)")
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent} is not a directory")
    context, model, (start, end) = workspace_window(args)
    with translated_errors(f"cannot read the inference log of {model.name}"):
        frame = context.inference_log.window(model.name, start, end, version=args.version)
    if not args.with_labels and "label" in frame:
        frame = frame.drop(columns=["label"])
    if frame.empty:
        raise UsageError(f"no logged requests of {model.name} in [{start}, {end}): nothing written")
    _write(frame, out, kind)
    labelled = int(frame["label"].notna().sum()) if "label" in frame else 0
    summary = {
        "model": model.name,
        "start": start,
        "end": end,
        "rows": len(frame),
        "labelled": labelled if args.with_labels else None,
        "columns": list(frame.columns),
        "path": str(out),
    }
    if args.json:
        emit_json(summary)
    else:
        note = f", {labelled:,} labelled" if args.with_labels else ""
        warn(f"wrote {len(frame):,} rows{note} of {model.name} [{start}, {end}) to {out}")
    return 0


def _write(frame: pd.DataFrame, out: Path, kind: str) -> None:
    """Write atomically: a temporary file beside OUT, then a rename."""
    temp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        if kind == "parquet":
            frame.to_parquet(temp, index=False)
        else:
            frame.to_csv(temp, index=False, sep="\t" if kind == "tsv" else ",")
        temp.replace(out)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise UsageError(f"cannot write {out}: {error.strerror}") from error
