"""The drift table: modes, counts, cache, and clear answers for bad data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from console.analysis.drift import (
    ReferenceCache,
    drift_against,
    drift_from_counts,
    drift_table,
    fit_reference,
    psi_from_counts,
    reference_fit,
)
from console.analysis.drift.reference import bin_window, count_numeric


@pytest.fixture
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    reference = pd.DataFrame(
        {
            "amount": rng.lognormal(3, 1, 5000),
            "age": rng.normal(40, 10, 5000),
            "device": rng.choice(["desktop", "ios", "android", "tablet"], 5000),
        }
    )
    current = pd.DataFrame(
        {
            "amount": rng.lognormal(3.6, 1, 4000),
            "age": rng.normal(40, 10, 4000),
            "device": rng.choice(["desktop", "ios", "android", "tablet"], 4000),
        }
    )
    return reference, current


def test_shifted_feature_tops_the_table_and_carries_its_context(frames) -> None:
    reference, current = frames
    table = drift_table(reference, current)
    top = table.features[0]
    assert top.feature == "amount" and top.status == "act"
    assert (top.mode, top.bins, top.epsilon) == ("quantile", 10, 1e-4)
    assert (top.n_reference, top.n_current) == (5000, 4000)
    assert top.ks is not None and top.ks > 0.1 and top.wasserstein is not None
    assert len(top.terms) == len(top.labels) == 11
    rows = {row.feature: row for row in table.features}
    assert rows["device"].kind == "categorical" and rows["device"].chi2 is not None
    assert rows["age"].status == "stable"


def test_json_document_has_the_documented_keys(frames) -> None:
    reference, current = frames
    document = drift_table(reference, current, profile="classic").to_dict()
    assert document["profile"]["name"] == "classic"
    for row in document["features"]:
        assert {"feature", "kind", "psi", "status", "bins", "n_reference", "n_current"} <= set(row)


def test_from_counts_equals_from_samples(frames) -> None:
    reference, current = frames
    fit = fit_reference(reference, ["amount"])
    binned = bin_window(fit["amount"], current["amount"])
    row = drift_from_counts("amount", fit["amount"].counts, binned.counts)
    table_row = drift_table(reference, current, ["amount"]).features[0]
    assert row.psi == pytest.approx(table_row.psi, rel=1e-12)
    assert psi_from_counts(fit["amount"].counts, binned.counts) == pytest.approx(row.psi)


def test_cached_reference_is_used_and_gives_the_same_answer(frames) -> None:
    reference, current = frames
    cache = ReferenceCache(maxsize=2)
    builds = []

    def build():
        builds.append(1)
        return fit_reference(reference, ["amount", "age"])

    source = object()
    first = cache.get(source, ("m", "1"), build)
    second = cache.get(source, ("m", "1"), build)
    assert first is second and len(builds) == 1 and cache.hits == 1
    cached = drift_against(first, current, ["amount", "age"])
    direct = drift_table(reference, current, ["amount", "age"])
    assert [r.psi for r in cached.features] == [r.psi for r in direct.features]


def test_two_sources_with_the_same_model_and_version_never_share_a_fit(frames) -> None:
    reference, current = frames
    shifted = reference.assign(amount=reference["amount"] * 3)
    cache = ReferenceCache(maxsize=4)
    one, other = object(), object()
    fit_one = reference_fit(one, "m", "1", ["amount"], lambda: reference, cache=cache)
    fit_other = reference_fit(other, "m", "1", ["amount"], lambda: shifted, cache=cache)
    assert fit_one is not fit_other and cache.misses == 2
    assert reference_fit(one, "m", "1", ["amount"], lambda: shifted, cache=cache) is fit_one
    psi_one = drift_against(fit_one, current, ["amount"]).features[0].psi
    psi_other = drift_against(fit_other, current, ["amount"]).features[0].psi
    assert psi_one != psi_other


def test_unseen_and_missing_categories_get_their_own_bins() -> None:
    reference = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 50})
    current = pd.DataFrame({"c": ["a"] * 40 + ["z"] * 40 + [None] * 20})
    row = drift_table(reference, current, min_samples=1).features[0]
    assert row.labels == ("a", "b", "(unseen)", "(missing)")
    assert row.unseen_current == pytest.approx(0.4)
    assert row.missing_current == pytest.approx(0.2)
    assert row.status == "act"


def test_empty_current_window_is_no_data_not_zero(frames) -> None:
    reference, current = frames
    row = drift_table(reference, current.iloc[:0], ["amount"]).features[0]
    assert row.psi is None and row.status == "no-data"
    assert "current window is empty" in row.note


def test_constant_reference_column_is_explained() -> None:
    reference = pd.DataFrame({"x": np.full(100, 3.0)})
    same = drift_table(reference, pd.DataFrame({"x": np.full(50, 3.0)}), min_samples=1).features[0]
    moved = drift_table(reference, pd.DataFrame({"x": np.full(50, 2.0)}), min_samples=1).features[0]
    assert same.psi == pytest.approx(0.0) and "constant" in same.note
    assert moved.status == "act"
    assert moved.wasserstein is None and "std is 0" in moved.note


def test_all_missing_values() -> None:
    reference = pd.DataFrame({"x": np.arange(100, dtype=float)})
    current = pd.DataFrame({"x": np.full(40, np.nan)})
    row = drift_table(reference, current, min_samples=1).features[0]
    assert row.missing_current == 1.0 and row.status == "act"
    assert "only missing" in row.note
    both = drift_table(current, current, min_samples=1).features[0]
    assert both.psi is None and both.status == "no-data"


def test_infinities_are_counted_in_the_outer_bins_and_reported() -> None:
    counts, infinite = count_numeric(np.array([-np.inf, 0.5, 5.0, np.inf, np.nan]), np.array([1.0]))
    assert counts.tolist() == [2, 2, 1] and infinite == 2
    reference = pd.DataFrame({"x": np.linspace(0, 1, 100)})
    current = pd.DataFrame({"x": [np.inf] * 5 + list(np.linspace(0, 1, 95))})
    row = drift_table(reference, current, min_samples=1).features[0]
    assert row.infinite_current == 5 and "infinite" in row.note
    assert row.psi is not None and np.isfinite(row.psi)


def test_mixed_types_are_compared_as_text() -> None:
    reference = pd.DataFrame({"x": ["a", 1, "b", 2] * 25})
    current = pd.DataFrame({"x": ["a", 1, "c", 2] * 25})
    row = drift_table(reference, current, min_samples=1).features[0]
    assert row.kind == "categorical" and "mixed types" in row.note
    assert row.unseen_current == pytest.approx(0.25)


def test_bad_arguments_raise_clear_errors(frames) -> None:
    reference, current = frames
    with pytest.raises(ValueError, match="unknown mode"):
        drift_table(reference, current, mode="fast")
    with pytest.raises(ValueError, match="not found: nope"):
        drift_table(reference, current, ["nope"])
    with pytest.raises(ValueError, match="at least 2"):
        drift_table(reference, current, bins=1)
    with pytest.raises(ValueError, match="differ in length"):
        drift_from_counts("x", np.array([1, 2]), np.array([1, 2, 3]))


def test_bins_option_changes_the_bin_count(frames) -> None:
    reference, current = frames
    row = drift_table(reference, current, ["age"], bins=20).features[0]
    assert row.bins == 20 and len(row.labels) == 21


@pytest.mark.parametrize(("n", "m"), [(20_000, 15_000), (3000, 20), (50, 60)])
def test_exact_ks_and_wasserstein_match_scipy(n: int, m: int) -> None:
    from scipy import stats as scipy_stats

    from console.analysis.drift.stats import exact_tests

    rng = np.random.default_rng(n)
    reference = np.sort(rng.normal(size=n))
    current = rng.normal(0.05, 1.1, m)
    expected = scipy_stats.ks_2samp(reference, current)
    ks, distance = exact_tests(reference, np.sort(current))
    assert ks.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert ks.pvalue == pytest.approx(expected.pvalue, rel=1e-6)
    normed = scipy_stats.wasserstein_distance(reference, current) / reference.std()
    assert distance == pytest.approx(normed, rel=1e-9)


@pytest.mark.parametrize("shift", [0.0, 0.05, 0.5, 3.0])
def test_sketch_ks_and_wasserstein_bracket_the_exact_values(shift: float) -> None:
    from console.analysis.drift.stats import exact_tests

    rng = np.random.default_rng(7)
    reference = pd.DataFrame({"x": rng.lognormal(0, 1, 50_000)})
    current = pd.DataFrame({"x": rng.lognormal(shift, 1.2, 30_000)})
    sketched = drift_table(reference, current).features[0]
    exact = drift_table(reference, current, exact=True).features[0]
    truth, distance = exact_tests(np.sort(reference["x"]), np.sort(current["x"]))
    assert (sketched.tests, exact.tests) == ("sketch", "exact")
    assert exact.ks == pytest.approx(truth.statistic) and exact.wasserstein == pytest.approx(
        distance
    )
    assert sketched.ks is not None and sketched.ks_error is not None
    assert sketched.ks - 1e-12 <= truth.statistic <= sketched.ks + sketched.ks_error + 1e-12
    assert sketched.ks_error <= 0.001
    assert sketched.wasserstein is not None and sketched.wasserstein_error is not None
    assert abs(sketched.wasserstein - distance) <= sketched.wasserstein_error + 1e-12
    assert sketched.wasserstein_error <= 0.01 * max(distance, 0.1)
    assert sketched.psi == exact.psi


def test_exact_tests_run_on_every_feature_in_parallel_and_agree_with_serial() -> None:
    from console.analysis.drift.table import drift_against

    rng = np.random.default_rng(8)
    names = [f"f{i}" for i in range(6)]
    reference = pd.DataFrame(rng.normal(size=(20_000, 6)), columns=names)
    current = pd.DataFrame(rng.normal(0.1, 1, size=(20_000, 6)), columns=names)
    fit = fit_reference(reference, names, keep_sample=True)
    together = drift_against(fit, current, names, exact=True)
    one_by_one = [drift_against(fit, current, [n], exact=True).features[0] for n in names]
    key = {row.feature: (row.ks, row.wasserstein) for row in together.features}
    assert key == {row.feature: (row.ks, row.wasserstein) for row in one_by_one}


def test_non_numeric_values_in_a_numeric_column_are_counted_and_reported() -> None:
    from console.analysis.drift.reference import fit_feature

    reference = pd.DataFrame({"x": np.linspace(0, 1, 300)})
    current = pd.DataFrame({"x": [*np.linspace(0, 1, 297).tolist(), "n/a", "oops", None]})
    row = drift_table(reference, current, kinds={"x": "numeric"}, exact=False).features[0]
    assert row.kind == "numeric" and row.non_numeric_current == 2
    assert "2 non-numeric value(s) counted as missing" in row.note
    assert row.missing_current == pytest.approx(3 / 300)
    text_reference = pd.Series([*range(250), "bad"], dtype=object)
    fit = fit_feature("x", text_reference, kind="numeric")
    assert fit.non_numeric == 1 and "1 non-numeric" in fit.note
    evidently = drift_table(reference, current, mode="evidently", kinds={"x": "numeric"})
    assert evidently.features[0].non_numeric_current == 2
    assert "non-numeric" in evidently.features[0].note


def test_an_all_missing_current_column_does_not_blame_the_reference_std() -> None:
    reference = pd.DataFrame({"x": np.random.default_rng(1).normal(size=400)})
    current = pd.DataFrame({"x": np.full(300, np.nan)})
    row = drift_table(reference, current).features[0]
    assert "std is 0" not in row.note and "only missing" in row.note
    constant = drift_table(pd.DataFrame({"x": np.full(400, 2.0)}), reference).features[0]
    assert "std is 0" in constant.note


def test_a_binary_label_compared_as_categories_is_shown_as_categorical() -> None:
    rng = np.random.default_rng(2)
    reference = pd.DataFrame({"label": (rng.random(3000) < 0.1).astype(int)})
    current = pd.DataFrame({"label": (rng.random(3000) < 0.2).astype(int)})
    row = drift_table(reference, current, mode="evidently").features[0]
    assert row.kind == "categorical" and "compared as categories" in row.note
