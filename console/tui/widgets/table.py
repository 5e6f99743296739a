"""A DataTable whose keys come from the action registry and whose rows `/` can filter.

Screens hand it every row with `show_rows`; the table keeps them and shows the
ones the active filter keeps, so a refresh never loses the filter. A filter
that keeps nothing shows one row saying so instead of an empty grid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from console.tui.actions import bindings_for

REGISTRY_ACTIONS = {binding.action for binding in bindings_for("table")}
EMPTY_KEY = "__vigil-empty__"

Row = tuple[str, Sequence[Any]]


@dataclass(frozen=True)
class TableFilter:
    """A row filter: a case-insensitive regex (or the literal text if not one), `!` inverts."""

    text: str
    body: str
    pattern: re.Pattern[str]
    inverted: bool

    @classmethod
    def parse(cls, text: str) -> TableFilter | None:
        """`fraud`, `^v[34]`, `!tablet`; empty text is no filter."""
        text = text.strip()
        inverted = text.startswith("!")
        body = text[1:].strip() if inverted else text
        if not body:
            return None
        try:
            pattern = re.compile(body, re.IGNORECASE)
        except re.error:
            pattern = re.compile(re.escape(body), re.IGNORECASE)
        return cls(text, body, pattern, inverted)

    @property
    def label(self) -> str:
        """How the header shows it: `/tablet/` or `not /tablet/`."""
        return f"not /{self.body}/" if self.inverted else f"/{self.body}/"

    def keeps(self, cells: Sequence[Any]) -> bool:
        """Whether a row's text matches (or, inverted, does not)."""
        found = self.pattern.search(" ".join(str(value) for value in cells)) is not None
        return found != self.inverted


class VigilTable(DataTable[Any], inherit_bindings=False):
    """DataTable (virtualised) with row keys from the registry instead of its hard-coded ones."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings_for("table"),
        *[
            binding
            for binding in DataTable.BINDINGS
            if isinstance(binding, Binding) and binding.action not in REGISTRY_ACTIONS
        ],
    ]

    def __init__(
        self, *args: Any, empty_text: str = "no rows", tight: bool = False, **kwargs: Any
    ) -> None:
        """A table; `empty_text` says why it is empty; `tight`: one space between columns."""
        if tight:
            kwargs["cell_padding"] = 0
        super().__init__(*args, **kwargs)
        self.gap = " " if tight else ""
        self.all_rows: list[Row] = []
        self.row_filter: TableFilter | None = None
        self.empty_text = empty_text
        self.shown = 0

    def show_rows(self, rows: Sequence[Row], empty_text: str | None = None) -> None:
        """Replace the rows (key, cells), keep the cursor on the same key, apply the filter."""
        self.all_rows = list(rows)
        if empty_text is not None:
            self.empty_text = empty_text
        self._redraw()

    def apply_filter(self, row_filter: TableFilter | None) -> None:
        """Show only the rows `row_filter` keeps (all rows with None)."""
        self.row_filter = row_filter
        self._redraw()

    def _redraw(self) -> None:
        """Clear and refill from `all_rows` through the filter."""
        selected = self.selected_key()
        kept = [
            (key, cells)
            for key, cells in self.all_rows
            if self.row_filter is None or self.row_filter.keeps(cells)
        ]
        self.clear()
        self.shown = len(kept)
        for key, cells in kept:
            self.add_row(*(f"{self.gap}{value}" for value in cells), key=key)
        if not kept:
            self._add_empty_row()
        keys = [key for key, _ in kept]
        if selected in keys:
            self.move_cursor(row=keys.index(selected))

    def _add_empty_row(self) -> None:
        """One row that says why the table is empty."""
        if not self.columns:
            return
        if self.row_filter is not None and self.all_rows:
            text = f"no row matches {self.row_filter.label} (Escape clears the filter)"
        else:
            text = self.empty_text
        blanks = [""] * (len(self.columns) - 1)
        self.add_row(f"{self.gap}{text}", *blanks, key=EMPTY_KEY)

    def set_columns(self, labels: Sequence[str]) -> None:
        """Replace every column (and row) with columns headed `labels`."""
        self.clear(columns=True)
        self.add_columns(*(f"{self.gap}{label}" for label in labels))

    def selected_key(self) -> str | None:
        """The key of the row under the cursor (None on an empty table)."""
        if self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return None if key is None or key == EMPTY_KEY else str(key)

    def shown_text(self) -> str:
        """`3 of 12 rows`."""
        return f"{self.shown} of {len(self.all_rows)} rows"
