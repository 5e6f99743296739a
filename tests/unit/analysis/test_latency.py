"""Latency budget oracles L1–L3 and the per-stage table."""

from __future__ import annotations

import numpy as np
import pytest

from console.analysis.latency import (
    NOT_ADDITIVE,
    amdahl,
    budget_from_percentiles,
    budget_shares,
    latency_budget,
    rollback_rule,
)

BUDGET = {"network": 15.0, "feature_fetch": 25.0, "inference": 45.0, "postprocess": 15.0}


def test_l1_budget_sums_to_the_slo_and_inference_is_45_percent() -> None:
    shares = budget_shares(BUDGET)
    assert sum(BUDGET.values()) == 100.0
    assert shares["inference"] == pytest.approx(0.45)


def test_l2_amdahl() -> None:
    assert amdahl(0.45, 2.0) == pytest.approx(1.2903, abs=1e-4)
    assert round(amdahl(0.45, 2.0), 2) == 1.29
    with pytest.raises(ValueError):
        amdahl(1.5, 2.0)


def test_l3_rollback_rule_fires_after_five_minutes_over_twice_baseline() -> None:
    ts = np.arange(0, 20 * 60, 60.0)
    p99 = np.full(ts.size, 50.0)
    p99[5:10] = 120.0
    breach = rollback_rule(ts, p99, baseline_p99=50.0)
    assert breach is not None and breach.start == 300.0 and breach.duration_s == 300.0
    p99[9] = 50.0
    assert rollback_rule(ts, p99, baseline_p99=50.0) is None


def test_stage_over_budget_from_samples() -> None:
    rng = np.random.default_rng(0)
    n = 5000
    samples = {
        "network": rng.gamma(4, 2.5, n),
        "feature_fetch": rng.gamma(4, 10, n),
        "inference": rng.gamma(9, 3, n),
        "postprocess": rng.gamma(4, 2, n),
    }
    result = latency_budget(samples, BUDGET, slo_p99_ms=100.0)
    assert result.over_budget is not None and result.over_budget.stage == "feature_fetch"
    fetch = next(s for s in result.stages if s.stage == "feature_fetch")
    assert fetch.p99 == pytest.approx(float(np.percentile(samples["feature_fetch"], 99)))
    assert sum(s.share for s in result.stages if s.share) == pytest.approx(1.0)
    assert result.end_to_end_p99 is not None
    assert result.end_to_end_p99 < result.sum_of_stage_p99
    document = result.to_dict()
    assert document["stage_over_budget"] == "feature_fetch"
    assert document["note"] == NOT_ADDITIVE
    assert any(w["stage"] == "inference" for w in document["whatifs"])


def test_budget_from_p99s_only() -> None:
    result = budget_from_percentiles({"inference": 45.0, "network": 30.0}, BUDGET, slo_p99_ms=100)
    assert result.over_budget is not None and result.over_budget.stage == "network"
    assert {s.stage for s in result.stages} == set(BUDGET)
    assert "only p99s" in result.note
