"""Line plots drawn with plotext as plain text, one marker per series: NO_COLOR reads the same."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.text import Text
from textual.widget import Widget

ANSI = re.compile(r"\x1b\[[0-9;]*m")
MARKERS: tuple[str, ...] = ("•", "+", "x", "o", "*", "#", "=", "~")
MIN_WIDTH = 30
MIN_HEIGHT = 6


@dataclass(frozen=True)
class PlotLine:
    """One series: its label, points (x, y) and the y axis it is read against."""

    label: str
    x: Sequence[float]
    y: Sequence[float]
    marker: str = MARKERS[0]
    right: bool = False


def line_plot(lines: Sequence[PlotLine], width: int, height: int) -> str:
    """The series on one x axis as text (no colour); non-finite points are left out."""
    import plotext

    plotext.terminal.limit(False, False)  # the widget's size, not the terminal's, bounds the plot
    figure = plotext.figure
    figure.clear()
    figure.theme("colorless")
    figure.plot_size(max(MIN_WIDTH, width), max(MIN_HEIGHT, height))
    drawn = 0
    for line in lines:
        points = [
            (float(x), float(y))
            for x, y in zip(line.x, line.y, strict=False)
            if math.isfinite(float(x)) and math.isfinite(float(y))
        ]
        if not points:
            continue
        xs, ys = zip(*points, strict=True)
        side = "right" if line.right else "left"
        figure.draw(figure.signal(list(xs), list(ys), marker=line.marker, yside=side))
        drawn += 1
    if not drawn:
        return "nothing to plot: no finite point in the window"
    return ANSI.sub("", str(figure.build())).rstrip()


def legend(lines: Sequence[PlotLine]) -> str:
    """`• feature_fetch  + network (right axis)`: the key that the markers stand for."""
    return "  ".join(
        f"{line.marker} {line.label}{' (right axis)' if line.right else ''}" for line in lines
    )


class LinePlot(Widget):
    """A plot drawn for the size the layout gives it (redrawn on resize), with a caption above."""

    def __init__(self, *, id: str | None = None) -> None:
        """An empty plot."""
        super().__init__(id=id)
        self.caption = ""
        self.lines: tuple[PlotLine, ...] = ()
        self.empty_text = ""

    def show(self, caption: str, lines: Sequence[PlotLine], empty_text: str = "") -> None:
        """Plot `lines` under `caption` (or say `empty_text` when there are none)."""
        self.caption = caption
        self.lines = tuple(lines)
        self.empty_text = empty_text
        self.refresh()

    def render(self) -> Text:
        """The caption and the chart at the widget's current size."""
        size = self.content_size
        if not self.lines:
            return Text(self.empty_text)
        caption = Text(self.caption)
        caption_lines = len(caption.wrap(Console(width=max(size.width, 1)), max(size.width, 1)))
        room = size.height - caption_lines
        if room < MIN_HEIGHT:
            return Text(f"{self.caption} (a taller terminal shows the plot)")
        return Text(f"{self.caption}\n{line_plot(self.lines, size.width, room)}")
