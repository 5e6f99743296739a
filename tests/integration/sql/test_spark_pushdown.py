"""The SQL log on Spark SQL (local mode, Thrift endpoint): drift counts equal the embedded log's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from console.analysis.drift.bands import get_profile
from console.analysis.drift.counted import edges_of_fit, rows_from_counts
from console.analysis.drift.reference import fit_reference
from console.analysis.drift.table import drift_against
from tests.integration.backends.servers import Server
from tests.integration.sql.counts import (
    DAY,
    FEATURES,
    T0,
    logged_rows,
)
from tests.integration.sql.fixtures import fraud_log, statements_sent
from tests.integration.sql.over_workspace import LogOverWorkspace
from tests.integration.sql.spark import NOSASL

COMPARED = ("psi", "status", "js", "chi2", "n_current", "missing_current", "infinite_current")


@pytest.fixture(scope="module")
def on_spark(spark: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LogOverWorkspace]:
    """Two days of `fraud` requests in a workspace, read by the SQL log over Spark."""
    folder: Path = tmp_path_factory.mktemp("spark-log")
    with fraud_log(
        folder, spark.url, logged_rows(6000, seed=1, shift=8.0), "spark", NOSASL
    ) as made:
        yield made


def test_drift_from_spark_counts_equals_the_embedded_drift(on_spark) -> None:
    fitted = fit_reference(
        logged_rows(4000, seed=2), FEATURES, bins=10, kinds={"country": "categorical"}
    )
    start, end = T0 + DAY / 2, T0 + 2 * DAY
    window = on_spark.workspace.window("fraud", start, end, columns=list(FEATURES))
    expected = {r.feature: r for r in drift_against(fitted, window, profile="strict").features}
    on_spark.log.window_bin_counts("fraud", edges_of_fit(fitted), start, end)  # columns read
    with statements_sent() as sent:
        counted = on_spark.log.window_bin_counts("fraud", edges_of_fit(fitted), start, end)
    assert len(sent) == 1 and sent[0].count("GROUP BY") == len(FEATURES)
    got = rows_from_counts(fitted, counted, get_profile("strict"))
    assert expected["amount"].infinite_current > 0 and expected["amount"].status != "ok"
    for feature in FEATURES:
        assert got[feature].labels == expected[feature].labels
        assert got[feature].note == expected[feature].note, feature
        for field in COMPARED:
            assert getattr(got[feature], field) == pytest.approx(
                getattr(expected[feature], field), rel=1e-12
            ), (feature, field)


def test_the_drill_down_page_on_spark_is_the_rows_in_time_order(on_spark) -> None:
    rows = on_spark.workspace.window("fraud", T0, T0 + 2 * DAY)
    page = on_spark.log.page("fraud", T0, T0 + DAY, where={"version": "2"}, limit=5)
    inside = rows[(rows.version == "2") & (rows.ts < T0 + DAY)]
    assert page["request_id"].tolist() == inside["request_id"][:5].tolist()
    assert isinstance(page["ts"].dtype, pd.DatetimeTZDtype)
