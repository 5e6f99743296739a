"""Traffic tables: weight validation, the split, stickiness by key."""

from __future__ import annotations

from collections import Counter

import pytest

from local_serving.routing import TrafficTable, WeightsError, validate_weights


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"1": 50, "2": 40}, "sum to 100, got 90"),
        ({"1": 50.0, "2": 50}, "must be an integer"),
        ({"1": True, "2": 99}, "must be an integer"),
        ({"1": 101, "2": -1}, "within 0..100"),
        ({"1": 50, "3": 50}, "version '3' is not loaded"),
        ({}, "non-empty"),
        ([50, 50], "non-empty object"),
    ],
)
def test_bad_weights_are_refused_with_the_reason(weights, message):
    with pytest.raises(WeightsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate_weights(weights, ["1", "2"])


def test_unregistered_versions_are_unknown_and_registered_ones_not_loaded():
    with pytest.raises(WeightsError, match="unknown version '7'"):
        validate_weights({"1": 50, "7": 50}, ["1"], ["1", "2"])
    with pytest.raises(WeightsError, match="version '2' is not loaded"):
        validate_weights({"1": 50, "2": 50}, ["1"], ["1", "2"])


def test_versions_left_out_get_zero_and_unloaded_zero_weights_pass():
    assert validate_weights({"2": 100, "9": 0}, ["1", "2"]) == {"1": 0, "2": 100, "9": 0}


def test_unkeyed_picks_follow_the_weights():
    table = TrafficTable.build(1, {"1": 70, "2": 30, "3": 0})
    picks = Counter(table.pick() for _ in range(20_000))
    assert set(picks) == {"1", "2"}
    assert abs(picks["2"] / 20_000 - 0.30) < 0.02


def test_a_routing_key_always_gets_the_same_version():
    table = TrafficTable.build(1, {"1": 50, "2": 50})
    for key in (f"user-{i}" for i in range(200)):
        assert len({table.pick(key) for _ in range(5)}) == 1
    spread = Counter(table.pick(f"user-{i}") for i in range(4000))
    assert abs(spread["1"] / 4000 - 0.5) < 0.05


def test_raising_a_canary_only_moves_keys_towards_it():
    before = TrafficTable.build(1, {"1": 90, "2": 10})
    after = TrafficTable.build(2, {"1": 50, "2": 50})
    keys = [f"k{i}" for i in range(3000)]
    moved = [k for k in keys if before.pick(k) != after.pick(k)]
    assert moved and all(before.pick(k) == "1" and after.pick(k) == "2" for k in moved)
    assert all(after.pick(k) == "2" for k in keys if before.pick(k) == "2")


def test_a_single_version_table_needs_no_randomness():
    table = TrafficTable.build(3, {"7": 100})
    assert table.versions == ("7",) and table.pick("any") == "7" and table.pick() == "7"
