"""The SQL log on DuckDB over a workspace's Parquet: counts as the embedded log counts them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from backends.contracts import NotFoundError
from backends.discovery import OptionError, create
from backends.sql import SqlInferenceLog
from console.analysis.drift.bands import get_profile
from console.analysis.drift.counted import edges_of_fit, rows_from_counts
from console.analysis.drift.reference import fit_reference
from console.analysis.drift.table import drift_against
from tests.integration.sql.counts import (
    DAY,
    FEATURES,
    T0,
    logged_rows,
)
from tests.integration.sql.fixtures import fraud_log, statements_sent
from tests.integration.sql.over_workspace import LogOverWorkspace, duckdb_url

COMPARED = (
    "psi",
    "status",
    "js",
    "chi2",
    "chi2_pvalue",
    "n_current",
    "missing_current",
    "unseen_current",
    "infinite_current",
    "terms",
    "labels",
    "note",
)


@pytest.fixture
def both(tmp_path: Path) -> Iterator[LogOverWorkspace]:
    """A workspace with two days of `fraud` requests, read by the SQL log over DuckDB."""
    with fraud_log(tmp_path, duckdb_url(tmp_path), logged_rows(6000, seed=1, shift=8.0)) as made:
        yield made


@pytest.fixture
def fitted():
    """The reference fit the edges come from (as the reference cache holds it)."""
    reference = logged_rows(4000, seed=2)
    return fit_reference(reference, FEATURES, bins=10, kinds={"country": "categorical"})


def test_drift_from_pushed_down_counts_equals_the_embedded_drift(both, fitted) -> None:
    start, end = T0 + DAY / 2, T0 + 2 * DAY
    window = both.workspace.window("fraud", start, end, columns=list(FEATURES))
    expected = {
        row.feature: row for row in drift_against(fitted, window, profile="strict").features
    }
    counted = both.log.window_bin_counts("fraud", edges_of_fit(fitted), start, end)
    got = rows_from_counts(fitted, counted, get_profile("strict"))
    assert set(got) == set(FEATURES)
    assert expected["amount"].infinite_current > 0 and expected["country"].unseen_current == 0
    assert expected["amount"].status != "ok"
    for feature in FEATURES:
        for field in COMPARED:
            assert getattr(got[feature], field) == pytest.approx(
                getattr(expected[feature], field), rel=1e-12, abs=0
            ), (feature, field)


def test_a_window_is_one_statement_whatever_the_number_of_features(both, fitted) -> None:
    both.log.window_bin_counts("fraud", edges_of_fit(fitted), T0, T0 + DAY)  # columns read once
    with statements_sent() as sent:
        counted = both.log.window_bin_counts("fraud", edges_of_fit(fitted), T0, T0 + DAY)
    assert len(sent) == 1
    assert sent[0].count("GROUP BY") == len(FEATURES) and "UNION ALL" in sent[0]
    assert all(counts.sum() == counted["age"][0].sum() for counts, _ in counted.values())


def test_unseen_categories_and_version_filter_are_counted_in_the_engine(both) -> None:
    logged = both.workspace.window("fraud", T0, T0 + 2 * DAY, columns=["country", "version"])
    inside = logged[logged.version == "2"]["country"]
    cats = np.asarray(["US", "FR"], dtype=object)
    counts, infinite = both.log.window_bin_counts(
        "fraud", {"country": cats}, T0, T0 + 2 * DAY, version="2"
    )["country"]
    assert infinite == 0
    assert counts.tolist() == [
        int((inside == "US").sum()),
        int((inside == "FR").sum()),
        int(inside.isin(["DE", "BR"]).sum()),
        int(inside.isna().sum()),
    ]


def test_the_drill_down_page_is_the_slice_rows_in_time_order(both) -> None:
    rows = both.workspace.window("fraud", T0, T0 + DAY)
    inside = rows[rows.country == "FR"].reset_index(drop=True)
    page = both.log.page("fraud", T0, T0 + DAY, where={"country": "FR"}, limit=20, offset=10)
    assert page["request_id"].tolist() == inside["request_id"][10:30].tolist()
    assert str(page["ts"].dt.tz) == "UTC"


def test_one_table_for_every_model_through_a_column_map(both, fitted, tmp_path: Path) -> None:
    engine = sa.create_engine(both.url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE logs AS SELECT 'fraud' AS mdl, ts AS event_time, version, "
            'amount AS amt, age, country, score, prediction, label, request_id FROM "fraud"'
        )
    engine.dispose()
    mapped = SqlInferenceLog(
        both.url, "logs", columns={"model": "mdl", "ts": "event_time", "amount": "amt"}
    )
    try:
        start, end = T0, T0 + DAY
        assert mapped.window_bin_counts("fraud", edges_of_fit(fitted), start, end).keys() == set(
            FEATURES
        )
        for feature, (counts, _) in mapped.window_bin_counts(
            "fraud", edges_of_fit(fitted), start, end
        ).items():
            direct, _ = both.log.window_bin_counts("fraud", edges_of_fit(fitted), start, end)[
                feature
            ]
            assert counts.tolist() == direct.tolist(), feature
        window = mapped.window("fraud", start, end, columns=["ts", "amount"])
        assert list(window.columns) == ["ts", "amount"] and len(window) > 0
        assert mapped.time_range("fraud") == both.log.time_range("fraud")
        with pytest.raises(NotFoundError):
            mapped.time_range("other")
    finally:
        mapped.close()


def test_bad_tables_options_and_urls_are_clear_errors(both, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        both.log.window("nope", T0, T0 + DAY)
    with pytest.raises(NotFoundError, match="no column 'ghost'"):
        both.log.window_bin_counts("fraud", {"ghost": np.array([1.0])}, T0, T0 + DAY)
    with pytest.raises(ValueError, match="ascending"):
        both.log.bin_counts("fraud", "amount", np.array([2.0, 1.0]), T0, T0 + DAY)
    with pytest.raises(OptionError, match="did you mean 'table'"):
        create("sql", {"url": both.url, "tabel": "x"})
    with pytest.raises(ValueError, match="sql url is not usable"):
        SqlInferenceLog("nosuchdialect://x", "t")
    log = create("sql", {"url": both.url, "table": "{model}"})
    assert "duckdb" in repr(log) and str(tmp_path) not in repr(log)
    log.close()
