"""Slices on the SQL log over Spark SQL (local mode, Thrift): counts give the rows' slices."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from console.services.slices_view import SliceMetricChoice, read_slices
from tests.integration.backends.servers import Server
from tests.integration.sql.counts import logged_rows
from tests.integration.sql.fixtures import fraud_log, statements_sent
from tests.integration.sql.over_workspace import LogOverWorkspace
from tests.integration.sql.slices_data import BEFORE, MODEL, NOW, assert_same_table, planted
from tests.integration.sql.spark import NOSASL


@pytest.fixture(scope="module")
def on_spark(spark: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LogOverWorkspace]:
    """Two days of `fraud` requests in a workspace, read by the SQL log over Spark."""
    folder: Path = tmp_path_factory.mktemp("spark-slices")
    rows = planted(logged_rows(6000, seed=1, shift=8.0))
    with fraud_log(folder, spark.url, rows, "spark", NOSASL) as made:
        yield made


@pytest.mark.parametrize(
    "choice", [SliceMetricChoice("accuracy"), SliceMetricChoice("latency", "inference_ms")]
)
def test_slices_from_spark_counts_equal_slices_from_rows(
    on_spark: LogOverWorkspace, choice: SliceMetricChoice
) -> None:
    source = SimpleNamespace(inference_log=on_spark.log)
    grouped = 0
    for baseline in (None, BEFORE):
        expected = read_slices(
            SimpleNamespace(inference_log=on_spark.workspace), MODEL, NOW, choice, baseline
        )
        assert expected.table.slices
        with statements_sent() as sent:
            counted = read_slices(source, MODEL, NOW, choice, baseline)
        grouped += sum("GROUPING SETS" in s for s in sent)
        assert counted.pushed_down and counted.rows == expected.rows
        assert_same_table(counted.table, expected.table)
    assert grouped == 3  # one per window: 1, then 2
