"""FeatureStore: freshness from what was logged, and a reference sample that must exist."""

from __future__ import annotations

import pytest

from backends.contracts import FeatureStore, NotFoundError, SupportsLogWrite, SupportsRegister
from tests.contract.factories import factories_for
from tests.contract.helpers import T0, log_rows, version

FEATURES = factories_for(FeatureStore, SupportsLogWrite, SupportsRegister)


@pytest.mark.parametrize("backend", FEATURES, indirect=True)
def test_freshness_is_when_each_feature_was_last_logged(backend) -> None:
    backend.register_version(version("fraud", "1"))
    assert dict(backend.freshness("fraud")) == {}
    backend.append("fraud", log_rows(500, T0, 86_400))
    fresh = backend.freshness("fraud")
    assert set(fresh) == {"amount", "country"}
    last = backend.time_range("fraud")[1]
    assert all(when == last for when in fresh.values())


@pytest.mark.parametrize("backend", FEATURES, indirect=True)
def test_a_missing_reference_sample_is_not_found(backend) -> None:
    backend.register_version(version("fraud", "1", aliases=("champion",)))
    with pytest.raises(NotFoundError):
        backend.reference("fraud")
    with pytest.raises(NotFoundError):
        backend.reference("nope")
