"""The live demo's world: v3's writer follows the split; live requests carry its effects."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

import numpy as np
import pandas as pd

from console.demo.catalog import ETA, FRAUD
from console.demo.encoding import feature_order
from console.demo.incident import SHIFT_FACTOR, IncidentPlan
from console.demo.live.traffic import one_second
from console.demo.live.world import World, fetch_failure_rate
from console.demo.spec import SMALL

INCIDENT = IncidentPlan.for_spec(SMALL)
BUSY = replace(FRAUD, requests_per_min=FRAUD.requests_per_min * 10)  # more requests per draw
NOW = SMALL.end.timestamp() + 60


def test_the_writer_runs_while_v3_has_traffic_and_pressure_relaxes_after() -> None:
    world = World()
    world.observe({"2": 90, "3": 10}, 1.0)
    assert world.canary_on and world.pressure == 1.0
    world.observe({"2": 100, "3": 0}, 1.0)
    assert not world.canary_on
    for _ in range(59):
        world.observe({"2": 100}, 1.0)
    assert world.pressure < 0.06
    world.observe({"2": 50, "3": 50}, 1.0)
    assert world.canary_on


def _tablet_amounts(world: World, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Tablet and other amounts of many live fraud requests (decoded from their V2 bodies)."""
    rng = np.random.default_rng(seed)
    order = feature_order(FRAUD)
    rows = [r for _ in range(30) for r in one_second(BUSY, INCIDENT, world, rng, NOW, "t")]
    data = [cast(list[dict[str, Any]], r.body["inputs"])[0]["data"] for r in rows]
    frame = pd.DataFrame(data, columns=order)
    tablet = frame["device_type=tablet"] == 1.0
    return frame.loc[tablet, "amount"].to_numpy(), frame.loc[~tablet, "amount"].to_numpy()


def test_tablet_amounts_are_inflated_only_while_the_writer_runs() -> None:
    on_tablet, on_other = _tablet_amounts(World(canary_on=True), 1)
    off_tablet, off_other = _tablet_amounts(World(canary_on=False, pressure=0.0), 1)
    assert np.nanmedian(on_tablet) / np.nanmedian(off_tablet) > SHIFT_FACTOR * 0.7
    assert abs(np.nanmedian(on_other) / np.nanmedian(off_other) - 1) < 0.1


def test_requests_follow_the_history_rate_and_time_the_client_stages() -> None:
    rng = np.random.default_rng(2)
    calm = World(canary_on=False, pressure=0.0)
    seconds = [one_second(FRAUD, INCIDENT, calm, rng, NOW, f"s{i}") for i in range(120)]
    assert abs(sum(map(len, seconds)) / 120 - FRAUD.requests_per_min / 60) < 1.5
    fetch = np.array([dict(r.waits_s)["feature_fetch"] for s in seconds for r in s])
    hot = [one_second(FRAUD, INCIDENT, World(), rng, NOW, f"h{i}") for i in range(120)]
    hot_fetch = np.array([dict(r.waits_s)["feature_fetch"] for s in hot for r in s])
    budget = FRAUD.latency_budget_ms["feature_fetch"] / 1000
    assert np.quantile(fetch, 0.99) < budget < np.quantile(hot_fetch, 0.99)
    eta = one_second(ETA, INCIDENT, World(), rng, NOW, "e")
    assert all(r.label > 0 and dict(r.waits_s)["network"] > 0 for r in eta)


def _incomplete_share(world: World, seed: int) -> float:
    """Share of live fraud requests sent with a missing feature; each misses exactly one."""
    rng = np.random.default_rng(seed)
    rows = [r for _ in range(90) for r in one_second(BUSY, INCIDENT, world, rng, NOW, "f")]
    width = len(feature_order(FRAUD))
    for request in rows:
        data = cast(list[dict[str, Any]], request.body["inputs"])[0]["data"]
        holes = [i for i, value in enumerate(data) if value is None]
        assert len(data) == width
        assert holes == ([holes[0]] if request.incomplete else [])
        assert not holes or holes[0] < len(FRAUD.numeric)
    return sum(r.incomplete for r in rows) / len(rows)


def test_incomplete_fetches_follow_the_history_error_rate_and_stop_when_pressure_relaxes() -> None:
    assert fetch_failure_rate(1.0) == 0.021 and fetch_failure_rate(0.0) == 0.001
    hot = _incomplete_share(World(), 3)
    calm = _incomplete_share(World(canary_on=False, pressure=0.0), 4)
    assert 0.015 < hot < 0.028, hot
    assert calm < 0.004, calm
