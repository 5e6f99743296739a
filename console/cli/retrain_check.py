"""`vigil retrain-check`: retraining triggers (seed format) evaluated; T* and sample sizes."""

from __future__ import annotations

import argparse
import math
from datetime import timedelta
from pathlib import Path
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
    """Options of `vigil retrain-check`."""
    parser.add_argument("--config", metavar="FILE", help="YAML with `triggers:` (seed format)")
    parser.add_argument(
        "--values", metavar="FILE", help="current values (JSON or YAML) instead of the workspace"
    )
    parser.add_argument(
        "--interval",
        nargs=5,
        type=float,
        metavar=("C", "Q", "V", "A0", "LAMBDA"),
        help="optimal retraining interval T* (square-root law and exact minimum)",
    )
    parser.add_argument(
        "--sample-size",
        nargs=2,
        type=float,
        metavar=("P", "DELTA"),
        help="per-arm sample size for a proportion p and a detectable change delta",
    )
    parser.add_argument("--alpha", type=float, default=0.05, help="two-sided significance")
    parser.add_argument("--power", type=float, default=0.8, help="power of the test")
    parser.add_argument(
        "--canary",
        nargs=2,
        type=float,
        metavar=("REQ_PER_HOUR", "SHARE"),
        help="with --sample-size: minimum canary duration at this traffic and canary share",
    )
    parser.add_argument(
        "--fail-on-fire", action="store_true", help="exit 1 when retraining would fire"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    add_window_options(parser, default_window="24h")


def run(args: argparse.Namespace) -> int:
    """Evaluate what was asked: triggers, T*, sample size; print or emit JSON."""
    if not (args.config or args.interval or args.sample_size):
        raise UsageError("give --config FILE, --interval or --sample-size")
    if args.canary and not args.sample_size:
        raise UsageError("--canary needs --sample-size")
    document: dict[str, Any] = {}
    with translated_errors("cannot evaluate"):
        if args.interval:
            document["interval"] = _interval(args.interval)
        if args.sample_size:
            document["sample_size"] = _sample_size(args)
        if args.config:
            document["decision"] = _decision(args)
    if args.json:
        emit_json(document)
    else:
        _print(document)
    decision = document.get("decision")
    return 1 if args.fail_on_fire and decision and decision["fires"] else 0


def _load(path: str) -> Any:
    """A YAML or JSON file (safe_load), with the file named in any error."""
    from backends.safe_yaml import YamlRefused, load_with_lines, read_text

    file = Path(path)
    try:
        document, _lines = load_with_lines(read_text(file))
    except YamlRefused as error:
        where = f"{file}:{error.line}" if error.line is not None else str(file)
        raise UsageError(f"{where}: {error}") from None
    return document


def _decision(args: argparse.Namespace) -> dict[str, Any]:
    """Parse the triggers and evaluate them against --values or the workspace."""
    from console.analysis.retraining import TriggerError, evaluate_triggers, parse_triggers

    try:
        triggers = parse_triggers(_load(args.config))
    except TriggerError as error:
        raise UsageError(f"{args.config}: {error}") from error
    if args.values:
        values = _load(args.values)
        if not isinstance(values, dict):
            raise UsageError(f"{args.values}: expected a mapping of metric → value")
        source = str(args.values)
    else:
        values, source = _workspace_values(args, triggers)
    return evaluate_triggers(triggers, values).to_dict() | {"values": values, "source": source}


def _workspace_values(args: argparse.Namespace, triggers: list[Any]) -> tuple[dict[str, Any], str]:
    """Current values from the workspace: accuracy drop, feature PSI, prediction shift."""
    from console.analysis.drift import drift_table
    from console.analysis.workspace import model_drift

    context, model, (start, end) = workspace_window(args)
    values: dict[str, Any] = {}
    with translated_errors(f"cannot read {model.name}"):
        for trigger in triggers:
            span = timedelta(seconds=trigger.window_s) if trigger.window_s else end - start
            begin = end - span
            if trigger.metric == "accuracy":
                values["accuracy"] = _accuracy_drop(context, model.name, begin, end, span)
            elif trigger.metric == "feature_drift_psi":
                known = {spec.name for spec in model.features}
                names = [f for f in trigger.features if f in known]
                table = model_drift(context, model, begin, end, columns=names, exact=False)
                values["feature_drift_psi"] = {row.feature: row.psi for row in table.features}
            elif trigger.metric == "prediction_distribution_shift":
                log = context.inference_log
                now = log.window(model.name, begin, end, columns=["score"])
                then = log.window(model.name, begin - span, begin, columns=["score"])
                if len(now) and len(then):
                    row = drift_table(then, now, ["score"], exact=False).features[0]
                    values["prediction_distribution_shift"] = row.psi
    return values, f"{model.name} up to {end.isoformat()}"


def _accuracy_drop(context: Any, model: str, begin: Any, end: Any, span: Any) -> float | None:
    """Accuracy of the previous window minus that of the current one (labelled rows only)."""
    from console.analysis.slices.metrics import agreement

    columns = ["label", "prediction"]
    now = context.inference_log.window(model, begin, end, columns=columns)
    then = context.inference_log.window(model, begin - span, begin, columns=columns)
    scores = []
    for frame in (then, now):
        labelled = frame[frame["label"].notna()] if "label" in frame else frame.iloc[:0]
        if labelled.empty:
            return None
        scores.append(float(agreement(labelled["label"], labelled["prediction"]).mean()))
    return scores[0] - scores[1]


def _interval(numbers: list[float]) -> dict[str, Any]:
    """T* by the square-root law and the exact minimum, with the inputs."""
    from console.analysis.retraining import optimal_interval, optimal_interval_exact

    cost, queries, value, accuracy, decay = numbers
    return {
        "inputs": {"C": cost, "Q": queries, "V": value, "A0": accuracy, "lambda": decay},
        "sqrt_law": optimal_interval(cost, queries, value, accuracy, decay),
        "exact": optimal_interval_exact(cost, queries, value, accuracy, decay),
    }


def _sample_size(args: argparse.Namespace) -> dict[str, Any]:
    """Per-arm n and, with --canary, the minimum canary duration."""
    from console.analysis.retraining import canary_duration_h, sample_size

    p, delta = args.sample_size
    exact = sample_size(p, delta, alpha=args.alpha, power=args.power)
    # a sample is whole requests: round the formula's value up, or the test is underpowered
    n = math.ceil(exact - 1e-9)
    result: dict[str, Any] = {"p": p, "delta": delta, "alpha": args.alpha, "power": args.power}
    result["per_arm"] = n
    result["per_arm_formula"] = exact
    if args.canary:
        result["canary_hours"] = canary_duration_h(n, args.canary[0], args.canary[1])
    return result


def _print(document: dict[str, Any]) -> None:
    """Plain text for each part asked for."""
    if "interval" in document:
        part = document["interval"]
        print(f"T* (square-root law) {part['sqrt_law']:.5f} · exact minimum {part['exact']:.5f}")
    if "sample_size" in document:
        part = document["sample_size"]
        test = f"α {part['alpha']:g}, power {part['power']:g}"
        line = (
            f"sample size {part['per_arm']:,} per arm ({test}; "
            f"the formula gives {part['per_arm_formula']:,.1f})"
        )
        if "canary_hours" in part:
            line += f" · minimum canary {part['canary_hours']:.1f} h"
        print(line)
    if "decision" in document:
        decision = document["decision"]
        rows = [
            (
                r["trigger"]["metric"],
                r["trigger"]["threshold"],
                r["trigger"]["window"],
                r["value"],
                "FIRES" if r["fires"] else "no",
                r["reason"],
            )
            for r in decision["triggers"]
        ]
        print_rows(("trigger", "threshold", "window", "value", "fires", "why"), rows)
        verdict = "would fire" if decision["fires"] else "would not fire"
        print(f"retraining {verdict} (triggers are OR-combined) · values from {decision['source']}")
