"""`vigil audit`: read the hash-chained audit log of the context, and verify it and its anchors."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from console.cli.common import UsageError, emit_json, open_context

if TYPE_CHECKING:
    from console.config import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `vigil audit`."""
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="check the hash chain and the heads recorded outside it; exit 1 if broken",
    )
    parser.add_argument("--run", metavar="ID", help="only the records of one run")
    parser.add_argument("--since", type=int, default=0, metavar="SEQ", help="records after SEQ")


def run(args: argparse.Namespace) -> int:
    """Print the audit log (oldest first); with --verify, also check every link and anchor."""
    from backends.contracts import BackendError
    from backends.discovery import BackendUnavailable
    from console.config import ConfigError

    if args.since < 0:
        raise UsageError("--since must be ≥ 0")
    context = open_context(args)
    try:
        records = context.incidents.audit_log(since_seq=0 if args.verify else args.since)
    except (BackendError, BackendUnavailable, ConfigError) as error:
        print(f"vigil audit: cannot read the audit log: {error}", file=sys.stderr)
        return 1
    problems: list[str] = []
    checked: list[str] = []
    if args.verify:
        problems, checked = _verify(context, records)
    shown = [r for r in records if r.seq > args.since and (not args.run or r.run_id == args.run)]
    if args.json:
        document: dict[str, Any] = {"context": context.name, "records": shown}
        if args.verify:
            document["verified"] = not problems
            document["problems"] = problems
            document["checked"] = checked
        emit_json(document)
    else:
        for record in shown:
            print(_line(record))
        if args.verify:
            if problems:
                print(f"audit chain BROKEN ({len(problems)} problem(s)):")
                for problem in problems:
                    print(f"  - {problem}")
            else:
                print("audit chain intact:")
            for line in checked:
                print(f"  {line}")
    return 1 if problems else 0


def _verify(context: Context, records: list[Any]) -> tuple[list[str], list[str]]:
    """Problems in the chain and against its anchors (the console's audit screen shows the same)."""
    from console.services.audit_view import verify_audit

    return verify_audit(context, records)


def _line(record: Any) -> str:
    """One record on one line: seq, time, who, where, what, outcome."""
    at = record.at.strftime("%Y-%m-%d %H:%M:%S")
    change = ""
    if record.before or record.after:
        change = f" {_compact(record.before)} → {_compact(record.after)}"
    return (
        f"{record.seq:>5} {at} {record.user}@{record.host} [{record.context}] "
        f"{record.runbook}/{record.step} {record.action}: {record.outcome}{change} "
        f"({record.duration_s:.3f} s)"
    )


def _compact(value: Any) -> str:
    """A short JSON rendering for one line."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return text if len(text) <= 80 else text[:77] + "..."
