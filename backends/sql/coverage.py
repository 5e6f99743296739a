"""Where a window's rows lie, counted by the engine: rows, first and last time per minute, one gap.

Drift from counts still says what its window covers (the rows, the first and
last request, the longest stretch without any) as the rows path does. One
GROUP BY gives each minute's rows and first and last instant; the widest gap
between two rows is exact from those whenever it spans more than a minute
(a gap inside a minute is shorter). Only a window without such a gap asks the
engine for the widest gap between consecutive rows (LAG over the window).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement


def minutes_statement(
    table: sa.TableClause, ts: str, where: Sequence[ColumnElement[bool]]
) -> sa.Select[int, Any, Any]:
    """Per minute holding rows: how many, the first and the last instant, oldest first."""
    column = table.c[ts]
    minute = sa.func.date_trunc("minute", column)
    first = sa.func.min(column)
    rows: ColumnElement[int] = sa.func.count()
    return (
        sa.select(rows, first, sa.func.max(column)).where(*where).group_by(minute).order_by(first)
    )


def widest_gap_statement(
    table: sa.TableClause, ts: str, where: Sequence[ColumnElement[bool]]
) -> sa.Select[Any, Any]:
    """The instants either side of the widest gap between consecutive rows (ties: the earliest)."""
    column = table.c[ts]
    paired = (
        sa.select(sa.func.lag(column).over(order_by=column).label("before"), column.label("after"))
        .where(*where)
        .subquery("paired")
    )
    gap = paired.c.after - paired.c.before
    return (
        sa.select(paired.c.before, paired.c.after)
        .where(paired.c.before.is_not(None))
        .order_by(gap.desc(), paired.c.after)
        .limit(1)
    )
