"""The feast feature store against a real `feast serve`, REST registry and offline server.

The repo (tests/integration/backends/launch.py) has account_stats
materialised up to NOW (ttl 10 years) and merchant_stats only up to
NOW - 5 h (ttl 2 h), so merchant_stats has been stale since NOW - 3 h.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backends.capabilities import supports
from backends.contracts import BackendError, NotFoundError, SupportsStaleEvents
from backends.feast import FeastFeatures
from tests.integration.backends import launch
from tests.integration.backends.servers import Server, free_port

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)
REFS = ["account_stats:amount_mean", "account_stats:txn_count"]
MERCHANT = "merchant_stats:chargeback_rate"
RISK = "account_risk:risk_score"


def store(server: Server, **options: Any) -> FeastFeatures:
    """The backend: `fraud` on account_stats, `risk` with merchants, `scored` with account_risk."""
    options.setdefault("entities", {"account_id": [2, 3, 99]})
    models = {"fraud": REFS, "risk": [*REFS, MERCHANT], "scored": [REFS[0], RISK]}
    return FeastFeatures(server.url, models, **options)


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


def test_freshness_is_each_views_last_materialisation(
    feast_server: Server, feast_registry: Server
) -> None:
    features = store(feast_server, registry_url=feast_registry.url, entities=None)
    try:
        fresh = features.freshness("risk")
    finally:
        features.close()
    # the materialisation's end, not the newest event (account 1 at NOW - 1 h)
    assert fresh == {
        "amount_mean": NOW,
        "txn_count": NOW,
        "chargeback_rate": NOW - timedelta(hours=5),
    }


def test_without_a_registry_freshness_is_the_newest_online_event(feast_server: Server) -> None:
    features = store(feast_server)
    try:
        fresh = features.freshness("fraud")
        newest = NOW - timedelta(hours=2)  # account 2 is the newest of the sample
        assert fresh == {"amount_mean": newest, "txn_count": newest}
        assert features.stale_events("fraud", NOW) == []
        late = features.stale_events("fraud", NOW + timedelta(days=2))
        assert [(e.kind, e.layer, e.detail["features"]) for e in late] == [
            ("feature_stale", "data", ref) for ref in REFS
        ]
    finally:
        features.close()


def test_a_view_not_materialised_within_its_ttl_is_a_data_event(
    feast_server: Server, feast_registry: Server
) -> None:
    features = store(feast_server, registry_url=feast_registry.url, project="vigil_test")
    now = datetime.now(UTC)  # after the repo was applied (NOW is the data's clock)
    try:
        assert supports(features, SupportsStaleEvents)
        (event,) = features.stale_events("risk", now)
        assert features.stale_events("fraud", now) == []
        # four hours earlier, merchant_stats was 1 h old (fresh) and account_stats not yet applied
        assert features.stale_events("risk", NOW - timedelta(hours=4)) == []
        tight = store(feast_server, registry_url=feast_registry.url, max_age_s=600)
        later = tight.stale_events("fraud", now + timedelta(hours=1))
        tight.close()
    finally:
        features.close()
    assert (event.kind, event.layer, event.source, event.model) == (
        "feature_stale",
        "data",
        "feast",
        "risk",
    )
    assert event.at == NOW - timedelta(hours=3)  # materialised to NOW - 5 h, ttl 2 h
    assert event.detail["feature_view"] == "merchant_stats"
    assert event.detail["limit_from"] == "ttl" and event.detail["limit_s"] == 7200
    assert f"last materialised {NOW - timedelta(hours=5):%Y-%m-%d %H:%M} UTC" in event.summary
    assert [(e.detail["feature_view"], e.detail["limit_from"]) for e in later] == [
        ("account_stats", "max_age_s")
    ]
    assert later[0].at == NOW + timedelta(minutes=10)


def test_reference_is_the_offline_rows_of_the_window(
    feast_server: Server, feast_registry: Server, feast_offline: Server
) -> None:
    window = {
        "reference_start": (NOW - timedelta(hours=3, minutes=30)).isoformat(),
        "reference_end": NOW.isoformat(),
    }
    features = store(
        feast_server, registry_url=feast_registry.url, offline_url=feast_offline.url, **window
    )
    try:
        frame = features.reference("fraud", "3").sort_values("account_id")
        joined = features.reference("scored").sort_values("account_id")
        with pytest.raises(BackendError, match="merchant_stats key on other entities"):
            features.reference("risk")
    finally:
        features.close()
    assert frame["account_id"].tolist() == [1, 2, 3]  # accounts 4 and 5 are older than the window
    assert frame["amount_mean"].tolist() == [10.0, 20.0, 30.0]
    assert frame["txn_count"].tolist() == [1, 2, 3]
    assert joined["account_id"].tolist() == [1, 2, 3]
    assert joined["amount_mean"].tolist() == [10.0, 20.0, 30.0]
    # as of each account_stats row: account 1's later risk (9 at NOW - 10 min) is not joined
    assert joined["risk_score"].tolist() == [0.25, 0.5, 0.75]


def test_reference_without_an_offline_server_is_refused_with_the_reason(
    feast_server: Server,
) -> None:
    with pytest.raises(BackendError, match="offline_url"):
        store(feast_server).reference("fraud")


def test_a_stopped_feast_server_is_a_backend_error(feast_server: Server) -> None:
    server = launch.feast_serve(Path(feast_server.extra["repo"]), "feast-stopped")
    features = store(server)
    try:
        assert "amount_mean" in features.freshness("fraud")
        server.stop()
        with pytest.raises(BackendError, match="cannot reach"):
            features.freshness("fraud")
    finally:
        features.close()
        server.stop()


def test_a_registry_or_offline_server_that_is_down_is_a_backend_error(
    feast_server: Server, feast_registry: Server
) -> None:
    nowhere = free_port()  # nothing listens there
    down = store(feast_server, registry_url=f"http://127.0.0.1:{nowhere}")
    offline_down = store(
        feast_server, registry_url=feast_registry.url, offline_url=f"grpc+tcp://127.0.0.1:{nowhere}"
    )
    try:
        with pytest.raises(BackendError, match=r"feast registry .* cannot reach"):
            down.stale_events("fraud", NOW)
        with pytest.raises(BackendError, match=r"feast offline .* cannot reach"):
            offline_down.reference("fraud")
    finally:
        down.close()
        offline_down.close()


def test_a_view_the_registry_does_not_know_is_not_found(
    feast_server: Server, feast_registry: Server
) -> None:
    features = FeastFeatures(
        feast_server.url, {"ghost": ["no_such_view:x"]}, registry_url=feast_registry.url
    )
    try:
        with pytest.raises(NotFoundError, match="no feature view 'no_such_view'"):
            features.freshness("ghost")
    finally:
        features.close()


def test_bad_options_are_clear_errors() -> None:
    url, refs = "http://127.0.0.1:1", {"fraud": REFS}  # nothing is sent before a read
    sample = {"account_id": [1]}
    with pytest.raises(ValueError, match=r"registry_url .* or entities"):
        FeastFeatures(url, refs)
    with pytest.raises(ValueError, match="offline_url needs registry_url"):
        FeastFeatures(url, refs, entities=sample, offline_url="grpc+tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match="offline_url must be grpc"):
        FeastFeatures(url, refs, registry_url=url, offline_url="http://127.0.0.1:1")
    with pytest.raises(ValueError, match="not an ISO 8601 time"):
        FeastFeatures(url, refs, entities=sample, reference_start="yesterday")
    with pytest.raises(ValueError, match="reference_start must be before reference_end"):
        FeastFeatures(
            url, refs, entities=sample, reference_start=NOW.isoformat(), reference_end="2020-01-01"
        )
