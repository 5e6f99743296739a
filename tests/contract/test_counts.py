"""Window counts, window coverage and group counts: what a log counts is what its rows say."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from backends.contracts import (
    GroupKey,
    InferenceLog,
    RowValue,
    SupportsGroupCounts,
    SupportsLogWrite,
    SupportsRegister,
    SupportsWindowCounts,
    SupportsWindowCoverage,
)
from tests.contract.factories import factories_for
from tests.contract.helpers import T0, log_rows, version

WRITABLE = (InferenceLog, SupportsLogWrite, SupportsRegister)
WINDOW_COUNTS = factories_for(*WRITABLE, SupportsWindowCounts)
WINDOW_COVERAGE = factories_for(*WRITABLE, SupportsWindowCoverage)
GROUP_COUNTS = factories_for(*WRITABLE, SupportsGroupCounts)
DAY = timedelta(days=1)
EDGES = np.array([90.0, 110.0])
SCORE = RowValue("column", "score")


@pytest.fixture
def logged(backend) -> pd.DataFrame:
    """Two days of requests for `fraud` (amount with NaN; US, FR, DE), versions 1 and 2."""
    backend.register_version(version("fraud", "1"))
    backend.register_version(version("fraud", "2", 1))
    rows = log_rows(2000, T0, 2 * 86_400, seed=3)
    assert backend.append("fraud", rows) == 2000
    return rows


def _first_day(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows logged in [T0, T0 + 1 day)."""
    return rows[(rows.ts >= T0) & (rows.ts < T0 + DAY)]


@pytest.mark.parametrize("backend", WINDOW_COUNTS, indirect=True)
def test_window_bin_counts_are_the_rows_counted_in_the_bins(backend, logged) -> None:
    categories = np.array(["US", "FR"], dtype=object)
    counted = backend.window_bin_counts(
        "fraud", {"amount": EDGES, "country": categories}, T0, T0 + DAY
    )
    inside = _first_day(logged)
    amount = inside["amount"].to_numpy()
    present = amount[~np.isnan(amount)]
    numeric, infinite = counted["amount"]
    expected = np.bincount(np.searchsorted(EDGES, present, side="right"), minlength=3)
    assert numeric.tolist() == [*expected.tolist(), int(np.isnan(amount).sum())]
    assert infinite == 0 and numeric[-1] > 0
    country, _ = counted["country"]
    us, fr = int((inside.country == "US").sum()), int((inside.country == "FR").sum())
    assert country.tolist() == [us, fr, len(inside) - us - fr, 0]  # then unseen (DE), missing


@pytest.mark.parametrize("backend", WINDOW_COUNTS, indirect=True)
def test_window_bin_counts_keep_the_version_and_the_slice(backend, logged) -> None:
    counted = backend.window_bin_counts(
        "fraud", {"amount": EDGES}, T0, T0 + 2 * DAY, version="2", where={"country": "FR"}
    )
    kept = logged[(logged.version == "2") & (logged.country == "FR")]
    counts, _ = counted["amount"]
    assert int(counts.sum()) == len(kept) > 0
    assert int(counts[-1]) == int(kept["amount"].isna().sum())


@pytest.mark.parametrize("backend", WINDOW_COVERAGE, indirect=True)
def test_window_minutes_and_the_widest_gap_are_the_rows_times(backend, logged) -> None:
    kept = logged[(logged.version == "1") & (logged.ts < T0 + DAY)]
    times = kept["ts"].dt.floor("us")
    minutes = backend.window_minutes("fraud", T0, T0 + DAY, version="1")
    per_minute = times.groupby(times.dt.floor("min"))
    assert [n for n, _, _ in minutes] == per_minute.size().tolist()
    assert [first for _, first, _ in minutes] == per_minute.min().dt.to_pydatetime().tolist()
    assert [last for _, _, last in minutes] == per_minute.max().dt.to_pydatetime().tolist()
    gaps = times.diff().to_numpy()[1:]
    widest = int(np.argmax(gaps)) + 1
    expected = (times.iloc[widest - 1].to_pydatetime(), times.iloc[widest].to_pydatetime())
    assert backend.widest_gap("fraud", T0, T0 + DAY, version="1") == expected
    assert backend.widest_gap("fraud", T0, T0 + timedelta(microseconds=1)) is None


@pytest.mark.parametrize("backend", GROUP_COUNTS, indirect=True)
def test_group_profile_describes_the_slice_columns(backend, logged) -> None:
    kinds = {"country": "categorical", "amount": "numeric"}
    windows = [(T0, T0 + DAY), (T0 + DAY, T0 + 2 * DAY)]
    profile = backend.group_profile("fraud", windows, kinds, SCORE, [0.25, 0.5])
    first, second = _first_day(logged), logged[logged.ts >= T0 + DAY]
    assert profile.rows == profile.valued == (len(first), len(second))
    assert profile.columns["country"].distinct == 3 and profile.columns["country"].missing == 0
    amount = profile.columns["amount"]
    finite = logged["amount"].dropna().to_numpy()
    assert amount.missing == int(logged["amount"].isna().sum()) > 0
    assert amount.distinct == amount.distinct_finite == len(np.unique(finite))
    np.testing.assert_allclose(amount.quantiles, np.quantile(finite, [0.25, 0.5]), rtol=1e-9)


@pytest.mark.parametrize("backend", GROUP_COUNTS, indirect=True)
def test_grouped_counts_are_the_rows_grouped(backend, logged) -> None:
    keys = [GroupKey("country", False), GroupKey("amount", True, tuple(EDGES))]
    sets = [(), ("country",), ("amount",)]
    whole, by_country, by_bin = backend.grouped_counts("fraud", T0, T0 + DAY, keys, sets, SCORE)
    inside = _first_day(logged)
    assert whole["n"].tolist() == [len(inside)]
    np.testing.assert_allclose(whole["total"], [inside.score.sum()], rtol=1e-9)
    np.testing.assert_allclose(whole["squares"], [(inside.score**2).sum()], rtol=1e-9)
    got = by_country.set_index("country").sort_index()
    expected = inside.groupby("country")["score"].agg(["size", "sum"]).sort_index()
    assert got.index.tolist() == expected.index.tolist() == ["DE", "FR", "US"]
    assert got["n"].tolist() == expected["size"].tolist()
    np.testing.assert_allclose(got["total"], expected["sum"], rtol=1e-9)
    bins = inside["amount"].map(
        lambda v: -1 if np.isnan(v) else int(np.searchsorted(EDGES, v, side="right"))
    )
    pairs = zip(by_bin.amount, by_bin.n, strict=True)
    got_bins = {(-1 if b is None else int(b)): int(n) for b, n in pairs}
    assert got_bins == {int(b): int(n) for b, n in bins.value_counts().items()}


@pytest.mark.parametrize("backend", GROUP_COUNTS, indirect=True)
def test_slice_rows_are_the_slice_in_time_order(backend, logged) -> None:
    where = [("country", "==", "FR"), ("amount", "in", "[90, 110)")]
    got = backend.slice_rows("fraud", T0, T0 + DAY, where)
    inside = _first_day(logged)
    kept = inside[(inside.country == "FR") & (inside.amount >= 90) & (inside.amount < 110)]
    assert got["request_id"].tolist() == kept["request_id"].tolist() and len(kept) > 0
    assert str(got["ts"].dt.tz) == "UTC"
    missing = backend.slice_rows("fraud", T0, T0 + DAY, [("amount", "is", "missing")])
    assert len(missing) == int(inside["amount"].isna().sum()) > 0
