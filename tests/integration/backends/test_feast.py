"""The feast feature store against a real `feast serve` on the local provider."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backends.contracts import BackendError, NotFoundError
from backends.feast import FeastFeatures
from tests.integration.backends import launch
from tests.integration.backends.servers import Server

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)
REFS = ["account_stats:amount_mean", "account_stats:txn_count"]


def store(server: Server, max_age_s: float = 86400.0) -> FeastFeatures:
    """The backend for model `fraud`, sampling accounts 2, 3 and one that does not exist."""
    return FeastFeatures(
        server.url, {"fraud": REFS}, {"account_id": [2, 3, 99]}, max_age_s=max_age_s
    )


def test_online_features_for_entities(feast_server: Server) -> None:
    features = store(feast_server)
    try:
        frame = features.online_features("fraud", {"account_id": [1, 4, 99]})
        assert frame["account_id"].tolist() == [1, 4, 99]
        assert frame["amount_mean"].tolist()[:2] == [10.0, 40.0]
        assert frame["txn_count"].tolist()[:2] == [1, 4]
        assert frame["amount_mean"].isna().tolist()[2] or math.isnan(frame["amount_mean"][2])
        with pytest.raises(NotFoundError):
            features.online_features("no-such-model", {"account_id": [1]})
    finally:
        features.close()


def test_freshness_is_the_newest_materialised_event_per_feature(feast_server: Server) -> None:
    features = store(feast_server)
    try:
        fresh = features.freshness("fraud")
        newest = NOW - timedelta(hours=2)  # account 2 is the newest of the sample
        assert fresh == {"amount_mean": newest, "txn_count": newest}
        assert features.stale_events("fraud", NOW) == []
    finally:
        features.close()


def test_a_stale_feature_is_a_data_layer_timeline_event(feast_server: Server) -> None:
    features = store(feast_server, max_age_s=3600)
    try:
        events = features.stale_events("fraud", NOW)
    finally:
        features.close()
    assert [(e.kind, e.layer, e.detail["feature"]) for e in events] == [
        ("feature_stale", "data", ref) for ref in REFS
    ]
    assert all(e.source == "feast" and e.model == "fraud" for e in events)


def test_reference_is_refused_with_the_reason(feast_server: Server) -> None:
    with pytest.raises(BackendError, match="no offline data"):
        store(feast_server).reference("fraud")


def test_a_stopped_feast_server_is_a_backend_error(tmp_path: Path) -> None:
    server = launch.feast(tmp_path / "feast", NOW.isoformat())
    features = store(server)
    try:
        assert "amount_mean" in features.freshness("fraud")
        server.stop()
        with pytest.raises(BackendError, match="cannot reach"):
            features.freshness("fraud")
    finally:
        features.close()
        server.stop()
