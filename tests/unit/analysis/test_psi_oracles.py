"""Drift oracles D1–D8 of ORACLES.md and the golden Evidently vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from console.analysis.drift import get_profile, js_divergence, kl_divergence, psi, psi_terms
from console.analysis.drift.evidently import evidently_bins, evidently_psi
from console.analysis.drift.reference import count_numeric, quantile_edges
from console.analysis.drift.stats import ks_gate
from console.analysis.drift.table import drift_table

GOLDEN = Path(__file__).resolve().parent / "golden" / "evidently_psi"
EXPECTED = [0.15, 0.25, 0.20, 0.18, 0.12, 0.10]
ACTUAL = [0.12, 0.22, 0.18, 0.20, 0.15, 0.13]


def test_d1_psi_fixed_bins_is_stable() -> None:
    value = psi(np.array(EXPECTED), np.array(ACTUAL))
    assert value == pytest.approx(0.029309, abs=5e-7)
    assert get_profile("strict").status(value) == "stable"


def test_d2_per_bin_terms() -> None:
    terms = psi_terms(np.array(EXPECTED), np.array(ACTUAL))
    expected = [0.0067, 0.0038, 0.0021, 0.0021, 0.0067, 0.0079]
    assert np.round(terms, 4).tolist() == expected


def test_d3_psi_is_the_symmetrised_kl() -> None:
    e, a = np.array(EXPECTED), np.array(ACTUAL)
    assert kl_divergence(a, e) == pytest.approx(0.0147855, abs=5e-8)
    assert kl_divergence(e, a) == pytest.approx(0.0145234, abs=5e-8)
    assert psi(e, a) == pytest.approx(kl_divergence(a, e) + kl_divergence(e, a), rel=1e-12)


def test_d4_jensen_shannon_in_nats_and_bits() -> None:
    e, a = np.array(EXPECTED), np.array(ACTUAL)
    assert js_divergence(e, a) == pytest.approx(0.0036568, abs=5e-8)
    assert js_divergence(e, a, base=2.0) == pytest.approx(0.0052756, abs=5e-8)


@pytest.mark.parametrize(
    ("current", "expected"),
    [(0.6, 0.0405465), (0.7, 0.1694596), (0.72, 0.2077816), (0.75, 0.2746531)],
)
def test_d5_two_bin_psi(current: float, expected: float) -> None:
    assert psi(np.array([0.5, 0.5]), np.array([current, 1 - current])) == pytest.approx(
        expected, abs=5e-8
    )


def test_d6_bands_book_alerts_industry_does_not() -> None:
    value = psi(np.array([0.5, 0.5]), np.array([0.72, 0.28]))
    assert get_profile("strict").status(value) == "act"
    assert get_profile("classic").status(value) == "investigate"
    assert get_profile("strict").status(0.05) == "stable"
    assert get_profile("strict").status(0.15) == "investigate"
    with pytest.raises(ValueError, match="known: strict, classic"):
        get_profile("lenient")


def test_d7_ks_gate_reports_every_failing_feature() -> None:
    messages = ks_gate({"age": 0.25, "amount": 0.1, "country": 0.1234, "device": None})
    assert messages == ["age: KS=0.250", "country: KS=0.123"]


def test_d7_ks_gate_on_a_drift_table() -> None:
    rng = np.random.default_rng(7)
    reference = pd.DataFrame({"a": rng.normal(size=2000), "b": rng.normal(size=2000)})
    current = pd.DataFrame({"a": rng.normal(1.0, 1, 2000), "b": rng.normal(size=2000)})
    table = drift_table(reference, current)
    gate = ks_gate({row.feature: row.ks for row in table.features})
    assert len(gate) == 1 and gate[0].startswith("a: KS=")


def _golden(case: str, kind: str) -> tuple[pd.Series, pd.Series]:
    options = {"dtype": str} if kind == "categorical" else {}
    reference = pd.read_csv(GOLDEN / f"{case}_reference.csv", **options)["value"]
    current = pd.read_csv(GOLDEN / f"{case}_current.csv", **options)["value"]
    return reference, current


@pytest.mark.parametrize("case", ["num_shift", "num_disjoint", "num_lowcard", "cat_new_vanished"])
def test_d8_evidently_golden_vectors(case: str) -> None:
    expected = json.loads((GOLDEN / "expected.json").read_text())[case]
    reference, current = _golden(case, expected["kind"])
    value = evidently_psi(reference, current, expected["kind"])
    assert value == pytest.approx(expected["psi"], abs=1e-12)
    assert (value >= 0.1) is expected["drift_at_0.1"]


def test_d8_low_cardinality_numeric_is_compared_as_categories() -> None:
    reference, current = _golden("num_lowcard", "numeric")
    assert evidently_bins(reference, current, "numeric").treated_as == "categorical"
    reference, current = _golden("num_shift", "numeric")
    bins = evidently_bins(reference, current, "numeric")
    combined = np.concatenate((reference.to_numpy(), current.to_numpy()))
    assert len(bins.labels) == len(np.histogram_bin_edges(combined, bins="sturges")) - 1


def test_d8_evidently_mode_in_the_table() -> None:
    reference, current = _golden("num_shift", "numeric")
    table = drift_table(
        pd.DataFrame({"value": reference}), pd.DataFrame({"value": current}), mode="evidently"
    )
    row = table.features[0]
    assert row.mode == "evidently" and row.epsilon == 1e-4
    assert row.psi == pytest.approx(0.09299939293644931, abs=1e-12)


def test_open_outer_bins_keep_values_outside_the_training_range() -> None:
    """The published defect: cutting at the training min/max drops shifted values."""
    reference = np.linspace(0.0, 1.0, 10_001)
    current = reference + 0.1
    edges = quantile_edges(reference, 10)
    counts, _ = count_numeric(current, edges)
    assert counts.sum() == current.size
    assert counts[-2] / current.size == pytest.approx(0.2, abs=1e-3)
    closed = np.histogram(current, bins=np.linspace(0, 1, 11))[0]
    assert closed.sum() < current.size
