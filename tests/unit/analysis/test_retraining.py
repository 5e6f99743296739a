"""Retraining oracles R1–R7."""

from __future__ import annotations

import pytest
import yaml

from console.analysis.incidents import rollback_timing
from console.analysis.retraining import (
    TriggerError,
    canary_duration_h,
    evaluate_triggers,
    optimal_interval,
    optimal_interval_exact,
    parse_triggers,
    parse_window,
    sample_size,
    staleness,
    threshold_crossing,
)

ARGS = (5000, 1e6, 0.5, 0.95, 0.02)
SEED = """
triggers:
  - {metric: accuracy, threshold: 0.05, window: 7d}
  - {metric: feature_drift_psi, threshold: 0.2, features: [user_age_bucket, purchase_amount_bin]}
  - {metric: prediction_distribution_shift, threshold: 0.1, window: 24h}
"""


def test_r1_square_root_law() -> None:
    assert optimal_interval(*ARGS) == pytest.approx(1.02598, abs=5e-6)


def test_r2_exact_minimum() -> None:
    """≈ 1.0330 days, and the cost rate is higher on either side of it."""
    cost, q, v, a0, lam = ARGS

    def rate(t: float) -> float:
        return (staleness(t, q, v, a0, lam) + cost) / t

    exact = optimal_interval_exact(*ARGS)
    assert exact == pytest.approx(1.0330, abs=1e-4)
    assert rate(exact) < rate(exact - 1e-3) and rate(exact) < rate(exact + 1e-3)
    assert exact > optimal_interval(*ARGS)


def test_r3_sensitivity() -> None:
    base = optimal_interval(*ARGS)
    c, q, v, a, lam = ARGS
    assert optimal_interval(4 * c, q, v, a, lam) == pytest.approx(2 * base)
    assert optimal_interval(c, 4 * q, v, a, lam) == pytest.approx(0.5 * base)
    assert optimal_interval(c, q, v, a, 4 * lam) == pytest.approx(0.5 * base)


def test_r4_threshold_crossing() -> None:
    t, day = threshold_crossing(0.90, 0.0003, 0.82)
    assert t == pytest.approx(310.3, abs=0.05) and day == 311


def test_r5_sample_size() -> None:
    assert sample_size(0.05, 0.02) == pytest.approx(1864.1, abs=0.05)
    assert sample_size(0.05, 0.005) == pytest.approx(29825.7, abs=0.05)
    assert canary_duration_h(1864.1, 1000, 0.1) == pytest.approx(18.641)


def test_r6_seed_format_parsed_and_or_combined() -> None:
    triggers = parse_triggers(yaml.safe_load(SEED))
    assert [t.metric for t in triggers] == [
        "accuracy",
        "feature_drift_psi",
        "prediction_distribution_shift",
    ]
    assert triggers[0].window_s == 7 * 86400 and triggers[2].window_s == 86400
    calm = {
        "accuracy": 0.01,
        "feature_drift_psi": {"user_age_bucket": 0.05, "purchase_amount_bin": 0.12},
        "prediction_distribution_shift": 0.02,
    }
    decision = evaluate_triggers(triggers, calm)
    assert not decision.fires and [r.fires for r in decision.results] == [False, False, False]
    drifted = calm | {"feature_drift_psi": {"user_age_bucket": 0.31, "purchase_amount_bin": 0.1}}
    decision = evaluate_triggers(triggers, drifted)
    assert decision.fires and [r.fires for r in decision.results] == [False, True, False]
    assert "user_age_bucket PSI=0.310 > 0.2" in decision.results[1].reason
    assert decision.results[1].value == pytest.approx(0.31)
    missing = evaluate_triggers(triggers, {})
    assert not missing.fires and "no current value" in missing.results[0].reason


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"triggers": []}, "non-empty list"),
        ({"triggers": [{"metric": "accuracy"}]}, "needs `metric` and `threshold`"),
        ({"triggers": [{"metric": "accuracy", "threshold": "high"}]}, "must be a number"),
        ({"triggers": [{"metric": "accuracy", "threshold": 1, "windw": "7d"}]}, "unknown key"),
        ({"triggers": [{"metric": "feature_drift_psi", "threshold": 0.2}]}, "needs `features`"),
        ({"triggers": [{"metric": "accuracy", "threshold": 1, "window": "7 days"}]}, "unit"),
    ],
)
def test_r6_bad_configs_are_named(document: object, message: str) -> None:
    with pytest.raises(TriggerError, match=message):
        parse_triggers(document)


def test_windows() -> None:
    assert parse_window("90s") == 90 and parse_window("2w") == 14 * 86400


def test_r7_rollback_tiers() -> None:
    assert rollback_timing("immediate", 42).met
    assert not rollback_timing("rapid", 16 * 60).met
    assert rollback_timing("delayed", 3 * 3600).target_s == 4 * 3600
    with pytest.raises(ValueError, match="unknown rollback tier"):
        rollback_timing("slow", 1)
