"""A table for 100,000 rows and more, on Textual's line API (as Toolong does).

Only the visible lines are rendered; each rendered row is kept as a `Strip`
in an LRU cache, so paging back and forth formats a row once. Column widths
come from the header and a sample of rows, never from measuring every cell.
The header line stays put while the rows scroll beneath it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any, ClassVar, Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip

from console.tui.actions import bindings_for

GAP = 2
SAMPLE_ROWS = 200
CACHE_LINES = 1024
MAX_WIDTH = 40
MORE = "▸"


class RowSource(Protocol):
    """Rows by index: the table asks only for the rows it shows."""

    def __len__(self) -> int:
        """How many rows there are."""
        ...

    def cells(self, index: int) -> Sequence[str]:
        """The cell texts of one row."""
        ...


@dataclass(frozen=True)
class ListRows:
    """Rows already held as text (a timeline, a small result)."""

    rows: Sequence[Sequence[str]]

    def __len__(self) -> int:
        """How many rows there are."""
        return len(self.rows)

    def cells(self, index: int) -> Sequence[str]:
        """The cell texts of one row."""
        return self.rows[index]


class Column(Protocol):
    """A column's values by row index: a list, a tuple or a numpy array."""

    def __len__(self) -> int:
        """How many values."""
        ...

    def __getitem__(self, index: int, /) -> Any:
        """The value of one row."""
        ...


class ColumnRows:
    """Rows drawn from column arrays, each cell formatted only when its row is shown."""

    def __init__(self, columns: Sequence[tuple[Column, Callable[[Any], str]]]) -> None:
        """`columns` pairs each column's values (equal lengths) with its formatter."""
        self.columns = tuple(columns)
        self.length = len(self.columns[0][0]) if self.columns else 0

    def __len__(self) -> int:
        """How many rows there are."""
        return self.length

    def cells(self, index: int) -> Sequence[str]:
        """The cell texts of one row."""
        return [render(values[index]) for values, render in self.columns]


@dataclass(frozen=True)
class FilteredRows:
    """The rows of a source a filter kept, by their position among the kept ones."""

    source: RowSource
    kept: Sequence[int]

    def __len__(self) -> int:
        """How many rows were kept."""
        return len(self.kept)

    def cells(self, index: int) -> Sequence[str]:
        """The cell texts of the `index`-th kept row."""
        return self.source.cells(self.kept[index])


class RowFilter(Protocol):
    """What `/` hands a table: a test on a row's cells and how the header names it."""

    @property
    def label(self) -> str:
        """`/tablet/` or `not /tablet/`."""
        ...

    def keeps(self, cells: Sequence[Any]) -> bool:
        """Whether the row stays."""
        ...


def measure_widths(headers: Sequence[str], rows: RowSource, sample: int = SAMPLE_ROWS) -> list[int]:
    """Each column's width from its header and the first and last `sample` rows (capped)."""
    widths = [len(header) for header in headers]
    count = len(rows)
    indices = list(range(min(sample, count))) + list(range(max(sample, count - sample), count))
    for index in indices:
        for column, text in enumerate(rows.cells(index)):
            if column < len(widths):
                widths[column] = max(widths[column], min(len(text), MAX_WIDTH))
    return widths


def fit(text: str, width: int) -> str:
    """`text` padded to `width` cells, or cut to it with `…` marking the cut."""
    if one_cell(text):
        if len(text) <= width:
            return text.ljust(width)
        return text[: width - 1] + "…" if width else ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, max(width - 1, 0)) + "…" if width else ""


def one_cell(text: str) -> bool:
    """Whether every character of `text` is one cell wide: printable ASCII."""
    return text.isascii() and text.isprintable()


def one_cell_each(cells: Sequence[str]) -> bool:
    """Whether every character of these cells, once fitted, is one cell wide (ASCII or `…`)."""
    return all(one_cell(text) for text in cells)


def thumb(bar: ScrollBar, position: float) -> list[Segment]:
    """What a vertical scrollbar draws at `position`, from Textual's own renderer."""
    window = bar.window_size if bar.window_size < bar.window_virtual_size else 0
    drawn = ScrollBarRender.render_bar(
        size=bar.size.height,
        virtual_size=ceil(bar.window_virtual_size),
        window_size=ceil(window),
        position=position,
        thickness=bar.thickness,
        vertical=True,
    )
    return list(drawn.segments)


def handed_out(kept: Strip) -> Strip:
    """A fresh Strip of a cached one's segments, for Textual to render.

    Textual keeps what it derives from a strip (padded, divided) inside that
    strip, and a strip divided at its end holds itself: a reference cycle. Hung
    off a row in the cache, those cycles reach the oldest generation and wait
    for a full GC pass (15 ms and more each while paging); hung off a copy that
    lives one frame, the young collections free them.
    """
    return Strip(list(kept), kept.cell_length)


