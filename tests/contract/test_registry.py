"""ModelRegistry + SupportsRegister: versions, aliases, events, unknown models."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from backends.contracts import ModelRegistry, NotFoundError, SupportsRegister
from tests.contract.factories import factories_for
from tests.contract.helpers import T0, version

REGISTRY = factories_for(ModelRegistry, SupportsRegister)


@pytest.mark.parametrize("backend", REGISTRY, indirect=True)
def test_register_round_trips_every_field(backend) -> None:
    stored = backend.register_version(version("fraud", "1"), model_task="regression")
    model = backend.get_model("fraud")
    assert model.task == "regression"
    assert model.versions == (stored,)
    assert stored.created_at == T0 and stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == timedelta(0)
    assert stored.lineage.code_hash == "code-1"
    assert stored.artifact_uri == "models/fraud/1/model.onnx"
    assert dict(stored.metrics) == {"auc": 0.9}
    assert [m.name for m in backend.list_models()] == ["fraud"]


@pytest.mark.parametrize("backend", REGISTRY, indirect=True)
def test_an_alias_has_one_holder_and_moves(backend) -> None:
    backend.register_version(version("fraud", "1", 0, aliases=("champion",)))
    backend.register_version(version("fraud", "2", 1, aliases=("challenger",)))
    assert backend.get_model("fraud").alias("champion").version == "1"
    event = backend.set_alias("fraud", "champion", "2")
    assert event.kind == "alias_moved" and event.version == "2"
    model = backend.get_model("fraud")
    holders = [v.version for v in model.versions if "champion" in v.aliases]
    assert holders == ["2"]
    assert set(model.alias("champion").aliases) == {"champion", "challenger"}


@pytest.mark.parametrize("backend", REGISTRY, indirect=True)
def test_registry_events_are_ordered_and_windowed(backend) -> None:
    backend.register_version(version("fraud", "2", 2))
    backend.register_version(version("fraud", "1", 0))
    backend.register_version(version("churn", "1", 1))
    events = backend.registry_events("fraud", T0, T0 + timedelta(days=3))
    assert [(e.kind, e.version) for e in events] == [
        ("version_registered", "1"),
        ("version_registered", "2"),
    ]
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert all(e.at.tzinfo is UTC or e.at.utcoffset() == timedelta(0) for e in events)
    assert backend.registry_events("fraud", T0, T0 + timedelta(days=2)) == events[:1]
    assert len(backend.registry_events(None, T0, T0 + timedelta(days=3))) == 3


@pytest.mark.parametrize("backend", REGISTRY, indirect=True)
def test_unknown_model_and_version_are_not_found(backend) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        backend.get_model("nope")
    backend.register_version(version("fraud", "1"))
    with pytest.raises(NotFoundError):
        backend.set_alias("fraud", "champion", "9")
    with pytest.raises(NotFoundError):
        backend.set_alias("nope", "champion", "1")


@pytest.mark.parametrize("backend", REGISTRY, indirect=True)
def test_registering_a_version_twice_is_refused(backend) -> None:
    backend.register_version(version("fraud", "1"))
    with pytest.raises(ValueError, match="already registered"):
        backend.register_version(version("fraud", "1"))
    assert len(backend.get_model("fraud").versions) == 1
