"""Minimal Prometheus metric families and the text exposition format (version 0.0.4).

Children are plain objects updated from the event loop; `observe` is a bisect and two
additions, so the request path pays a few hundred nanoseconds per observation.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_INF = math.inf


def _escape(value: str) -> str:
    """A label value escaped as the exposition format requires."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    """`{a="x",b="y"}` with an optional extra pair already formatted."""
    pairs = [f'{name}="{_escape(value)}"' for name, value in zip(names, values, strict=True)]
    if extra:
        pairs.append(extra)
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _number(value: float) -> str:
    """A sample value: integers without a fraction, infinities as Prometheus spells them."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


class CounterChild:
    """One labelled counter."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        """Start at zero."""
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        """Add to the counter."""
        self.value += amount


class GaugeChild:
    """One labelled gauge."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        """Start at zero."""
        self.value = 0.0

    def set(self, value: float) -> None:
        """Set the gauge."""
        self.value = value


class HistogramChild:
    """One labelled histogram: per-bucket counts (non-cumulative), sum and count."""

    __slots__ = ("bounds", "count", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        """Empty buckets for `bounds` plus +Inf."""
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        """Count one value into the first bucket whose upper bound is >= it."""
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1

    def observe_many(self, values: Iterable[float]) -> None:
        """Count several finite values (NaN and ±Inf skipped: an Inf would poison the sum)."""
        bounds, counts = self.bounds, self.counts
        total, n = 0.0, 0
        for value in values:
            if -_INF < value < _INF:
                counts[bisect_left(bounds, value)] += 1
                total += value
                n += 1
        self.sum += total
        self.count += n

    def observe_array(self, values: np.ndarray) -> None:
        """Count the finite values of an array at once (a large batch; same buckets as above)."""
        import numpy as np

        finite = values[np.isfinite(values)]
        buckets = np.bincount(
            np.searchsorted(self.bounds, finite, side="left"), minlength=len(self.counts)
        )
        for index in np.flatnonzero(buckets).tolist():
            self.counts[index] += int(buckets[index])
        self.sum += float(finite.sum(dtype=np.float64))
        self.count += int(finite.size)


class Family:
    """A metric family: name, help, type, label names and its children by label values."""

    def __init__(
        self,
        name: str,
        help_text: str,
        kind: str,
        labelnames: Sequence[str],
        bounds: Sequence[float] = (),
    ) -> None:
        """Describe the family; children are created on first use."""
        self.name = name
        self.help = help_text
        self.kind = kind
        self.labelnames = tuple(labelnames)
        self.bounds = tuple(sorted(float(b) for b in bounds))
        self.children: dict[tuple[str, ...], CounterChild | GaugeChild | HistogramChild] = {}

    def child(self, *values: str) -> CounterChild | GaugeChild | HistogramChild:
        """The child for these label values, created when first asked for."""
        found = self.children.get(values)
        if found is None:
            if self.kind == "histogram":
                found = HistogramChild(self.bounds)
            elif self.kind == "gauge":
                found = GaugeChild()
            else:
                found = CounterChild()
            self.children[values] = found
        return found

    def counter(self, *values: str) -> CounterChild:
        """A counter child."""
        found = self.child(*values)
        assert isinstance(found, CounterChild)
        return found

    def gauge(self, *values: str) -> GaugeChild:
        """A gauge child."""
        found = self.child(*values)
        assert isinstance(found, GaugeChild)
        return found

    def histogram(self, *values: str) -> HistogramChild:
        """A histogram child."""
        found = self.child(*values)
        assert isinstance(found, HistogramChild)
        return found

    def histogram_with(self, bounds: Sequence[float], *values: str) -> HistogramChild:
        """A histogram child with its own bounds (feature histograms differ per feature)."""
        found = self.children.get(values)
        if not isinstance(found, HistogramChild):
            found = HistogramChild(tuple(sorted(float(b) for b in bounds)))
            self.children[values] = found
        return found

    def remove(self, *values: str) -> None:
        """Drop a child (a version that was unloaded)."""
        self.children.pop(values, None)

    def render(self) -> Iterable[str]:
        """The family's lines in the text exposition format."""
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} {self.kind}"
        for values, child in list(self.children.items()):
            if isinstance(child, HistogramChild):
                cumulative = 0
                for bound, count in zip((*child.bounds, math.inf), child.counts, strict=True):
                    cumulative += count
                    le = f'le="{_number(bound)}"'
                    yield f"{self.name}_bucket{_labels(self.labelnames, values, le)} {cumulative}"
                labels = _labels(self.labelnames, values)
                yield f"{self.name}_sum{labels} {_number(child.sum)}"
                yield f"{self.name}_count{labels} {child.count}"
            else:
                yield f"{self.name}{_labels(self.labelnames, values)} {_number(child.value)}"


def render(families: Iterable[Family]) -> bytes:
    """Every family in one exposition document."""
    lines: list[str] = []
    for family in families:
        lines.extend(family.render())
    lines.append("")
    return "\n".join(lines).encode()
