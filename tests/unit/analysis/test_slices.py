"""Slices: S1, metric per slice with CI, and automatic discovery of the worst slices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from console.analysis.slices import (
    find_slices,
    metric_by_column,
    row_values,
    weighted_overall,
    wilson_interval,
    worst_slices,
)

SHARES = {"desktop": 0.45, "ios": 0.30, "android": 0.20, "tablet": 0.05}
ACCURACY = {"desktop": 0.94, "ios": 0.92, "android": 0.88, "tablet": 0.62}


def _traffic(n: int = 20_000, seed: int = 1) -> pd.DataFrame:
    """Rows whose per-device accuracy is exactly the S1 table."""
    rng = np.random.default_rng(seed)
    parts = []
    for device, share in SHARES.items():
        size = int(n * share)
        correct = np.zeros(size, dtype=bool)
        correct[: round(size * ACCURACY[device])] = True
        label = rng.integers(0, 2, size)
        parts.append(
            pd.DataFrame(
                {
                    "device_type": device,
                    "country": rng.choice(["fr", "de", "us"], size),
                    "amount": rng.lognormal(3, 1, size),
                    "label": label,
                    "prediction": np.where(correct, label, 1 - label),
                }
            )
        )
    return pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=seed)


def test_s1_traffic_weighted_accuracy() -> None:
    overall = weighted_overall(list(SHARES.values()), list(ACCURACY.values()))
    assert overall == pytest.approx(0.906, abs=1e-12)
    with pytest.raises(ValueError, match="sum to"):
        weighted_overall([0.5, 0.4], [0.9, 0.8])


def test_s1_per_slice_table_recomputes_overall_and_flags_tablet() -> None:
    frame = _traffic()
    table = metric_by_column(frame, "device_type", row_values(frame, "accuracy"), "accuracy")
    assert table.overall == pytest.approx(0.906, abs=1e-9)
    assert table.overall_from_slices == pytest.approx(table.overall, abs=1e-12)
    worst = table.slices[0]
    assert worst.predicates[0].value == "tablet"
    assert worst.metric == pytest.approx(0.62) and worst.share == pytest.approx(0.05)
    assert worst.delta == pytest.approx(0.62 - 0.906, abs=1e-9)
    assert worst.ci_low < 0.62 < worst.ci_high


def test_discovery_puts_tablet_first_and_respects_min_support() -> None:
    frame = _traffic()
    table = worst_slices(frame, metric="accuracy", min_support=100)
    top = table.slices[0]
    assert [p.value for p in top.predicates] == ["tablet"]
    assert top.metric == pytest.approx(0.62) and top.delta < 0
    assert all(row.support >= 100 for row in table.slices)
    document = table.to_dict()
    assert document["slices"][0]["predicates"] == [
        {"column": "device_type", "op": "==", "value": "tablet"}
    ]
    assert worst_slices(frame, metric="accuracy", min_support=10**6).slices == ()


def test_two_predicate_slice_is_found_when_it_beats_its_parents() -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    frame = pd.DataFrame(
        {
            "a": rng.choice(["x", "y"], n),
            "b": rng.choice(["p", "q"], n),
            "c": rng.choice(["u", "v"], n),
        }
    )
    errors = np.where(
        (frame.a == "x") & (frame.b == "q"), rng.random(n) < 0.6, rng.random(n) < 0.05
    )
    rows = find_slices(frame, errors.astype(float), ["a", "b", "c"], min_support=50)
    assert {(p.column, p.value) for p in rows[0].predicates} == {("a", "x"), ("b", "q")}
    one = find_slices(frame, errors.astype(float), ["a", "b", "c"], max_predicates=1)
    assert all(len(row.predicates) == 1 for row in one)


def test_numeric_columns_are_binned_into_quantiles() -> None:
    rng = np.random.default_rng(2)
    n = 10_000
    amount = rng.uniform(0, 100, n)
    frame = pd.DataFrame({"amount": amount, "label": 1})
    frame["prediction"] = np.where((amount > 75) & (rng.random(n) < 0.5), 0, 1)
    top = worst_slices(frame, min_support=50).slices[0]
    assert top.predicates[0].column == "amount" and top.predicates[0].op == "in"
    assert top.predicates[0].value.endswith("inf)")


def test_unlabelled_rows_are_left_out_with_a_note() -> None:
    frame = _traffic(4000)
    frame.loc[frame.index[:1000], "label"] = np.nan
    table = worst_slices(frame, min_support=20)
    assert table.n == 3000 and "1000 row(s)" in table.note


def test_latency_metric_and_bad_metric() -> None:
    frame = pd.DataFrame(
        {"region": ["a"] * 500 + ["b"] * 500, "total_ms": [10.0] * 500 + [30.0] * 500}
    )
    table = worst_slices(frame, metric="latency", metric_column="total_ms", min_support=10)
    assert table.slices[0].predicates[0].value == "b"
    assert table.slices[0].metric == pytest.approx(30.0)
    with pytest.raises(ValueError, match="unknown metric"):
        worst_slices(frame, metric="f1")
    with pytest.raises(ValueError, match="not found"):
        worst_slices(frame, metric="latency", metric_column="total_ms", columns=["nope"])


def test_wilson_interval() -> None:
    low, high = wilson_interval(62, 100)
    assert low == pytest.approx(0.5221, abs=1e-4) and high == pytest.approx(0.7090, abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize("group_codes", [4, 1 << 14])
def test_grouped_counts_match_a_plain_groupby(monkeypatch, group_codes: int) -> None:
    from console.analysis.slices import discovery

    monkeypatch.setattr(discovery, "GROUP_CODES", group_codes)
    rng = np.random.default_rng(9)
    n = 3000
    frame = pd.DataFrame(
        {
            "a": rng.choice(list("xyz"), n),
            "b": rng.choice(list("pq"), n),
            "c": rng.choice(list("uvw"), n),
            "d": rng.normal(size=n),
        }
    )
    for values in (rng.integers(0, 2, n).astype(float), rng.gamma(2.0, 3.0, n)):
        encoded = [discovery.encode(frame[c], c) for c in frame.columns]
        assert all(e is not None for e in encoded)
        singles, doubles = discovery.slice_statistics(encoded, discovery._Counter(values), True)
        assert len(doubles) == 6
        for (left, right), stats in doubles.items():
            codes = pd.DataFrame({"l": encoded[left].codes, "r": encoded[right].codes, "v": values})
            grouped = codes.groupby(["l", "r"])["v"].agg(["size", "sum"])
            for (i, j), row in grouped.iterrows():
                assert stats[i, j, 0] == row["size"]
                assert stats[i, j, 1] == pytest.approx(row["sum"], rel=1e-12)
        for index, stats in enumerate(singles):
            sizes = np.bincount(encoded[index].codes, minlength=encoded[index].levels)
            assert stats[:, 0].tolist() == sizes.tolist()


def test_predicate_masks() -> None:
    from console.analysis.slices import Predicate

    frame = pd.DataFrame({"d": ["tablet", "ios", None, "tablet"], "x": [1.0, 5.0, np.nan, 12.0]})
    assert Predicate("d", "==", "tablet").mask(frame).tolist() == [True, False, False, True]
    assert Predicate("d", "is", "missing").mask(frame).tolist() == [False, False, True, False]
    assert Predicate("x", "in", "[5, 12)").mask(frame).tolist() == [False, True, False, False]
    assert Predicate("x", "in", "(-inf, 5)").mask(frame).tolist() == [True, False, False, False]
    assert Predicate("x", "in", "[5, inf)").mask(frame).tolist() == [False, True, False, True]


def test_string_labels_compare_by_value_not_by_type() -> None:
    from console.analysis.slices.metrics import agreement, row_values

    frame = pd.DataFrame(
        {
            "label": ["1", "0", "1", "fraud", None],
            "prediction": [1, 0, 0, "fraud", 1],
        }
    )
    assert agreement(frame["label"], frame["prediction"]).tolist()[:4] == [1.0, 1.0, 0.0, 1.0]
    values = row_values(frame, "accuracy")
    assert np.nanmean(values) == pytest.approx(0.75)
    floats = pd.DataFrame({"label": ["1.0", "0"], "prediction": [1.0, 0.0]})
    assert row_values(floats, "accuracy").tolist() == [1.0, 1.0]


def test_slices_by_a_float_column_are_binned() -> None:
    from console.analysis.slices.metrics import metric_by_column, row_values

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"amount": rng.lognormal(3, 1, 2000), "label": rng.integers(0, 2, 2000)})
    frame["prediction"] = frame["label"]
    table = metric_by_column(frame, "amount", row_values(frame, "accuracy"), "accuracy")
    assert len(table.slices) == 10
    assert all(row.predicates[0].op == "in" for row in table.slices)
    assert sum(row.support for row in table.slices) == 2000 and "deciles" in table.note
    few = pd.DataFrame(
        {"n": [1.0, 2.0, 1.0, 2.0], "label": [1, 1, 0, 0], "prediction": [1, 1, 1, 1]}
    )
    small = metric_by_column(few, "n", row_values(few, "accuracy"), "accuracy")
    assert {row.name for row in small.slices} == {"n == 1.0", "n == 2.0"}


@pytest.mark.parametrize("shape", ["normal", "few values", "sorted", "a spike", "two modes"])
def test_exact_quantiles_are_numpys_bit_for_bit(shape: str) -> None:
    from console.analysis.slices.quantiles import exact_quantiles

    rng = np.random.default_rng(len(shape))
    n = 250_003
    values = {
        "normal": rng.normal(size=n),
        "few values": rng.integers(0, 40, n).astype(np.float64),
        "sorted": np.sort(rng.exponential(size=n)),
        "a spike": np.concatenate([np.full(n // 2, 3.0), rng.normal(size=n - n // 2)]),
        "two modes": np.concatenate([rng.normal(0, 1, n // 2), rng.normal(50, 1, n - n // 2)]),
    }[shape]
    for quantiles in ([0.25, 0.5, 0.75], np.linspace(0, 1, 11)[1:-1].tolist(), [0.0, 1.0]):
        assert np.array_equal(exact_quantiles(values, quantiles), np.quantile(values, quantiles))


def test_numeric_columns_are_cut_at_their_exact_quartiles() -> None:
    from console.analysis.slices import discovery

    rng = np.random.default_rng(4)
    values = rng.normal(size=300_000)
    values[::97] = np.nan
    values[::101] = np.inf
    encoded = discovery.encode(pd.Series(values), "x")
    assert encoded is not None
    finite = values[np.isfinite(values)]
    edges = np.quantile(finite, [0.25, 0.5, 0.75])
    assert [p.value for p in encoded.predicates[:4]] == discovery.numeric_labels(edges)
    assert encoded.predicates[-1].op == "is" and encoded.codes.max() == 4
    expected = np.where(np.isnan(values), 4, np.searchsorted(edges, values, side="right"))
    assert np.array_equal(encoded.codes, expected)
    few = discovery.encode(pd.Series(np.tile([1.0, 2.0, 3.0, np.nan], 1000)), "few")
    assert few is not None and [p.value for p in few.predicates] == ["1.0", "2.0", "3.0", "missing"]


def test_the_ranking_does_not_depend_on_the_order_of_levels() -> None:
    cells = [(a, b, e) for a in "wxyz" for b in "pq" for e in range(100)]
    frame = pd.DataFrame({"a": [c[0] for c in cells], "b": [c[1] for c in cells]})
    errors = np.array([c[2] < (30 if c[0] in "xy" else 10) for c in cells], dtype=float)
    first = find_slices(frame, errors, ["a", "b"], min_support=10, top=50)
    backwards = frame.iloc[::-1].reset_index(drop=True)
    second = find_slices(backwards, errors[::-1].copy(), ["a", "b"], min_support=10, top=50)
    names = [s.name for s in first]
    assert names[:2] == ["a == x", "a == y"] and first[0].score == first[1].score
    assert names == [s.name for s in second]
