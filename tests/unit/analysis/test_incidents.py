"""Incident oracles I1, I4, I5 and the triage order I3."""

from __future__ import annotations

import pytest

from console.analysis.incidents import (
    SEVERITIES,
    TRIAGE_ORDER,
    alert_hygiene,
    detection_value,
    relative_drop,
    silent_failure_cost,
    suggest_severity,
)


def test_i1_severity_table_and_suggestion() -> None:
    assert {k: v.respond_within_min for k, v in SEVERITIES.items()} == {
        "P0": 15,
        "P1": 60,
        "P2": 240,
        "P3": 1440,
    }
    assert suggest_severity(complete_failure=True).level == "P0"
    assert suggest_severity(accuracy_drop=relative_drop(0.93, 0.80)).level == "P1"
    assert suggest_severity(accuracy_drop=0.05, max_psi=0.35).level == "P2"
    minor = suggest_severity(accuracy_drop=0.02, max_psi=0.12)
    assert minor.level == "P3" and "max PSI 0.120" in minor.reason


def test_i3_triage_starts_with_data() -> None:
    assert TRIAGE_ORDER[0].startswith("data") and TRIAGE_ORDER[-1] == "the model"


def test_i4_alert_hygiene() -> None:
    rows = alert_hygiene({"noisy": (100, 5), "useful": (10, 8), "edge": (10, 1)})
    flagged = {row.alert for row in rows if row.retire}
    assert flagged == {"noisy"}
    with pytest.raises(ValueError, match="between 0 and fired"):
        alert_hygiene({"bad": (1, 2)})


def test_i5_silent_failure_cost() -> None:
    assert round(silent_failure_cost(50e6, 0.05, 28), 2) == 191780.82
    assert round(silent_failure_cost(50e6, 0.05, 1), 2) == 6849.32
    value = detection_value(50e6, 0.05, 28, 1, 4)
    assert round(value.yearly_saving, 2) == 739726.03
