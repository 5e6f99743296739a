"""Text bars of a value against its limit, readable without colour."""

from __future__ import annotations

WITHIN = "█"
OVER = "▒"
EMPTY = "·"
LIMIT = "│"


def budget_bar(value: float | None, limit: float | None, scale: float, width: int) -> str:
    """`███████│····` within the limit, `█████│▒▒▒··` over it (`▒` is the part over)."""
    if value is None or scale <= 0 or width <= 0:
        return " " * max(width, 0)
    filled = min(width, round(value / scale * width))
    mark = min(width - 1, round(limit / scale * width)) if limit is not None else None
    cells = []
    for index in range(width):
        if mark is not None and index == mark:
            cells.append(LIMIT)
        elif index < filled:
            cells.append(OVER if mark is not None and index > mark else WITHIN)
        else:
            cells.append(EMPTY)
    return "".join(cells)
