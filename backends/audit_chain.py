"""The audit log's hash chain: canonical bytes of a record, its sha256, and chain verification.

Each record's hash covers its fields and the previous record's hash, so
editing, deleting or reordering any record breaks every later link. Any
store (embedded SQLite or not) can use these, and the runbook engine uses
`verify` to check a chain it reads back.

A chain alone cannot show that its newest records were deleted. So the
head (`<seq>:<record_hash>`) is also written where the log's writer does
not rewrite it: every run's state file, and, sent as the `Vigil-Audit-Head`
header with each admin change, the server's own admin log. `check_anchors`
compares the chain with those heads.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import asdict, dataclass, is_dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
HEAD_HEADER = "Vigil-Audit-Head"
HEAD_FORMAT = re.compile(r"([0-9]{1,19}):([0-9a-f]{64})")
_CURRENT_HEAD: ContextVar[str | None] = ContextVar("vigil_audit_head", default=None)
HASHED_FIELDS: tuple[str, ...] = (
    "seq",
    "at",
    "user",
    "host",
    "context",
    "runbook",
    "run_id",
    "step",
    "action",
    "params",
    "before",
    "after",
    "outcome",
    "duration_s",
)


def _fields(record: Any) -> Mapping[str, Any]:
    """A record (mapping or dataclass such as AuditRecord) as a mapping."""
    if is_dataclass(record) and not isinstance(record, type):
        return asdict(record)
    if isinstance(record, Mapping):
        return record
    raise TypeError(
        f"an audit record must be a mapping or a dataclass, got {type(record).__name__}"
    )


def _jsonable(value: Any) -> Any:
    """Datetimes as UTC ISO-8601 with microseconds; anything else JSON cannot hold as str."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat(timespec="microseconds")
    return str(value)


def canonical(record: Any) -> bytes:
    """The bytes a record's hash covers: its hashed fields as sorted, compact UTF-8 JSON."""
    fields = _fields(record)
    missing = [name for name in HASHED_FIELDS if name not in fields]
    if missing:
        raise ValueError(f"audit record lacks {', '.join(missing)}")
    body = {name: fields[name] for name in HASHED_FIELDS}
    body["duration_s"] = float(body["duration_s"])
    body["seq"] = int(body["seq"])
    text = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable
    )
    return text.encode("utf-8")


def compute_hash(prev_hash: str, record_fields: Any) -> str:
    """sha256 hex of the previous hash, a newline, and the record's canonical bytes."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical(record_fields))
    return digest.hexdigest()


def verify(records: Iterable[Any]) -> list[str]:
    """Problems found in a chain (oldest first), each naming the seq; empty when intact."""
    problems: list[str] = []
    previous: Mapping[str, Any] | None = None
    for record in records:
        fields = _fields(record)
        seq = fields.get("seq")
        if previous is None:
            if seq == 1 and fields.get("prev_hash") != GENESIS:
                problems.append("seq 1: prev_hash is not the genesis hash")
        else:
            expected_seq = int(previous["seq"]) + 1
            if seq != expected_seq:
                problems.append(f"seq {seq}: expected seq {expected_seq} (a record is missing)")
            if fields.get("prev_hash") != previous.get("record_hash"):
                problems.append(f"seq {seq}: prev_hash does not match seq {previous['seq']}")
        try:
            expected = compute_hash(str(fields.get("prev_hash", "")), fields)
        except (ValueError, TypeError, UnicodeEncodeError) as error:
            problems.append(f"seq {seq}: cannot hash the record: {error}")
        else:
            if fields.get("record_hash") != expected:
                problems.append(f"seq {seq}: record_hash does not match its contents")
        previous = fields
    return problems


@dataclass(frozen=True)
class Anchor:
    """A head of the chain recorded outside it: `seq:record_hash` and where it was found."""

    seq: int
    record_hash: str
    where: str


def head_of(record: Any) -> str:
    """The head a record makes: `<seq>:<record_hash>`."""
    fields = _fields(record)
    return f"{int(fields['seq'])}:{fields['record_hash']}"


def parse_head(text: str, where: str) -> Anchor:
    """An anchor from `<seq>:<64 hex>`; ValueError when it is not one."""
    found = HEAD_FORMAT.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None:
        raise ValueError(f"{where}: {text!r} is not an audit head (<seq>:<64 hex>)")
    return Anchor(int(found.group(1)), found.group(2), where)


def announce_head(head: str | None) -> None:
    """Remember the head the next admin change follows (sent as the Vigil-Audit-Head header)."""
    _CURRENT_HEAD.set(head)


def announced_head() -> str | None:
    """The head announced in this thread or task, or None when there is none."""
    return _CURRENT_HEAD.get()


def check_anchors(records: Iterable[Any], anchors: Iterable[Anchor]) -> list[str]:
    """Problems where the chain disagrees with a recorded head: a record gone or rewritten."""
    by_seq = {int(_fields(r)["seq"]): str(_fields(r).get("record_hash")) for r in records}
    last = max(by_seq, default=0)
    problems: list[str] = []
    for anchor in sorted(anchors, key=lambda a: (a.seq, a.where)):
        held = by_seq.get(anchor.seq)
        if held == anchor.record_hash:
            continue
        if anchor.seq > last:
            problems.append(
                f"{anchor.where} recorded head seq {anchor.seq}, but the log ends at seq {last}: "
                "records were deleted from its end"
            )
        elif held is None:
            problems.append(f"{anchor.where} recorded head seq {anchor.seq}: it is missing")
        else:
            problems.append(
                f"{anchor.where} recorded head seq {anchor.seq} with another hash: "
                "the record was rewritten"
            )
    return problems
