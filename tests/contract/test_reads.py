"""What each base contract answers with nothing written first: every claim runs a test.

The other contract tests write their data through a capability (`SupportsRegister`,
`SupportsLogWrite`, ...); a read-only backend (MLflow, a foreign V2 server,
TorchServe) is held to these: what it lists reads back, and an unknown name is
NotFoundError, never an empty answer or a library exception.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from backends.contracts import (
    EndpointStatus,
    IncidentStore,
    InferenceLog,
    MetricStore,
    Model,
    ModelRegistry,
    NotFoundError,
    ServingControl,
)
from tests.contract.factories import factories_for
from tests.contract.helpers import T0

UNKNOWN = "vigil-contract-no-such-model"
DAY = timedelta(days=1)


@pytest.mark.parametrize("backend", factories_for(ModelRegistry), indirect=True)
def test_listed_models_read_back_and_an_unknown_one_is_not_found(backend) -> None:
    models = backend.list_models()
    assert all(isinstance(model, Model) for model in models)
    for model in models:
        again = backend.get_model(model.name)
        assert [v.version for v in again.versions] == [v.version for v in model.versions]
        assert all(v.created_at.utcoffset() == timedelta(0) for v in again.versions)
    with pytest.raises(NotFoundError):
        backend.get_model(UNKNOWN)
    events = backend.registry_events(None, T0, T0 + DAY)
    assert [e.at for e in events] == sorted(e.at for e in events)


@pytest.mark.parametrize("backend", factories_for(ServingControl), indirect=True)
def test_listed_endpoints_read_back_and_an_unknown_model_is_not_found(backend) -> None:
    for endpoint in backend.endpoints():
        status = backend.status(endpoint.model)
        assert isinstance(status, EndpointStatus) and status.model == endpoint.model
        assert all(0 <= weight <= 100 for weight in status.weights.values())
        assert sum(status.weights.values()) in (0, 100)
        assert set(status.weights) <= {v.version for v in status.versions}
    with pytest.raises(NotFoundError):
        backend.status(UNKNOWN)


@pytest.mark.parametrize("backend", factories_for(MetricStore), indirect=True)
def test_an_unknown_metric_has_no_series(backend) -> None:
    assert all(isinstance(name, str) for name in backend.metric_names())
    assert backend.query_range("vigil_contract_no_such_metric", {}, T0, T0 + DAY) == []


@pytest.mark.parametrize("backend", factories_for(InferenceLog), indirect=True)
def test_an_unknown_model_has_no_log(backend) -> None:
    with pytest.raises(NotFoundError):
        backend.window(UNKNOWN, T0, T0 + DAY)
    with pytest.raises(NotFoundError):
        backend.time_range(UNKNOWN)


@pytest.mark.parametrize("backend", factories_for(IncidentStore), indirect=True)
def test_an_empty_store_has_no_incidents_events_or_audit(backend) -> None:
    assert backend.incidents() == []
    assert backend.timeline_events(None, T0, T0 + DAY) == []
    assert backend.audit_log() == []
