"""One served model: its loaded versions, the current traffic table and in-flight counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from local_serving.routing import TrafficTable

if TYPE_CHECKING:
    from local_serving.metrics.serving import VersionMetrics
    from local_serving.runtimes import Runner
    from local_serving.source import ModelEntry, VersionEntry


@dataclass
class LoadedVersion:
    """A version the server holds: its runner once ready, its metric handles, its load."""

    entry: VersionEntry
    state: str = "loading"
    runner: Runner | None = None
    metrics: VersionMetrics | None = None
    error: str = ""
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    inflight: int = 0

    def describe(self) -> dict[str, object]:
        """The version as the admin API shows it."""
        runner = self.runner
        return {
            "version": self.entry.version,
            "state": self.state,
            "runtime": self.entry.runtime,
            "runtime_version": runner.runtime_version if runner else "",
            "platform": runner.platform if runner else "",
            "aliases": list(self.entry.aliases),
            "loaded_at": self.loaded_at.isoformat(),
            "inflight": self.inflight,
            "error": self.error,
        }


class ServedModel:
    """A model's versions and traffic; the table is replaced, never mutated."""

    def __init__(self, entry: ModelEntry) -> None:
        """Start with no version loaded and an empty table."""
        self.entry = entry
        self.name = entry.name
        self.versions: dict[str, LoadedVersion] = {}
        self.table = TrafficTable.build(0, {})
        self.inflight_by_generation: dict[int, int] = {}
        self.shadow: tuple[str, int] | None = None

    @property
    def ready(self) -> bool:
        """True when every weighted version is ready to take traffic."""
        return bool(self.table.versions) and all(
            v in self.versions and self.versions[v].state == "ready" for v in self.table.versions
        )

    def ready_versions(self) -> list[str]:
        """Versions that can take traffic."""
        return [name for name, v in self.versions.items() if v.state == "ready"]

    def enter(self, generation: int, loaded: LoadedVersion) -> None:
        """Count a request routed under `generation` to `loaded`."""
        counts = self.inflight_by_generation
        counts[generation] = counts.get(generation, 0) + 1
        loaded.inflight += 1

    def leave(self, generation: int, loaded: LoadedVersion) -> None:
        """The request is done."""
        counts = self.inflight_by_generation
        left = counts[generation] - 1
        if left:
            counts[generation] = left
        else:
            del counts[generation]
        loaded.inflight -= 1

    def routed_before(self, generation: int) -> int:
        """Requests still in flight that were routed by a table older than `generation`."""
        return sum(n for g, n in self.inflight_by_generation.items() if g < generation)

    def describe(self, known: list[str]) -> dict[str, object]:
        """The model as GET /admin/models/{m} returns it; `known` adds unloaded versions."""
        versions = [v.describe() for v in self.versions.values()]
        versions += [
            {"version": name, "state": "unloaded", "runtime": "", "aliases": []}
            for name in known
            if name not in self.versions
        ]
        weights = {name: self.table.weights.get(name, 0) for name in self.versions}
        shadow = {"version": self.shadow[0], "percent": self.shadow[1]} if self.shadow else None
        return {
            "model": self.name,
            "versions": versions,
            "weights": weights,
            "generation": self.table.generation,
            "ready": self.ready,
            "shadow": shadow,
        }
