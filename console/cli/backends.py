"""`vigil backends`: the installed backends, listed from package metadata without importing them."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.common import emit_json, warn


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `vigil backends`."""
    parser.add_argument("--json", action="store_true", help="print one JSON list on stdout")
    parser.add_argument(
        "--options",
        action="store_true",
        help="also import each backend and show the options it declares",
    )


def run(args: argparse.Namespace) -> int:
    """Print each backend's name, the object it points at and the distribution providing it."""
    from backends.discovery import GROUP, available

    rows = [_describe(name, entry) for name, entry in sorted(available().items())]
    if args.options:
        for row in rows:
            row["options"] = _options(row["name"])
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print(f"no backends installed (entry-point group {GROUP!r})")
        return 0
    width = max(len(row["name"]) for row in rows)
    for row in rows:
        print(f"{row['name']:<{width}}  {row['target']}  ({row['distribution']})")
        for option in row.get("options", []):
            print(f"    {option['name']}: {option['kind']}, {_default(option)} — {option['doc']}")
    return 0


def _default(option: dict[str, Any]) -> str:
    """`required`, `optional` (no default) or `default X`, for the plain listing."""
    if option["required"]:
        return "required"
    return "optional" if option["default"] is None else f"default {option['default']!r}"


def _options(name: str) -> list[dict[str, Any]]:
    """The options backend `name` declares; one that fails to import is a warning, not a crash."""
    from backends.discovery import BackendUnavailable, declared_options

    try:
        declared = declared_options(name) or ()
    except BackendUnavailable as error:
        warn(f"vigil backends: {error}")
        return []
    return [
        {
            "name": option.name,
            "kind": option.kind,
            "required": option.required,
            "default": None if option.required else option.default,
            "doc": option.doc,
        }
        for option in declared
    ]


def _describe(name: str, entry: Any) -> dict[str, Any]:
    """One entry point as a JSON-ready dict."""
    dist = getattr(entry, "dist", None)
    distribution = f"{dist.name} {dist.version}" if dist is not None else "unknown"
    return {"name": name, "target": str(entry.value), "distribution": distribution}
