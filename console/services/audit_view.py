"""The audit log for a screen: records, the chain's verification, filters and a record's detail.

`verify_audit` is what `vigil audit --verify` runs (the hash of every record
and link, and the heads recorded outside the chain: run state files and the
server's admin log); the console's audit screen shows the same verdict.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from console.config import Context

ADMIN_LOG = "serving-admin.jsonl"
FILTER_FIELDS = ("model", "runbook", "user", "outcome")


@dataclass
class AuditView:
    """Every record (oldest first), the verification problems and what was checked."""

    records: list[Any]
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    error: str = ""

    def models(self) -> dict[str, str]:
        """Run id → the model its gate record names, so every step of a run shows its model."""
        found: dict[str, str] = {}
        for record in self.records:
            model = record_model(record)
            if model != "-":
                found.setdefault(str(record.run_id), model)
        return found

    @property
    def verdict(self) -> str:
        """One line for the top of the screen."""
        if self.error:
            return f"✗ audit log unreadable: {self.error}"
        if self.problems:
            return f"✗ audit chain BROKEN: {len(self.problems)} problem(s): {self.problems[0]}"
        return f"✓ audit chain intact: {self.checked[0] if self.checked else 'no record'}"


def verify_audit(context: Context, records: list[Any]) -> tuple[list[str], list[str]]:
    """Problems in the chain and against its anchors, and what exactly was checked."""
    from backends.audit_chain import check_anchors, verify
    from console.services.replay import ReplaySource
    from console.services.runbook_env import state_dir
    from runbooks.engine.audit import anchors

    if isinstance(context, ReplaySource):  # a replay shows a prefix; integrity is of the chain now
        live: Context = context.inner
        return verify_audit(live, list(live.incidents.audit_log(since_seq=0)))

    admin_log = context.workspace / ADMIN_LOG if context.workspace is not None else None
    found = anchors(state_dir(context), admin_log)
    problems = verify(records) + check_anchors(records, found.found) + found.unreadable
    last = max((int(r.seq) for r in records), default=0)
    newest = max((a.seq for a in found.found), default=0)
    checked = [
        f"{len(records)} record(s), seq 1..{last}: every hash and link",
        f"against {len(found.found)} recorded head(s): {found.run_files} run state file(s) "
        f"in {state_dir(context)}"
        + (f", {found.admin_entries} change(s) in {admin_log}" if admin_log is not None else ""),
    ]
    if not found.found:
        checked.append("no recorded head: deleting the newest records would not be detected")
    elif last > newest:
        checked.append(
            f"records after seq {newest} (the newest recorded head) are not anchored yet: "
            "deleting only those would not be detected"
        )
    return problems, checked


def read_audit(context: Context) -> AuditView:
    """Read and verify the whole log (in a worker: it reads the incident store and files)."""
    from backends.contracts import BackendError
    from backends.discovery import BackendUnavailable
    from console.config import ConfigError

    try:
        records = list(context.incidents.audit_log(since_seq=0))
    except (BackendError, BackendUnavailable, ConfigError) as error:
        return AuditView([], error=str(error))
    problems, checked = verify_audit(context, records)
    return AuditView(records, problems, checked)


def record_model(record: Any, runs: Mapping[str, str] | None = None) -> str:
    """The model a record is about (its parameters', else its run's), or `-`."""
    params = record.params if isinstance(record.params, Mapping) else {}
    model = params.get("model") or (runs or {}).get(str(record.run_id))
    return str(model or "-")


def audit_cells(record: Any, runs: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """One record as a row: seq, time, who@where, runbook/step, model, outcome."""
    return (
        str(record.seq),
        record.at.strftime("%m-%d %H:%M:%S"),
        f"{record.user}@{record.host}",
        f"{record.runbook}/{record.step}",
        record_model(record, runs),
        str(record.outcome),
    )


def parse_filters(text: str) -> dict[str, str]:
    """`model=fraud-detector outcome=refused` into a mapping; an unknown field is a ValueError."""
    found: dict[str, str] = {}
    for word in text.split():
        key, sep, value = word.partition("=")
        if not sep or key not in FILTER_FIELDS or not value:
            raise ValueError(f"{word!r}: filter with {', '.join(f + '=…' for f in FILTER_FIELDS)}")
        found[key] = value
    return found


def keeps(record: Any, filters: Mapping[str, str], runs: Mapping[str, str] | None = None) -> bool:
    """Whether a record matches every filter (outcome by prefix, the others exactly)."""
    values = {
        "model": record_model(record, runs),
        "runbook": str(record.runbook),
        "user": str(record.user),
        "outcome": str(record.outcome),
    }
    for key, wanted in filters.items():
        have = values[key]
        if key == "outcome" and not have.startswith(wanted):
            return False
        if key != "outcome" and have != wanted:
            return False
    return True


def record_details(record: Any) -> list[tuple[str, str]]:
    """A record's fields, with its before and after in full."""

    def text(value: Any) -> str:
        return json.dumps(value, indent=2, sort_keys=True, default=str)

    rows: Sequence[tuple[str, Any]] = (
        ("seq", record.seq),
        ("at", record.at.isoformat()),
        ("who", f"{record.user}@{record.host}"),
        ("context", record.context),
        ("runbook", record.runbook),
        ("run", record.run_id),
        ("step", f"{record.step} ({record.action})"),
        ("outcome", record.outcome),
        ("duration", f"{record.duration_s:.3f} s"),
        ("params", text(record.params)),
        ("before", text(record.before)),
        ("after", text(record.after)),
        ("hash", record.record_hash),
    )
    return [(key, str(value)) for key, value in rows]
