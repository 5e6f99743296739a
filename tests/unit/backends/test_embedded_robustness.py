"""Threads share one backend; broken files become BackendError, never raw sqlite/pyarrow errors."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backends.audit_chain import verify
from backends.contracts import BackendError, Lineage, ModelVersion, NotFoundError, TimelineEvent
from backends.embedded import EmbeddedBackend

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_threads_read_and_write_one_backend(tmp_path: Path) -> None:
    backend = EmbeddedBackend(str(tmp_path))
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(15):
                backend.append_audit({"user": f"w{worker}", "action": str(i)})
                backend.add_event(TimelineEvent(T0 + timedelta(seconds=i), "note", "model", "n"))
                backend.list_models()
        except BaseException as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    log = backend.audit_log()
    assert [r.seq for r in log] == list(range(1, 61)) and verify(log) == []
    assert len(backend.timeline_events(None, T0, T0 + timedelta(minutes=1))) == 60


def test_a_corrupt_database_is_a_backend_error(tmp_path: Path) -> None:
    (tmp_path / "vigil.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(BackendError, match=r"vigil\.db"):
        EmbeddedBackend(str(tmp_path)).list_models()


def test_a_workspace_that_is_a_file_is_a_backend_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(BackendError, match="workspace"):
        EmbeddedBackend(str(tmp_path / "file"))


def test_a_corrupt_reference_is_a_backend_error(tmp_path: Path) -> None:
    backend = EmbeddedBackend(str(tmp_path))
    lineage = Lineage("c", "d", "k", "e")
    backend.register_version(ModelVersion("fraud", "1", T0, "onnx", "a", lineage))
    (tmp_path / "reference" / "fraud").mkdir(parents=True)
    (tmp_path / "reference" / "fraud" / "1.parquet").write_bytes(b"garbage")
    with pytest.raises(BackendError, match="cannot read"):
        backend.reference("fraud", "1")
    with pytest.raises(NotFoundError):
        backend.reference("other")


def test_returned_times_are_utc_even_for_other_zones(tmp_path: Path) -> None:
    backend = EmbeddedBackend(str(tmp_path))
    from datetime import timezone

    tokyo = datetime(2026, 11, 1, 9, 0, tzinfo=timezone(timedelta(hours=9)))
    incident = backend.open_incident("fraud", "slow", "P2", tokyo)
    assert incident.opened_at == T0 and incident.opened_at.utcoffset() == timedelta(0)
    assert backend.incidents()[0].opened_at.tzinfo is not None


def test_processes_opening_a_fresh_workspace_at_once_all_succeed(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom backends.embedded import EmbeddedBackend\n"
        "EmbeddedBackend(sys.argv[1]).append_audit({'user': sys.argv[2], 'action': 'open'})"
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "fresh"), str(n)])
        for n in range(3)
    ]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0, 0]
    log = EmbeddedBackend(str(tmp_path / "fresh")).audit_log()
    assert sorted(r.user for r in log) == ["0", "1", "2"] and verify(log) == []


def test_an_alias_move_can_be_backdated(tmp_path: Path) -> None:
    backend = EmbeddedBackend(str(tmp_path))
    lineage = Lineage("c", "d", "k", "e")
    backend.register_version(ModelVersion("fraud", "1", T0, "onnx", "a", lineage))
    event = backend.set_alias("fraud", "champion", "1", at=T0 + timedelta(hours=2))
    assert event.at == T0 + timedelta(hours=2)
    (stored,) = backend.registry_events("fraud", T0 + timedelta(hours=1), T0 + timedelta(hours=3))
    assert (stored.kind, stored.detail["alias"]) == ("alias_moved", "champion")


def test_removing_an_alias_records_the_event(tmp_path: Path) -> None:
    backend = EmbeddedBackend(str(tmp_path))
    lineage = Lineage("c", "d", "k", "e")
    backend.register_version(ModelVersion("fraud", "1", T0, "onnx", "a", lineage, ("canary",)))
    event = backend.remove_alias("fraud", "canary")
    assert (event.kind, event.version) == ("alias_removed", "1")
    assert backend.get_model("fraud").alias("canary") is None
    with pytest.raises(NotFoundError, match="canary"):
        backend.remove_alias("fraud", "canary")


def test_moving_an_alias_to_its_holder_records_nothing(tmp_path: Path) -> None:
    backend = EmbeddedBackend(str(tmp_path))
    lineage = Lineage("c", "d", "k", "e")
    backend.register_version(ModelVersion("fraud", "1", T0, "onnx", "a", lineage, ("champion",)))
    backend.set_alias("fraud", "champion", "1", at=T0 + timedelta(hours=1))
    kinds = [e.kind for e in backend.registry_events("fraud", T0, T0 + timedelta(days=1))]
    assert kinds == ["version_registered", "alias_moved"]
