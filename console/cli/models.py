"""`vigil models`: every model with its versions, aliases and traffic split."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.common import UsageError, emit_json, open_context, warn


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `vigil models`."""
    parser.add_argument("--json", action="store_true", help="print one JSON list on stdout")


def run(args: argparse.Namespace) -> int:
    """List the models of the current context."""
    from backends.contracts import BackendError

    context = open_context(args)
    try:
        models = context.registry.list_models()
    except BackendError as error:
        raise UsageError(f"cannot read the model registry: {error}") from error
    rows = [_describe(model, context) for model in models]
    if args.json:
        emit_json(rows)
    else:
        _print_table(rows)
    return 0


def _describe(model: Any, context: Any) -> dict[str, Any]:
    """One model as a JSON-ready dict; a serving backend that is down leaves traffic empty."""
    from backends.contracts import BackendError

    row: dict[str, Any] = {
        "name": model.name,
        "task": model.task,
        "slo_p99_ms": model.slo_p99_ms,
        "versions": [
            {
                "version": version.version,
                "aliases": list(version.aliases),
                "runtime": version.runtime,
                "created_at": version.created_at,
                "lineage": version.lineage,
            }
            for version in model.versions
        ],
        "traffic": {},
        "serving": "unknown",
    }
    try:
        status = context.serving.status(model.name)
    except BackendError as error:
        warn(f"vigil models: traffic for {model.name} unavailable: {error}")
        return row
    row["traffic"] = dict(status.weights)
    row["serving"] = "live" if status.live else "stored"
    return row


def _print_table(rows: list[dict[str, Any]]) -> None:
    """A plain, aligned table that reads well over SSH and without colour."""
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("MODEL", "VERSIONS", "ALIASES", "TRAFFIC", "SERVING"):
        table.add_column(column)
    for row in rows:
        aliases = ", ".join(
            f"{alias}={version['version']}"
            for version in row["versions"]
            for alias in version["aliases"]
        )
        traffic = " ".join(f"v{version}:{weight}%" for version, weight in row["traffic"].items())
        versions = ", ".join(version["version"] for version in row["versions"])
        table.add_row(row["name"], versions, aliases or "-", traffic or "-", row["serving"])
    Console().print(table)
