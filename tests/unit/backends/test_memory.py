"""The in-memory backend's test affordances: faults per role, the gauge, the journal of changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backends.contracts import BackendError, NotFoundError, TrafficConflict
from backends.discovery import BackendUnavailable, create
from backends.memory import ROLES, MemoryBackend
from tests.contract.helpers import T0, version


def _served() -> MemoryBackend:
    """`fraud` with versions 1 (champion) and 2."""
    backend = create("memory", {})
    backend.register_version(version("fraud", "1", aliases=("champion",)))
    backend.register_version(version("fraud", "2", 1))
    return backend


def test_a_failed_role_raises_and_the_others_answer() -> None:
    backend = _served()
    backend.fail("metrics")
    with pytest.raises(BackendError, match="metrics backend down"):
        backend.query_range("requests_total", {}, T0, T0 + timedelta(hours=1))
    with pytest.raises(BackendError, match="metrics backend down"):
        backend.metric_names()
    assert [m.name for m in backend.list_models()] == ["fraud"]
    assert dict(backend.status("fraud").weights) == {"1": 100}
    backend.heal("metrics")
    assert backend.metric_names() == []


def test_every_role_can_fail_with_its_own_message_and_error() -> None:
    backend = _served()
    calls = {
        "registry": lambda: backend.get_model("fraud"),
        "metrics": lambda: backend.metric_names(),
        "features": lambda: backend.freshness("fraud"),
        "inference_log": lambda: backend.time_range("fraud"),
        "serving": lambda: backend.endpoints(),
        "retrain": lambda: backend.start("fraud", "drift", {}),
        "incidents": lambda: backend.incidents(),
    }
    assert set(calls) == set(ROLES)
    for role, call in calls.items():
        backend.fail(role, f"{role} is on fire", NotFoundError)
        with pytest.raises(NotFoundError, match=f"{role} is on fire"):
            call()
    backend.heal()
    for call in calls.values():
        call()
    with pytest.raises(ValueError, match="unknown role"):
        backend.fail("weather")


def test_the_gauge_answers_every_query_and_quantiles_by_name() -> None:
    backend = _served()
    asked: list[tuple[str, dict[str, str]]] = []

    def gauge(name: str, labels: object) -> float | None:
        asked.append((name, dict(labels)))  # type: ignore[call-overload]
        return None if name == "missing" else 7.0

    backend.gauge = gauge
    end = T0 + timedelta(hours=1)
    (series,) = backend.query_range("errors_total", {"model": "fraud"}, T0, end)
    assert series.values.tolist() == [7.0] and series.timestamps.tolist() == [end.timestamp()]
    assert backend.query_range("missing", {}, T0, end) == []
    backend.quantile_range("stage_latency_ms", 0.99, {"stage": "inference"}, T0, end)
    assert asked[-1] == ("stage_latency_ms:p0.99", {"stage": "inference"})


def test_changes_list_every_mutating_call_in_order() -> None:
    backend = _served()
    backend.changes.clear()
    seen = backend.set_weights("fraud", {"1": 90, "2": 10})
    backend.rollback("fraud", "1")
    backend.set_alias("fraud", "champion", "2")
    with pytest.raises(TrafficConflict):
        backend.set_weights_if("fraud", {"1": 50, "2": 50}, seen)
    assert backend.changes == [
        "set_weights {'1': 90, '2': 10}",
        "rollback 1",
        "set_alias champion=2",
        f"if_generation {seen.generation}",
    ]
    assert backend.status("fraud").generation == seen.generation + 1


def test_a_memory_context_option_is_refused_by_name() -> None:
    with pytest.raises(BackendUnavailable, match="no option 'workspace'"):
        create("memory", {"workspace": "/tmp/x"})
