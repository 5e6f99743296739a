"""ServingControl and its capabilities (split, rollback, load): status, validation, changes."""

from __future__ import annotations

import pytest

from backends.contracts import (
    NotFoundError,
    ServingControl,
    SupportsCompareAndSet,
    SupportsLoad,
    SupportsRegister,
    SupportsRollback,
    SupportsTrafficSplit,
    TrafficConflict,
)
from tests.contract.factories import factories_for
from tests.contract.helpers import version

SERVING = factories_for(ServingControl, SupportsTrafficSplit, SupportsRollback, SupportsRegister)


@pytest.fixture
def two_versions(backend) -> None:
    """`fraud` with versions 1 (champion) and 2."""
    backend.register_version(version("fraud", "1", 0, aliases=("champion",)))
    backend.register_version(version("fraud", "2", 1))


@pytest.mark.parametrize("backend", SERVING, indirect=True)
def test_set_weights_then_status_shows_them(backend, two_versions) -> None:
    status = backend.set_weights("fraud", {"1": 90, "2": 10})
    assert dict(status.weights) == {"1": 90, "2": 10}
    assert dict(backend.status("fraud").weights) == {"1": 90, "2": 10}
    assert {v.version for v in backend.status("fraud").versions} == {"1", "2"}
    assert "fraud" in [e.model for e in backend.endpoints()]


@pytest.mark.parametrize("backend", SERVING, indirect=True)
@pytest.mark.parametrize(
    ("weights", "reason"),
    [
        ({"1": 90, "2": 20}, "sum to 100"),
        ({"1": 90, "3": 10}, "unknown version"),
        ({"1": 90.0, "2": 10}, "integer"),
        ({"1": 110, "2": -10}, "0..100"),
        ({}, "non-empty"),
    ],
)
def test_bad_weights_are_refused_with_a_reason(backend, two_versions, weights, reason) -> None:
    before = dict(backend.status("fraud").weights)
    with pytest.raises(ValueError, match=reason):
        backend.set_weights("fraud", weights)
    assert dict(backend.status("fraud").weights) == before


@pytest.mark.parametrize("backend", SERVING, indirect=True)
def test_rollback_sends_everything_to_one_version(backend, two_versions) -> None:
    backend.set_weights("fraud", {"1": 50, "2": 50})
    status = backend.rollback("fraud", "1")
    assert dict(status.weights) == {"1": 100}
    with pytest.raises(ValueError, match="unknown version"):
        backend.rollback("fraud", "7")


@pytest.mark.parametrize("backend", SERVING, indirect=True)
def test_unknown_model_is_not_found(backend) -> None:
    with pytest.raises(NotFoundError):
        backend.status("nope")
    with pytest.raises(NotFoundError):
        backend.set_weights("nope", {"1": 100})


LOAD = factories_for(ServingControl, SupportsLoad, SupportsTrafficSplit, SupportsRegister)


def _state(status, version: str) -> str:
    """The state a status gives one version (`absent` when it lists none)."""
    return next((v.state for v in status.versions if v.version == version), "absent")


@pytest.mark.parametrize("backend", LOAD, indirect=True)
def test_a_weightless_version_unloads_and_loads_again(backend, two_versions) -> None:
    backend.set_weights("fraud", {"1": 100})
    assert _state(backend.unload("fraud", "2"), "2") in ("unloaded", "absent")
    assert _state(backend.status("fraud"), "2") in ("unloaded", "absent")
    assert _state(backend.load("fraud", "2"), "2") == "ready"
    assert dict(backend.status("fraud").weights) == {"1": 100}


@pytest.mark.parametrize("backend", LOAD, indirect=True)
def test_a_version_taking_traffic_is_not_unloaded(backend, two_versions) -> None:
    backend.set_weights("fraud", {"1": 60, "2": 40})
    with pytest.raises(ValueError, match="2"):
        backend.unload("fraud", "2")
    assert _state(backend.status("fraud"), "2") == "ready"
    assert dict(backend.status("fraud").weights) == {"1": 60, "2": 40}


CAS = factories_for(ServingControl, SupportsCompareAndSet, SupportsTrafficSplit, SupportsRegister)


@pytest.mark.parametrize("backend", CAS, indirect=True)
def test_a_compare_and_set_change_applies_while_the_split_is_as_read(backend, two_versions) -> None:
    seen = backend.set_weights("fraud", {"1": 90, "2": 10})
    assert dict(backend.set_weights_if("fraud", {"1": 50, "2": 50}, seen).weights) == {
        "1": 50,
        "2": 50,
    }
    seen = backend.status("fraud")
    assert dict(backend.rollback_if("fraud", "1", seen).weights) == {"1": 100}


@pytest.mark.parametrize("backend", CAS, indirect=True)
def test_a_compare_and_set_change_is_refused_once_someone_moved_the_split(
    backend, two_versions
) -> None:
    seen = backend.set_weights("fraud", {"1": 90, "2": 10})
    backend.set_weights("fraud", {"1": 80, "2": 20})
    with pytest.raises(TrafficConflict) as refused:
        backend.set_weights_if("fraud", {"1": 50, "2": 50}, seen)
    if refused.value.current is not None:
        assert dict(refused.value.current.weights) == {"1": 80, "2": 20}
    with pytest.raises(TrafficConflict):
        backend.rollback_if("fraud", "1", seen)
    assert dict(backend.status("fraud").weights) == {"1": 80, "2": 20}, "nothing changed"
