"""The slices screen on a SQL log (DuckDB over the demo's Parquet): counts cross, same cells."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from console.config import BackendSpec, Context, embedded_context, workspace_specs
from console.tui.widgets.table import VigilTable
from console.tui.widgets.virtual_table import VirtualTable
from tests.integration.sql.fixtures import demo_views, statements_sent
from tests.tui.helpers import make_app
from tests.tui.test_screens_flows import SIZE, cells, loaded, open_view


@pytest.fixture
def sql_demo(demo_workspace: Path, tmp_path: Path) -> Context:
    """The demo workspace with its inference log read by DuckDB through the `sql` backend."""
    url = demo_views(demo_workspace, tmp_path / "db")
    specs = workspace_specs(demo_workspace.resolve()) | {
        "inference_log": BackendSpec("sql", {"url": url, "table": "{model}"})
    }
    return Context("sql-demo", specs, read_only=True, workspace=demo_workspace.resolve())


async def _slices_and_requests(context: Context) -> tuple[list[tuple[str, ...]], Any, int]:
    """The slices table's cells, the first slice, and how many requests its drill-down lists."""
    app = make_app(context, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_view(pilot, "slices", model="fraud-detector", window="24h")
        rows = cells(screen.query_one("#slices-table", VigilTable))
        first = screen.view.table.slices[0]
        await pilot.press("enter")
        requests = await loaded(pilot)
        return rows, first, requests.query_one("#requests-table", VirtualTable).row_count


async def test_the_slices_screen_on_a_sql_log_shows_the_embedded_cells(
    sql_demo: Context, demo_workspace: Path
) -> None:
    with statements_sent("duckdb") as sent:
        counted, first, listed = await _slices_and_requests(sql_demo)
    expected, expected_first, expected_listed = await _slices_and_requests(
        embedded_context(demo_workspace, name="demo", read_only=True)
    )
    assert counted and counted == expected
    assert first.name == expected_first.name and listed == expected_listed >= first.support
    assert sum("GROUPING SETS" in s for s in sent) == 1
    reads = [s for s in sent if "GROUP BY" not in s and "WHERE 1 = 0" not in s and "ORDER BY" in s]
    where = reads[-1].split("WHERE", 1)[1]  # the drill-down: the slice filtered by the engine
    assert all(p.column in where for p in first.predicates), reads[-1]
