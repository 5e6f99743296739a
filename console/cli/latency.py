"""`vigil latency`: per-stage p50 / p95 / p99 against the budget and the SLO, with what-ifs."""

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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `vigil latency`."""
    files = parser.add_argument_group("file mode (CSV or Parquet with <stage>_ms columns)")
    files.add_argument("--data", metavar="FILE", help="per-request stage timings")
    files.add_argument(
        "--budget", metavar="STAGE=MS,...", help="budget per stage (default: the model's)"
    )
    files.add_argument("--slo", type=float, metavar="MS", help="end-to-end p99 SLO")
    parser.add_argument(
        "--speedup", type=float, default=2.0, help="what-if: each stage this many times faster"
    )
    parser.add_argument(
        "--fail-on-budget", action="store_true", help="exit 1 when a stage is over its budget"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    add_window_options(parser, default_window="1h")


def run(args: argparse.Namespace) -> int:
    """Compute and print the stage budget table."""
    if args.speedup <= 0:
        raise UsageError("--speedup must be positive")
    budget = _parse_budget(args.budget) if args.budget else None
    if args.data:
        result, source = _from_file(args, budget), str(args.data)
    else:
        result, source = _from_workspace(args, budget)
    if args.json:
        emit_json(result.to_dict() | {"source": source})
    else:
        _print(result, source)
    return 1 if args.fail_on_budget and result.over_budget else 0


def _parse_budget(text: str) -> dict[str, float]:
    """`network=15,inference=45` as a mapping."""
    budget: dict[str, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        try:
            budget[name.strip()] = float(value)
        except ValueError:
            raise UsageError(f"--budget: {part!r} is not STAGE=MS") from None
    return budget


def _from_file(args: argparse.Namespace, budget: dict[str, float] | None) -> Any:
    """The budget table from a file of per-request timings."""
    from backends.contracts import STAGES
    from console.analysis.inputs import read_table
    from console.analysis.latency import latency_budget
    from console.analysis.workspace import stage_columns

    with translated_errors("cannot read the timings"):
        frame = read_table(args.data)
        stages = list(STAGES) + [s for s in (budget or {}) if s not in STAGES]
        present = stage_columns(frame, stages)
        if not present:
            raise UsageError(f"{args.data}: no <stage>_ms column (stages: {', '.join(STAGES)})")
        samples = {
            s: frame[c].to_numpy(dtype=float, na_value=float("nan")) for s, c in present.items()
        }
        total = frame["total_ms"].to_numpy(dtype=float) if "total_ms" in frame else None
        return latency_budget(
            samples, budget or {}, slo_p99_ms=args.slo, total=total, speedup=args.speedup
        )


def _from_workspace(args: argparse.Namespace, budget: dict[str, float] | None) -> tuple[Any, str]:
    """The budget table of a model's logged window (or its metric store p99s)."""
    from dataclasses import replace

    from backends.contracts import STAGES
    from console.analysis.workspace import model_latency

    context, model, (start, end) = workspace_window(args, "1h")
    if budget is not None or args.slo is not None:
        model = replace(
            model,
            latency_budget_ms=budget if budget is not None else model.latency_budget_ms,
            slo_p99_ms=args.slo if args.slo is not None else model.slo_p99_ms,
        )
    with translated_errors(f"cannot read stage timings of {model.name}"):
        result = model_latency(
            context, model, start, end, STAGES, version=args.version, speedup=args.speedup
        )
    return result, f"{model.name} [{start.isoformat()}, {end.isoformat()})"


def _print(result: Any, source: str) -> None:
    """Stages with percentiles, budget and share; the verdict; the what-ifs; the caveat."""
    print(f"latency  {source}")
    rows = [
        (
            s.stage,
            s.p50,
            s.p95,
            s.p99,
            s.budget_ms,
            _verdict(s, bool(result.insufficient)),
            f"{s.share:.0%}" if s.share is not None else None,
        )
        for s in result.stages
    ]
    print_rows(("stage", "p50", "p95", "p99", "budget", "", "share"), rows)
    over = result.over_budget
    slo = f" · SLO p99 {result.slo_p99_ms:g} ms" if result.slo_p99_ms is not None else ""
    e2e = result.end_to_end_p99
    breached = " (breached)" if result.slo_breached else ""
    print(
        f"end-to-end p99 {e2e:.4g} ms{slo}{breached}"
        if e2e is not None
        else f"no end-to-end p99{slo}"
    )
    print(
        f"stage over budget: {over.stage} (p99 {over.p99:.4g} > {over.budget_ms:g} ms)"
        if over
        else (
            f"not judged: {result.insufficient}" if result.insufficient else "no stage over budget"
        )
    )
    for whatif in result.whatifs:
        print(f"what-if: {whatif}")
    print(f"note: {result.note}")
    if result.coverage is not None and result.coverage.note:
        print(f"window: {result.coverage.note}")


def _verdict(stage: Any, insufficient: bool) -> str:
    """`OVER`, `ok`, `-` (no budget), or `?` when too few requests to judge."""
    if stage.budget_ms is None:
        return "-"
    if insufficient:
        return "?"
    return "OVER" if stage.over_budget else "ok"
