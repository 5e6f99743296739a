"""ServingControl, SupportsTrafficSplit, SupportsRollback and SupportsLoad in memory.

Every registered version is held by the in-memory server, loaded, at weight 0
until a split names it; a model with no split yet sends everything to its
champion. Weights are checked as the embedded store checks them. Each change
of a split is a new generation, so a compare-and-set change (`set_weights_if`,
`rollback_if`) is refused with TrafficConflict, changing nothing, when the split
moved since the caller read it; the journal notes `if_generation N` first.
"""

from __future__ import annotations

from collections.abc import Mapping

from backends.contracts import EndpointStatus, TrafficConflict, VersionState
from backends.memory.registry import MemoryRegistry

URL = "memory://"


class MemoryServing(MemoryRegistry):
    """Traffic splits and loaded versions per model, changed atomically under one lock."""

    def __init__(self) -> None:
        """No split set and nothing unloaded."""
        super().__init__()
        self._weights: dict[str, dict[str, int]] = {}
        self._loaded: dict[tuple[str, str], str] = {}
        self._generations: dict[str, int] = {}

    def endpoints(self) -> list[EndpointStatus]:
        """Every registered model, by name."""
        self._check("serving")
        with self._lock:
            return [self._status(name) for name in sorted(self._models)]

    def status(self, model: str) -> EndpointStatus:
        """One model's split and versions; raises NotFoundError."""
        self._check("serving")
        with self._lock:
            return self._status(model)

    def set_weights(self, model: str, weights: Mapping[str, int]) -> EndpointStatus:
        """Set integer percent weights summing to 100; versions at 0 % drop out of the split."""
        from backends.embedded.serving import validate_weights

        self._check("serving")
        with self._lock:
            checked = validate_weights(weights, list(self._entry(model).versions))
            self._record("set_weights", checked)
            return self._apply(model, {v: w for v, w in checked.items() if w})

    def set_weights_if(
        self, model: str, weights: Mapping[str, int], expected: EndpointStatus
    ) -> EndpointStatus:
        """Set the split only while it is still `expected` (generation, else weights)."""
        with self._lock:
            self._expect(model, expected)
            return self.set_weights(model, weights)

    def rollback_if(self, model: str, to_version: str, expected: EndpointStatus) -> EndpointStatus:
        """Route 100 % to `to_version` only while the split is still `expected`."""
        with self._lock:
            self._expect(model, expected)
            return self.rollback(model, to_version)

    def rollback(self, model: str, to_version: str) -> EndpointStatus:
        """Route 100 % to `to_version`."""
        from backends.embedded.serving import validate_weights

        self._check("serving")
        with self._lock:
            validate_weights({to_version: 100}, list(self._entry(model).versions))
            self._record("rollback", to_version)
            return self._apply(model, {to_version: 100})

    def load(self, model: str, version: str) -> EndpointStatus:
        """Load a version; it takes no traffic until weighted."""
        self._check("serving")
        with self._lock:
            self._known_version(model, version)
            self._record("load", version)
            self._loaded[(model, version)] = "ready"
            return self._status(model)

    def unload(self, model: str, version: str) -> EndpointStatus:
        """Unload a version that has no weight."""
        self._check("serving")
        with self._lock:
            self._known_version(model, version)
            if self._split(model).get(version):
                raise ValueError(
                    f"{model} version {version} still takes traffic; unweight it first"
                )
            self._record("unload", version)
            self._loaded[(model, version)] = "unloaded"
            return self._status(model)

    def _version_registered(self, model: str, version: str) -> None:
        """A new version is loaded and takes no traffic."""
        self._loaded.setdefault((model, version), "ready")

    def _known_version(self, model: str, version: str) -> None:
        """ValueError unless `version` is registered for `model` (NotFoundError for the model)."""
        known = list(self._entry(model).versions)
        if version not in known:
            raise ValueError(f"unknown version {version!r} (known: {', '.join(known) or 'none'})")

    def _expect(self, model: str, expected: EndpointStatus) -> None:
        """TrafficConflict, changing nothing, unless the split is still the one `expected` saw."""
        self._check("serving")
        current = self._status(model)
        self._record("if_generation", expected.generation)
        if expected.generation is not None:
            moved = expected.generation != current.generation
        else:
            moved = dict(expected.weights) != dict(current.weights)
        if moved:
            raise TrafficConflict(
                f"the split of {model} changed since it was read (now generation "
                f"{current.generation}: {dict(current.weights)})",
                current=current,
            )

    def _apply(self, model: str, weights: dict[str, int]) -> EndpointStatus:
        """Swap the split in one assignment: a new generation."""
        self._weights[model] = weights
        self._generations[model] = self._generations.get(model, 0) + 1
        return self._status(model)

    def _split(self, model: str) -> dict[str, int]:
        """The split in force: the one set, else 100 % to the champion (else nothing)."""
        entry = self._entry(model)
        if model in self._weights:
            return dict(self._weights[model])
        champion = entry.aliases.get("champion")
        return {champion: 100} if champion else {}

    def _status(self, model: str) -> EndpointStatus:
        """The EndpointStatus of a model as the in-memory server holds it."""
        entry = self._entry(model)
        versions = tuple(
            VersionState(v.version, self._loaded.get((model, v.version), "ready"), v.runtime)  # type: ignore[arg-type]
            for v in sorted(entry.versions.values(), key=lambda v: (v.created_at, v.version))
        )
        return EndpointStatus(
            model=model,
            versions=versions,
            weights=self._split(model),
            healthy=True,
            url=URL,
            live=True,
            generation=self._generations.get(model, 0),
        )
