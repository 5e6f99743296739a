"""Loads versions, and applies admin changes atomically: swap the table, then drain.

All state changes run on the event loop (loading runs in a worker thread), so a
request sees one table from routing to response. After a traffic change returns,
no request routed by an older table is still in flight.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from local_serving.metrics.serving import DEFAULT_FEATURE_BUCKETS, VersionMetrics
from local_serving.models.served import LoadedVersion, ServedModel
from local_serving.routing import TrafficTable, WeightsError, validate_weights
from local_serving.runtimes import RuntimeLoadError, load_runner

if TYPE_CHECKING:
    from local_serving.metrics.serving import ServingMetrics
    from local_serving.source import ModelEntry, Workspace

log = logging.getLogger("local_serving")
DRAIN_POLL_S = 0.001


class AdminError(Exception):
    """An admin change refused: the HTTP status, the reason, and fields for the error body."""

    def __init__(
        self, status: int, message: str, fields: Mapping[str, object] | None = None
    ) -> None:
        """Keep the status and any extra body fields next to the message."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = dict(fields or {})


def _version_order(version: str) -> tuple[int, int | str]:
    """Numeric versions numerically, then the rest by name."""
    return (0, int(version)) if version.isdigit() else (1, version)


def initial_weights(entry: ModelEntry) -> dict[str, int]:
    """The stored split when it is valid, else 100 % to the champion (or the newest)."""
    stored = {v: int(w) for v, w in entry.weights.items() if entry.version(v) is not None}
    if stored and sum(stored.values()) == 100:
        return stored
    if not entry.versions:
        return {}
    champion = next(
        (v for v in entry.versions if {"champion", "production"} & set(v.aliases)), None
    )
    newest = max(entry.versions, key=lambda v: _version_order(v.version))
    return {(champion or newest).version: 100}


def _table_fields(served: ServedModel) -> dict[str, object]:
    """The current generation and split, for an error body that lets a client re-plan."""
    weights = {name: served.table.weights.get(name, 0) for name in served.versions}
    return {"generation": served.table.generation, "weights": weights}


