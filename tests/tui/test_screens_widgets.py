"""The investigation screens' parts: the virtual table, bars, plots and the cell shaping."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.strip import Strip

from console.analysis.slices import Predicate
from console.services.latency_view import WhatIfError, parse_what_if
from console.services.slices_view import fit_first_column, instant_text, short_predicate
from console.services.timeline_view import ALL, next_choice
from console.tui.widgets.bars import budget_bar
from console.tui.widgets.plot import PlotLine, line_plot
from console.tui.widgets.virtual_table import (
    MORE,
    ColumnRows,
    ListRows,
    VirtualTable,
    fit,
    thumb,
)
from tests.tui.helpers import screen_text

ROWS = 100_000


class CountingRows(ColumnRows):
    """ColumnRows that counts how many rows were formatted."""

    def __init__(self, rows: int) -> None:
        super().__init__([(range(rows), lambda v: f"row {v}"), (range(rows), lambda v: f"{v * 2}")])
        self.formatted: list[int] = []

    def cells(self, index: int) -> list[str]:
        self.formatted.append(index)
        return list(super().cells(index))


class TableApp(App[None]):
    def __init__(self, rows: Any) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield VirtualTable(id="t")

    def on_mount(self) -> None:
        table = self.query_one(VirtualTable)
        table.show(("NAME", "DOUBLE"), self.rows)
        table.focus()


async def test_a_hundred_thousand_rows_format_only_what_is_shown() -> None:
    rows = CountingRows(ROWS)
    app = TableApp(rows)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        table = app.query_one(VirtualTable)
        sampled = len(rows.formatted)
        assert sampled <= 400 + 20, "widths come from a sample, not every row"
        for _ in range(5):
            await pilot.press("pagedown")
        await pilot.pause()
        assert table.cursor_row == 5 * table.page_rows
        assert f"row {table.cursor_row}" in screen_text(app)
        assert len(rows.formatted) - sampled < 10 * 20
        await pilot.press("G")
        await pilot.pause()
        assert table.cursor_row == ROWS - 1
        assert f"row {ROWS - 1}" in screen_text(app)
        assert "NAME" in screen_text(app), "the header stays put"
        await pilot.press("g")
        assert table.cursor_row == 0
        before = len(rows.formatted)
        await pilot.press("j", "k")
        await pilot.pause()
        assert len(rows.formatted) - before <= 4, "rendered rows come from the LRU cache"


async def test_enter_selects_and_an_empty_table_says_why() -> None:
    selected: list[int] = []

    class Selecting(TableApp):
        def on_virtual_table_row_selected(self, event: VirtualTable.RowSelected) -> None:
            selected.append(event.index)

    app = Selecting(ColumnRows([([], str)]))
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(VirtualTable)
        table.show(("A",), ColumnRows([([], str)]), empty_text="nothing logged here")
        await pilot.pause()
        assert "nothing logged here" in screen_text(app)
        await pilot.press("enter")
        table.show(("A",), ColumnRows([(["x", "y"], str)]))
        await pilot.press("j", "enter")
        await pilot.pause()
        assert selected == [1]


@pytest.mark.parametrize(
    ("text", "width", "fitted"),
    [
        ("amount", 8, "amount  "),
        ("amount", 6, "amount"),
        ("amount", 4, "amo…"),
        ("amount", 0, ""),
        ("東京", 6, "東京  "),
        ("東京都", 5, "東京…"),
        ("a\tb", 4, "a\tb  "),
    ],
)
def test_fit_pads_or_cuts_to_cells(text: str, width: int, fitted: str) -> None:
    assert fit(text, width) == fitted and cell_len(fitted) == width


@pytest.mark.parametrize("scroll_x", [0, 3, 17, 40])
@pytest.mark.parametrize("width", [1, 9, 25, 80])
def test_one_cell_lines_take_the_short_path_to_the_same_text(scroll_x: int, width: int) -> None:
    table = VirtualTable()
    cells = ("2026-11-19 03:00:01", "req-00000042", "a value cut at forty cells, as the table cuts")
    table.show(("TIME", "REQUEST", "NOTE"), ListRows([cells]))
    text = table._line_text(cells)
    short = table._line_strip(cells, Style(), scroll_x, width)
    general = table._visible(text, Style(), scroll_x, width)
    assert short.text == general.text and short.cell_length == general.cell_length == width
    assert short.text.endswith(MORE) == (table.line_width > scroll_x + width)


def test_wide_characters_keep_their_cells() -> None:
    table = VirtualTable()
    table.show(("CITY", "N"), ListRows([("東京", "1")]))
    strip = table._line_strip(("東京", "1"), Style(), 0, 20)
    assert strip.cell_length == 20 and strip.text.startswith("東京  1")


def test_textual_keeps_what_it_derives_from_a_strip_in_the_strip() -> None:
    """Why the table hands out copies: a long-lived strip would hold cycles for a full GC pass."""
    row = Strip([Segment("abc")], 3)
    padded = row.adjust_cell_length(5)
    assert row.adjust_cell_length(5) is padded, "kept inside the row's strip"
    strip = padded
    assert strip.divide([5]) == [strip], "a strip divided at its end holds itself"
    del row, padded
    kept = id(strip)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        del strip
        gc.collect()
        found = {id(item) for item in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert kept in found


async def test_rendered_rows_are_copies_of_the_cached_ones() -> None:
    app = TableApp(ColumnRows([(range(ROWS), lambda v: f"row {v}")]))
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        table = app.query_one(VirtualTable)
        width = table.scrollable_content_region.width
        rendered = table.render_line(2)
        cached = table._lines.get((1, 0, 0, width))
        assert cached is not None and rendered is not cached
        assert rendered.text == cached.text and "row 1" in rendered.text


def test_budget_bar_marks_the_budget_and_the_part_over_it() -> None:
    within = budget_bar(5.0, 10.0, 20.0, 20)
    assert within == "█████·····│·········"
    over = budget_bar(20.0, 10.0, 20.0, 20)
    assert over.index("│") == 10 and set(over[11:]) == {"▒"}
    assert budget_bar(None, 10.0, 20.0, 4) == "    "


def test_line_plot_has_one_marker_per_series_and_skips_missing_points() -> None:
    chart = line_plot(
        [
            PlotLine("a", [0, 1, 2], [1.0, float("nan"), 3.0], "•"),
            PlotLine("b", [0, 1, 2], [3.0, 2.0, 1.0], "+", right=True),
        ],
        50,
        8,
    )
    assert "•" in chart and "+" in chart and "\x1b" not in chart
    assert max(len(line) for line in chart.splitlines()) <= 50
    assert "nothing to plot" in line_plot([PlotLine("a", [0], [float("nan")])], 40, 8)


@pytest.mark.parametrize(
    ("predicate", "text"),
    [
        (Predicate("device_type", "==", "tablet"), "device_type=tablet"),
        (Predicate("amount", "in", "[90.48, inf)"), "amount≥90.48"),
        (Predicate("age", "in", "(-inf, 163)"), "age<163"),
        (Predicate("age", "in", "[163, 356)"), "age∈[163, 356)"),
        (Predicate("label", "is", "missing"), "label missing"),
    ],
)
def test_short_predicates(predicate: Predicate, text: str) -> None:
    assert short_predicate(predicate) == text


def test_the_first_column_is_cut_to_fit_the_width() -> None:
    rows = [("a very long slice name indeed", "1", "2")]
    fitted = fit_first_column(("SLICE", "A", "B"), rows, 30)
    assert fitted[0][0].endswith("…") and len(fitted[0][0]) == 30 - 2 * 3 - 2
    assert fit_first_column(("S", "A"), [("short", "1")], 80) == [("short", "1")]


def test_what_if_input_and_choices() -> None:
    assert parse_what_if("feature_fetch 3") == ("feature_fetch", 3.0)
    assert parse_what_if("inference=1.5x") == ("inference", 1.5)
    with pytest.raises(WhatIfError, match="not a speed-up"):
        parse_what_if("inference fast")
    with pytest.raises(WhatIfError, match="type a stage"):
        parse_what_if("inference")
    assert next_choice((ALL, "data", "model"), "model") == ALL
    assert next_choice((ALL, "data"), "gone") == ALL


def test_instants_are_short_when_exact() -> None:
    from datetime import UTC, datetime

    assert instant_text(datetime(2026, 11, 18, tzinfo=UTC)) == "2026-11-18T00:00Z"
    assert instant_text(datetime(2026, 11, 18, 0, 0, 5, tzinfo=UTC)) == "2026-11-18T00:00:05Z"


def test_a_regression_ranks_slices_by_mean_score_not_by_exact_equality() -> None:
    from console.services.slices_view import SliceMetricChoice, metric_choices, suited_choice

    accuracy = SliceMetricChoice("accuracy")
    assert suited_choice(accuracy, "regression") == SliceMetricChoice("mean_score")
    assert suited_choice(accuracy, "binary-classification") == accuracy
    labels = [c.label for c in metric_choices(("inference_ms",), "regression")]
    assert labels == ["mean_score", "latency inference_ms"]


async def test_slash_filters_a_virtual_table_and_enter_names_the_source_row() -> None:
    from console.tui.widgets.table import TableFilter

    selected: list[int] = []

    class Selecting(TableApp):
        def on_virtual_table_row_selected(self, event: VirtualTable.RowSelected) -> None:
            selected.append(event.index)

    app = Selecting(ColumnRows([(range(1000), lambda v: f"row {v}")]))
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(VirtualTable)
        table.apply_filter(TableFilter.parse("row 99"))
        await pilot.pause()
        assert table.row_count == 11 and table.shown_text() == "11 of 1,000 rows"
        await pilot.press("j", "enter")
        assert selected == [990]
        table.apply_filter(TableFilter.parse("nothing like it"))
        await pilot.pause()
        assert "no row matches /nothing like it/ (Escape clears" in screen_text(app)
        table.apply_filter(TableFilter.parse("!row"))
        assert table.row_count == 0
        table.apply_filter(None)
        assert table.row_count == 1000


async def test_the_scrollbar_is_redrawn_only_when_its_thumb_moves() -> None:
    app = TableApp(ColumnRows([(range(ROWS), lambda v: f"row {v}")]))
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        table = app.query_one(VirtualTable)
        bar = table.vertical_scrollbar
        await pilot.press("pagedown")
        await pilot.pause()
        assert table.scroll_y > 0 and bar.position == 0, "a page moves no eighth of a cell"
        for keys in (("pagedown",) * 40, ("G",), ("pageup",), ("g",)):
            await pilot.press(*keys)
            await pilot.pause()
            assert thumb(bar, bar.position) == thumb(bar, table.scroll_y), keys
        assert bar.position == 0 and table.scroll_y == 0
