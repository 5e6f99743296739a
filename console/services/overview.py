"""One `OverviewRow` per model, each field read separately so one failure degrades one column."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.services.backends import BackendSource
from console.services.canary import CanaryState, canary_state, full_split
from console.services.clock import Clock, utc_now
from console.services.metrics_window import P99, ErrorRate, error_rate, latest_point, p99
from console.services.reading import Reading, read

WINDOW_MINUTES = 5
TIMEOUT_S = 10.0
SEVERITIES = ("P0", "P1", "P2", "P3")


@dataclass(frozen=True)
class OpenIncidents:
    """How many incidents are open on a model and the worst severity among them."""

    count: int
    worst: str | None

    @property
    def label(self) -> str:
        """`0` or `2 (P1)`."""
        return f"{self.count} ({self.worst})" if self.count else "0"


@dataclass(frozen=True)
class OverviewRow:
    """One model on the overview: registry facts plus one stamped reading per live number."""

    model: str
    task: str
    slo_p99_ms: float | None
    versions: tuple[str, ...]
    aliases: Mapping[str, str]
    traffic: Reading[Mapping[str, int]]
    canary: Reading[CanaryState]
    latest: Reading[datetime]
    error_rate: Reading[ErrorRate]
    p99: Reading[P99]
    incidents: Reading[OpenIncidents]

    def readings(self) -> dict[str, Reading[Any]]:
        """The live fields by column name, for staleness and error display."""
        return {
            "traffic": self.traffic,
            "canary": self.canary,
            "error rate": self.error_rate,
            "p99": self.p99,
            "incidents": self.incidents,
        }

    def merged_with(self, previous: OverviewRow | None) -> OverviewRow:
        """After a refresh, keep the last good value of each field that failed this time."""
        if previous is None:
            return self
        return OverviewRow(
            self.model,
            self.task,
            self.slo_p99_ms,
            self.versions,
            self.aliases,
            self.traffic.keep_last_good(previous.traffic),
            self.canary.keep_last_good(previous.canary),
            self.latest.keep_last_good(previous.latest),
            self.error_rate.keep_last_good(previous.error_rate),
            self.p99.keep_last_good(previous.p99),
            self.incidents.keep_last_good(previous.incidents),
        )


@dataclass(frozen=True)
class Overview:
    """Every model's row, or the registry error that left the list empty."""

    models: Reading[tuple[str, ...]]
    rows: tuple[OverviewRow, ...] = field(default_factory=tuple)
    window_minutes: int = WINDOW_MINUTES

    def merged_with(self, previous: Overview | None) -> Overview:
        """Keep last good values per field (and the last good rows if the registry failed)."""
        if previous is None:
            return self
        rows = self.rows if self.models.ok or self.rows else previous.rows
        before = {row.model: row for row in previous.rows}
        merged = tuple(row.merged_with(before.get(row.model)) for row in rows)
        return Overview(self.models.keep_last_good(previous.models), merged, self.window_minutes)


def build_overview(
    source: BackendSource,
    *,
    window_minutes: int = WINDOW_MINUTES,
    timeout_s: float = TIMEOUT_S,
    clock: Clock = utc_now,
    known: Overview | None = None,
) -> Overview:
    """Read every model's row from the context's backends, rows in parallel.

    When the registry fails, the `known` rows (the last shown) keep their registry
    facts and their live fields are read again: a down registry degrades only itself.
    """
    listed = read(
        lambda: source.registry.list_models(), source="registry", timeout_s=timeout_s, clock=clock
    )
    if not listed.ok or listed.value is None:
        failed: Reading[tuple[str, ...]] = Reading(
            None, listed.read_at, "registry", listed.error, listed.elapsed_s
        )
        last = known.rows if known is not None else ()
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(last)))) as pool:
            again = tuple(
                pool.map(lambda r: _reread(source, r, window_minutes, timeout_s, clock), last)
            )
        return Overview(failed, again, window_minutes)
    models = sorted(listed.value, key=lambda model: model.name)
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(models)))) as pool:
        rows = tuple(pool.map(lambda m: _row(source, m, window_minutes, timeout_s, clock), models))
    names = tuple(model.name for model in models)
    return Overview(
        Reading(names, listed.read_at, "registry", None, listed.elapsed_s), rows, window_minutes
    )


def aliases_of(model: Any) -> dict[str, str]:
    """alias → version for a registry Model."""
    return {alias: v.version for v in model.versions for alias in v.aliases}


def _row(
    source: BackendSource, model: Any, minutes: int, timeout_s: float, clock: Clock
) -> OverviewRow:
    """One registry model's row: its registry facts and its live fields read now."""
    versions = tuple(v.version for v in model.versions)
    aliases = aliases_of(model)
    live = _live(source, model.name, aliases, minutes, timeout_s, clock)
    return OverviewRow(model.name, str(model.task), model.slo_p99_ms, versions, aliases, *live)


def _reread(
    source: BackendSource, row: OverviewRow, minutes: int, timeout_s: float, clock: Clock
) -> OverviewRow:
    """A known row's registry facts kept (the registry is down) and its live fields read now."""
    live = _live(source, row.model, row.aliases, minutes, timeout_s, clock)
    return OverviewRow(row.model, row.task, row.slo_p99_ms, row.versions, row.aliases, *live)


def _live(
    source: BackendSource,
    name: str,
    aliases: Mapping[str, str],
    minutes: int,
    timeout_s: float,
    clock: Clock,
) -> tuple[
    Reading[Mapping[str, int]],
    Reading[CanaryState],
    Reading[datetime],
    Reading[ErrorRate],
    Reading[P99],
    Reading[OpenIncidents],
]:
    """Read one model's live fields (traffic, canary, latest point, errors, p99, incidents)."""
    traffic: Reading[Mapping[str, int]] = read(
        lambda: full_split(source.serving.status(name)),
        source="serving",
        timeout_s=timeout_s,
        clock=clock,
    )
    canary = traffic.map(lambda weights: canary_state(weights, aliases))
    latest = read(
        lambda: _require(latest_point(source.metrics, name, clock())),
        source="metrics",
        timeout_s=timeout_s,
        clock=clock,
    )
    if latest.value is not None:
        end = latest.value
        rate = read(
            lambda: error_rate(source.metrics, name, end, minutes),
            source="metrics",
            timeout_s=timeout_s,
            clock=clock,
        )
        latency = read(
            lambda: p99(source.metrics, name, end, minutes),
            source="metrics",
            timeout_s=timeout_s,
            clock=clock,
        )
    else:
        rate = Reading(None, latest.read_at, "metrics", latest.error)
        latency = Reading(None, latest.read_at, "metrics", latest.error)
    incidents = read(
        lambda: _open_incidents(source.incidents.incidents(name, open_only=True)),
        source="incidents",
        timeout_s=timeout_s,
        clock=clock,
    )
    return traffic, canary, latest, rate, latency, incidents


def _require(latest: datetime | None) -> datetime:
    """The latest point, or an error that says there is no data."""
    if latest is None:
        raise LookupError("no requests_total data in the last 30 days")
    return latest


def _open_incidents(incidents: list[Any]) -> OpenIncidents:
    """Count open incidents and find the worst severity."""
    severities = [i.severity for i in incidents if i.severity in SEVERITIES]
    worst = min(severities, key=SEVERITIES.index) if severities else None
    return OpenIncidents(len(incidents), worst)