class ModelManager:
    """Every served model, and the admin operations on them."""

    def __init__(
        self,
        workspace: Workspace,
        metrics: ServingMetrics,
        *,
        all_versions: bool = False,
        drain_timeout_s: float = 10.0,
        feature_histograms: int = 8,
    ) -> None:
        """Remember the options; `load_all` does the loading."""
        self.workspace = workspace
        self.metrics = metrics
        self.all_versions = all_versions
        self.drain_timeout_s = drain_timeout_s
        self.feature_histograms = feature_histograms
        self.models: dict[str, ServedModel] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def load_all(self) -> None:
        """Load and warm up the start-up versions of every model (before serving)."""
        for entry in self.workspace.models():
            if not entry.versions:
                log.info("model %s has no version yet; not served", entry.name)
                continue
            served = ServedModel(entry)
            self.models[entry.name] = served
            weights = initial_weights(entry)
            wanted = {v.version for v in entry.versions if self.all_versions or v.aliases}
            for version in sorted(wanted | set(weights), key=_version_order):
                version_entry = entry.version(version)
                if version_entry is not None:
                    loaded = LoadedVersion(version_entry)
                    served.versions[version] = loaded
                    self._load_runner(served, loaded)
            ready = served.ready_versions()
            weights = {v: w for v, w in weights.items() if v in ready}
            if weights and sum(weights.values()) != 100:
                top = max(weights, key=lambda v: weights[v])
                weights[top] += 100 - sum(weights.values())
            self._swap(served, weights)
            log.info("model %s: loaded %s, weights %s", entry.name, ready, weights)

    def _load_runner(self, served: ServedModel, loaded: LoadedVersion) -> LoadedVersion:
        """Load and warm up a version's runner in this thread; a failure leaves it `failed`.

        Only the version's own fields change here, so the event loop can keep reading
        the model's versions while a worker thread runs this.
        """
        entry = loaded.entry
        width = served.entry.layout(entry).width
        try:
            runner = load_runner(entry.runtime, entry.artifact, width or None)
        except RuntimeLoadError as error:
            loaded.state, loaded.error = "failed", str(error)
            log.error("model %s version %s failed to load: %s", served.name, entry.version, error)
            return loaded
        loaded.runner = runner
        loaded.metrics = VersionMetrics(
            self.metrics, served.name, entry.version, self._feature_bounds(served)
        )
        loaded.state = "ready"
        self.metrics.ready.gauge(served.name, entry.version).set(1)
        return loaded

    def _feature_bounds(self, served: ServedModel) -> list[tuple[str, tuple[float, ...]]]:
        """The features that get a histogram, with their bucket bounds."""
        chosen = served.entry.features[: self.feature_histograms]
        bounds = served.entry.feature_bounds
        return [(name, tuple(bounds.get(name, DEFAULT_FEATURE_BUCKETS))) for name in chosen]

    def _swap(self, served: ServedModel, weights: Mapping[str, int]) -> None:
        """Install a new table (one reference assignment) and update the weight gauges."""
        served.table = TrafficTable.build(served.table.generation + 1, weights)
        for version in served.versions:
            self.metrics.weight.gauge(served.name, version).set(weights.get(version, 0))

    def served(self, model: str) -> ServedModel:
        """A served model, or a 404."""
        served = self.models.get(model)
        if served is None:
            known = ", ".join(sorted(self.models)) or "none"
            raise AdminError(404, f"unknown model {model!r} (served: {known})")
        return served

    def _lock(self, model: str) -> asyncio.Lock:
        """One lock per model: admin changes to a model run one at a time."""
        return self._locks.setdefault(model, asyncio.Lock())

    def known_versions(self, served: ServedModel) -> list[str]:
        """Registered version names (the snapshot refreshed on load and unknown weights)."""
        return [v.version for v in served.entry.versions]

    async def set_weights(
        self, model: str, weights: object, if_generation: int | None = None
    ) -> dict[str, int]:
        """Validate, swap atomically, wait for older routes to finish; returns the split.

        With `if_generation`, a table of another generation is a 409 and nothing changes.
        A drain that times out swaps the old split back before the 503, so a refused
        change leaves the weights as they were (under a newer generation).
        """
        served = self.served(model)
        async with self._lock(model):
            if if_generation is not None and if_generation != served.table.generation:
                raise AdminError(
                    409,
                    f"the split changed since generation {if_generation} "
                    f"(now {served.table.generation}); re-read it and retry",
                    _table_fields(served),
                )
            if isinstance(weights, dict) and not set(weights) <= set(self.known_versions(served)):
                fresh = await asyncio.to_thread(self.workspace.model, model)
                served.entry = fresh or served.entry
            try:
                registered = self.known_versions(served)
                clean = validate_weights(weights, served.ready_versions(), registered)
            except WeightsError as error:
                raise AdminError(400, str(error)) from error
            before = dict(served.table.weights)
            self._swap(served, clean)
            try:
                await self._drain(lambda: served.routed_before(served.table.generation) == 0)
            except AdminError as error:
                self._swap(served, before)
                message = f"{error.message}; the split was put back as it was"
                raise AdminError(error.status, message, _table_fields(served)) from error
            return clean

    async def _served_or_new(self, model: str) -> ServedModel:
        """A served model, or one registered since start-up (served from now on)."""
        if model not in self.models:
            fresh = await asyncio.to_thread(self.workspace.model, model)
            if fresh is not None and model not in self.models:
                self.models[model] = ServedModel(fresh)
        return self.served(model)

    async def load(self, model: str, version: str) -> LoadedVersion:
        """Load and warm up a version in a worker thread; it takes no traffic until weighted.

        The first version loaded for a model with no traffic gets it all (the champion's
        if it is loaded, else the newest loaded).
        """
        served = await self._served_or_new(model)
        async with self._lock(model):
            current = served.versions.get(version)
            if current is not None and current.state == "ready":
                return current
            fresh = await asyncio.to_thread(self.workspace.model, model)
            entry = (fresh or served.entry).version(version)
            if entry is None:
                known = ", ".join(self.known_versions(served))
                raise AdminError(404, f"model {model!r} has no version {version!r} ({known})")
            if fresh is not None:
                served.entry = fresh
            loaded = LoadedVersion(entry)
            served.versions[version] = loaded
            await asyncio.to_thread(self._load_runner, served, loaded)
            if loaded.state == "failed":
                raise AdminError(500, f"version {version!r} failed to load: {loaded.error}")
            if not served.table.versions:
                ready = set(served.ready_versions())
                weights = initial_weights(served.entry)
                self._swap(served, weights if set(weights) <= ready else {version: 100})
            self.metrics.weight.gauge(model, version).set(served.table.weights.get(version, 0))
            return loaded

    async def unload(self, model: str, version: str) -> None:
        """Unload a version with no weight, after its in-flight requests finish."""
        served = self.served(model)
        async with self._lock(model):
            loaded = served.versions.get(version)
            if loaded is None:
                raise AdminError(404, f"version {version!r} of {model!r} is not loaded")
            weight = served.table.weights.get(version, 0)
            if weight > 0:
                raise AdminError(
                    409, f"version {version!r} still has {weight}% of traffic; move it first"
                )
            if served.shadow and served.shadow[0] == version:
                served.shadow = None
            del served.versions[version]
            await self._drain(lambda: loaded.inflight == 0)
            bounds = self._feature_bounds(served)
            self.metrics.forget_version(model, version, [name for name, _ in bounds])

    async def set_shadow(self, model: str, version: str | None, percent: int) -> None:
        """Mirror `percent` of requests to `version` (None stops mirroring)."""
        served = self.served(model)
        async with self._lock(model):
            if version is None:
                served.shadow = None
                return
            if version not in served.ready_versions():
                raise AdminError(400, f"shadow version {version!r} is not loaded")
            served.shadow = (version, percent)

    async def _drain(self, done: Callable[[], bool]) -> None:
        """Wait (bounded) until `done()` is true."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.drain_timeout_s
        while not done():
            if loop.time() > deadline:
                raise AdminError(503, "in-flight requests did not finish within the drain timeout")
            await asyncio.sleep(DRAIN_POLL_S)
