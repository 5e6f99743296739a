"""`vigil backends`: the installed backends, listed from package metadata without importing them."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.common import emit_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `vigil backends`."""
    parser.add_argument("--json", action="store_true", help="print one JSON list on stdout")


def run(args: argparse.Namespace) -> int:
    """Print each backend's name, the object it points at and the distribution providing it."""
    from backends.discovery import GROUP, available

    rows = [_describe(name, entry) for name, entry in sorted(available().items())]
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print(f"no backends installed (entry-point group {GROUP!r})")
        return 0
    width = max(len(row["name"]) for row in rows)
    for row in rows:
        print(f"{row['name']:<{width}}  {row['target']}  ({row['distribution']})")
    return 0


def _describe(name: str, entry: Any) -> dict[str, str]:
    """One entry point as a JSON-ready dict."""
    dist = getattr(entry, "dist", None)
    distribution = f"{dist.name} {dist.version}" if dist is not None else "unknown"
    return {"name": name, "target": str(entry.value), "distribution": distribution}
