"""The hash chain itself, tampering with stored rows, and two processes appending at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from backends.audit_chain import GENESIS, canonical, compute_hash, verify
from backends.embedded import EmbeddedBackend

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _fields(**override: object) -> dict[str, object]:
    """A complete set of hashed fields."""
    base: dict[str, object] = {
        "seq": 1,
        "at": AT,
        "user": "oncall",
        "host": "box",
        "context": "demo",
        "runbook": "rollback",
        "run_id": "r1",
        "step": "s1",
        "action": "rollback",
        "params": {"to": "1", "n": 2},
        "before": {},
        "after": {"weights": {"1": 100}},
        "outcome": "ok",
        "duration_s": 1.5,
    }
    return {**base, **override}


def test_canonical_ignores_key_order_and_timezone_spelling() -> None:
    shuffled = dict(reversed(list(_fields(params={"n": 2, "to": "1"}).items())))
    paris = AT.astimezone(timezone(timedelta(hours=1)))
    assert canonical(shuffled) == canonical(_fields())
    assert canonical(_fields(at=paris)) == canonical(_fields())
    assert b'"at":"2026-11-01T12:00:00.000000+00:00"' in canonical(_fields())


def test_hash_depends_on_every_field_and_the_previous_hash() -> None:
    reference = compute_hash(GENESIS, _fields())
    assert len(reference) == 64
    for name, value in [("outcome", "failed"), ("duration_s", 1.25), ("params", {})]:
        assert compute_hash(GENESIS, _fields(**{name: value})) != reference
    assert compute_hash("f" * 64, _fields()) != reference


def test_verify_names_the_seq_of_a_broken_link() -> None:
    first = {**_fields(), "prev_hash": GENESIS}
    first["record_hash"] = compute_hash(GENESIS, first)
    second = {**_fields(seq=2), "prev_hash": first["record_hash"]}
    second["record_hash"] = compute_hash(str(second["prev_hash"]), second)
    assert verify([first, second]) == []
    relinked = {**second, "prev_hash": GENESIS}
    assert "seq 2: prev_hash does not match seq 1" in verify([first, relinked])
    assert verify([second, first])[0].startswith("seq 1: expected seq 3")
    assert verify([{**first, "prev_hash": "0" * 63 + "1"}])[0].startswith("seq 1:")


def test_a_row_edited_in_sqlite_is_detected(tmp_path: Path) -> None:
    backend = EmbeddedBackend(str(tmp_path))
    for action in ("a", "b", "c"):
        backend.append_audit({"user": "u", "action": action, "outcome": "ok"})
    backend.close()
    with sqlite3.connect(tmp_path / "vigil.db") as conn:
        conn.execute("UPDATE audit_log SET params_json = '{\"weights\": 1}' WHERE seq = 2")
    problems = verify(EmbeddedBackend(str(tmp_path)).audit_log())
    assert problems == ["seq 2: record_hash does not match its contents"]


def test_two_processes_appending_keep_one_chain(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        from backends.embedded import EmbeddedBackend
        backend = EmbeddedBackend({str(tmp_path)!r})
        import sys
        for i in range(25):
            backend.append_audit({{"user": sys.argv[1], "action": f"step-{{i}}", "outcome": "ok"}})
        """
    )
    EmbeddedBackend(str(tmp_path)).close()
    workers = [
        subprocess.Popen([sys.executable, "-c", script, name], stderr=subprocess.PIPE, text=True)
        for name in ("alice", "bob")
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    log = EmbeddedBackend(str(tmp_path)).audit_log()
    assert [r.seq for r in log] == list(range(1, 51))
    assert sorted(r.user for r in log).count("alice") == 25
    assert verify(log) == []


@settings(max_examples=60, deadline=None)
@given(
    outcomes=st.lists(st.text(max_size=12), min_size=2, max_size=6),
    victim=st.integers(min_value=0, max_value=5),
    forged=st.text(min_size=1, max_size=12),
)
def test_any_edited_outcome_is_reported_at_its_seq(outcomes, victim, forged) -> None:
    chain: list[dict[str, object]] = []
    previous = GENESIS
    for seq, outcome in enumerate(outcomes, start=1):
        record: dict[str, object] = {**_fields(seq=seq, outcome=outcome), "prev_hash": previous}
        record["record_hash"] = previous = compute_hash(previous, record)
        chain.append(record)
    assert verify(chain) == []
    index = victim % len(chain)
    if chain[index]["outcome"] == forged:
        forged += "!"
    chain[index] = {**chain[index], "outcome": forged}
    assert verify(chain) == [f"seq {index + 1}: record_hash does not match its contents"]


def _chain(count: int) -> list[dict[str, object]]:
    """A valid chain of `count` records."""
    records: list[dict[str, object]] = []
    previous = GENESIS
    for seq in range(1, count + 1):
        record = {**_fields(seq=seq), "prev_hash": previous}
        record["record_hash"] = previous = compute_hash(previous, record)
        records.append(record)
    return records


def test_anchors_catch_a_truncated_tail_an_emptied_log_and_a_rewrite() -> None:
    from backends.audit_chain import check_anchors, head_of, parse_head

    chain = _chain(5)
    anchor = parse_head(head_of(chain[3]), "run r1 (state file)")
    assert verify(chain[:3]) == [], "the chain alone cannot see a deleted tail"
    assert check_anchors(chain, [anchor]) == []
    (cut,) = check_anchors(chain[:3], [anchor])
    assert "recorded head seq 4, but the log ends at seq 3" in cut and "deleted" in cut
    (emptied,) = check_anchors([], [anchor])
    assert "the log ends at seq 0" in emptied
    forged = [*chain[:3], {**chain[3], "record_hash": "f" * 64}]
    (rewritten,) = check_anchors(forged, [anchor])
    assert "with another hash: the record was rewritten" in rewritten


def test_a_malformed_head_is_refused() -> None:
    import pytest

    from backends.audit_chain import parse_head

    for text in ("7", "x:" + "a" * 64, "7:" + "A" * 64, "7:" + "a" * 63):
        with pytest.raises(ValueError, match="is not an audit head"):
            parse_head(text, "here")