class VirtualTable(ScrollView, can_focus=True):
    """Rows from a `RowSource`, a fixed header, a row cursor; Enter posts `RowSelected`."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("table")]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--empty",
    }
    DEFAULT_CSS = """
    VirtualTable { height: 1fr; }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True, init=False)

    class RowSelected(Message):
        """Enter (or a click) on a row; `index` is its index in the unfiltered rows."""

        def __init__(self, table: VirtualTable, index: int) -> None:
            """Which table and which row."""
            super().__init__()
            self.table = table
            self.index = index

        @property
        def control(self) -> VirtualTable:
            """The table the row belongs to."""
            return self.table

    class CursorMoved(Message):
        """The cursor moved (a flood while paging coalesces into the latest)."""

        def __init__(self, table: VirtualTable, index: int) -> None:
            """Which table and where its cursor is."""
            super().__init__()
            self.table = table
            self.index = index

        def can_replace(self, message: Message) -> bool:
            """A newer position replaces an unhandled older one."""
            return isinstance(message, VirtualTable.CursorMoved) and message.table is self.table

    def __init__(
        self, *, empty_text: str = "no rows", id: str | None = None, classes: str | None = None
    ) -> None:
        """An empty table; `show` gives it columns and rows."""
        super().__init__(id=id, classes=classes)
        self.headers: tuple[str, ...] = ()
        self.widths: list[int] = []
        self.line_width = 0
        self.rows: RowSource = ListRows(())
        self.source: RowSource = self.rows
        self.row_filter: RowFilter | None = None
        self.empty_text = empty_text
        self._lines: LRUCache[tuple[int, int, int, int], Strip] = LRUCache(CACHE_LINES)
        self._styles: dict[str, Style] = {}

    @property
    def row_count(self) -> int:
        """How many rows the table shows (those the filter keeps)."""
        return len(self.rows)

    @property
    def page_rows(self) -> int:
        """Rows visible under the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def show(
        self,
        headers: Sequence[str],
        rows: RowSource,
        *,
        widths: Sequence[int] | None = None,
        empty_text: str | None = None,
        keep_cursor: bool = False,
    ) -> None:
        """Replace the columns and rows; the cursor goes to the top unless `keep_cursor`."""
        self.headers = tuple(headers)
        self.source = rows
        self.rows = self._filtered(rows)
        self.widths = list(widths) if widths is not None else measure_widths(headers, rows)
        if empty_text is not None:
            self.empty_text = empty_text
        self._lines.clear()
        self.line_width = sum(self.widths) + GAP * max(len(self.widths) - 1, 0)
        self.virtual_size = Size(self.line_width, len(rows) + 1)
        row = min(self.cursor_row, max(len(rows) - 1, 0)) if keep_cursor else 0
        if not self.is_mounted:
            self.set_reactive(VirtualTable.cursor_row, row)
            return
        if not keep_cursor:
            self.scroll_to(0, 0, animate=False, immediate=True)
        self.cursor_row = row
        self.refresh()

    def _filtered(self, rows: RowSource) -> RowSource:
        """The rows the filter keeps (each row formatted once to test it), or all of them."""
        if self.row_filter is None:
            return rows
        keeps = self.row_filter.keeps
        return FilteredRows(rows, [i for i in range(len(rows)) if keeps(rows.cells(i))])

    def apply_filter(self, row_filter: RowFilter | None) -> None:
        """Show only the rows `row_filter` keeps (all rows with None); the cursor goes home."""
        self.row_filter = row_filter
        self.rows = self._filtered(self.source)
        self._lines.clear()
        self.virtual_size = Size(self.line_width, len(self.rows) + 1)
        if self.is_mounted:
            self.scroll_to(0, 0, animate=False, immediate=True)
            self.cursor_row = 0
            self.refresh()

    def source_index(self, position: int) -> int:
        """The index in the unfiltered rows of the row shown at `position`."""
        rows = self.rows
        return rows.kept[position] if isinstance(rows, FilteredRows) else position

    def shown_text(self) -> str:
        """`3 of 12 rows`, for the header when a filter is on."""
        return f"{len(self.rows):,} of {len(self.source):,} rows"

    def notify_style_update(self) -> None:
        """A theme change: rendered rows carry old styles, so drop them."""
        super().notify_style_update()
        self._lines.clear()
        self._styles.clear()

    def _style(self, part: str) -> Style:
        """The widget's style (`base`) or a component's, computed once per theme."""
        style = self._styles.get(part)
        if style is None:
            base = self.rich_style
            style = base if part == "base" else base + self.get_component_rich_style(part)
            self._styles[part] = style
        return style

    def _line_text(self, cells: Sequence[str]) -> str:
        """Cells padded or cut (with `…`) to their column widths, joined by the gap."""
        gap = " " * GAP
        return gap.join(fit(text, width) for text, width in zip(cells, self.widths, strict=False))

    def _line_strip(self, cells: Sequence[str], style: Style, scroll_x: int, width: int) -> Strip:
        """One line of cells as the viewport shows it."""
        text = self._line_text(cells)
        if one_cell_each(cells):
            return self._visible_simple(text, style, scroll_x, width)
        return self._visible(text, style, scroll_x, width)

    def _row_strip(self, index: int, scroll_x: int, width: int) -> Strip:
        """One visible row, rendered once per cursor state, scroll offset and width, then cached."""
        state = 0 if index != self.cursor_row else (1 if self.has_focus else 2)
        key = (index, state, scroll_x, width)
        cached = self._lines.get(key)
        if cached is not None:
            return cached
        style = self._style("base") if state == 0 else self._style("virtual-table--cursor")
        if state == 2:
            style += Style(dim=True)
        strip = self._line_strip(self.rows.cells(index), style, scroll_x, width)
        self._lines[key] = strip
        return strip

    def _visible_simple(self, text: str, style: Style, scroll_x: int, width: int) -> Strip:
        """`_visible` for a line whose every character is one cell: plain slicing, one Strip."""
        if width < 1:
            return Strip([], 0)
        shown = text[scroll_x : scroll_x + width].ljust(width)
        if self.line_width > scroll_x + width:
            shown = shown[: width - 1] + MORE
        return Strip([Segment(shown, style)], width)

    def _visible(self, text: str, style: Style, scroll_x: int, width: int) -> Strip:
        """The part of a full line the viewport shows, padded to its width; `▸` marks more."""
        full = max(self.line_width, width + scroll_x)
        strip = Strip([Segment(text, style)], cell_len(text))
        shown = strip.extend_cell_length(full, style).crop(scroll_x, scroll_x + width)
        if self.line_width <= scroll_x + width or width < 1:
            return shown
        visible = "".join(segment.text for segment in shown)
        return Strip([Segment(set_cell_size(visible, width - 1) + MORE, style)], width)

    def render_line(self, y: int) -> Strip:
        """Line 0 is the header; the rest are rows from the scroll offset down."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if y == 0:
            header = self._style("virtual-table--header")
            return self._line_strip(self.headers, header, scroll_x, width)
        index = scroll_y + y - 1
        if len(self.rows) == 0 and y == 1:
            empty = self._style("virtual-table--empty")
            text = self.empty_text
            if self.row_filter is not None and len(self.source):
                text = f"no row matches {self.row_filter.label} (Escape clears the filter)"
            return Strip([Segment(set_cell_size(text, width), empty)])
        if index >= len(self.rows):
            return Strip.blank(width, self._style("base"))
        return handed_out(self._row_strip(index, scroll_x, width))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Redraw the rows; move the scrollbar only when its thumb moves on screen.

        Over 100,000 rows a page moves the thumb by a small fraction of an eighth
        of a cell, and redrawing the scrollbar cost a quarter of each frame.
        """
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            if thumb(bar, bar.position) != thumb(bar, new_value):
                bar.position = new_value
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)

    def watch_cursor_row(self, new: int) -> None:
        """Keep the cursor in view, redraw, and tell the screen."""
        top = int(self.scroll_y)
        if new < top:
            self.scroll_to(y=new, animate=False, immediate=True)
        elif new >= top + self.page_rows:
            self.scroll_to(y=new - self.page_rows + 1, animate=False, immediate=True)
        self.refresh()
        self.post_message(self.CursorMoved(self, new))

    def on_focus(self) -> None:
        """The cursor shows brighter while focused."""
        self.refresh()

    def on_blur(self) -> None:
        """The cursor dims when the focus leaves."""
        self.refresh()

    def move_cursor(self, row: int) -> None:
        """Put the cursor on `row` (clamped to the rows held)."""
        if len(self.rows):
            self.cursor_row = min(max(row, 0), len(self.rows) - 1)

    def action_cursor_down(self) -> None:
        """Next row."""
        self.move_cursor(self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        """Previous row."""
        self.move_cursor(self.cursor_row - 1)

    def action_page_down(self) -> None:
        """A page further: the cursor and the view move together."""
        page = self.page_rows
        self.scroll_to(y=self.scroll_y + page, animate=False, immediate=True)
        self.move_cursor(self.cursor_row + page)

    def action_page_up(self) -> None:
        """A page back."""
        page = self.page_rows
        self.scroll_to(y=max(self.scroll_y - page, 0), animate=False, immediate=True)
        self.move_cursor(self.cursor_row - page)

    def action_scroll_top(self) -> None:
        """First row."""
        self.move_cursor(0)

    def action_scroll_bottom(self) -> None:
        """Last row."""
        self.move_cursor(len(self.rows) - 1)

    def action_scroll_home(self) -> None:
        """Home: the first row."""
        self.move_cursor(0)

    def action_scroll_end(self) -> None:
        """End: the last row."""
        self.move_cursor(len(self.rows) - 1)

    def action_select_cursor(self) -> None:
        """Tell the screen which row was chosen."""
        if len(self.rows):
            self.post_message(self.RowSelected(self, self.source_index(self.cursor_row)))

    def on_click(self, event: events.Click) -> None:
        """A click on a row moves the cursor there and selects it."""
        index = int(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.rows):
            self.cursor_row = index
            self.post_message(self.RowSelected(self, self.source_index(index)))

    def position_text(self) -> str:
        """`row 1,204 of 100,000`, for a screen's note line."""
        if not len(self.rows):
            return "no rows"
        return f"row {self.cursor_row + 1:,} of {len(self.rows):,}"
