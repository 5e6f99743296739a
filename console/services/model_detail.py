"""What the model screen shows: versions, aliases, traffic split, lineage and open incidents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from console.services.backends import BackendSource
from console.services.canary import CanaryState, canary_state, full_split
from console.services.clock import Clock, utc_now
from console.services.overview import TIMEOUT_S, aliases_of
from console.services.reading import Reading, describe_error, read


@dataclass(frozen=True)
class ModelDetail:
    """One model's registry entry and live serving state, each read separately."""

    name: str
    model: Reading[Any]
    traffic: Reading[Mapping[str, int]]
    version_states: Reading[Mapping[str, str]]
    canary: Reading[CanaryState]
    incidents: Reading[list[Any]]
    live: Reading[bool]
    not_found: str | None = None

    def readings(self) -> dict[str, Reading[Any]]:
        """The fields by panel name, for staleness and error display."""
        return {
            "registry": self.model,
            "traffic": self.traffic,
            "incidents": self.incidents,
        }

    def merged_with(self, previous: ModelDetail | None) -> ModelDetail:
        """After a refresh, keep the last good value of each field that failed this time."""
        if previous is None or previous.name != self.name:
            return self
        return ModelDetail(
            self.name,
            self.model.keep_last_good(previous.model),
            self.traffic.keep_last_good(previous.traffic),
            self.version_states.keep_last_good(previous.version_states),
            self.canary.keep_last_good(previous.canary),
            self.incidents.keep_last_good(previous.incidents),
            self.live.keep_last_good(previous.live),
            self.not_found,
        )


def build_model_detail(
    source: BackendSource,
    name: str,
    *,
    timeout_s: float = TIMEOUT_S,
    clock: Clock = utc_now,
) -> ModelDetail:
    """Read one model's registry entry, serving status and incidents."""
    missing: list[str] = []

    def lookup() -> Any:
        """The registry entry; a model the registry does not know is remembered as such."""
        from backends.contracts import NotFoundError

        try:
            return source.registry.get_model(name)
        except NotFoundError as error:
            missing.append(describe_error(error))
            raise

    model = read(lookup, source="registry", timeout_s=timeout_s, clock=clock)
    status = read(
        lambda: source.serving.status(name), source="serving", timeout_s=timeout_s, clock=clock
    )
    traffic: Reading[Mapping[str, int]] = status.map(full_split)
    states: Reading[Mapping[str, str]] = status.map(
        lambda s: {v.version: v.state for v in s.versions}
    )
    aliases = aliases_of(model.value) if model.value is not None else {}
    canary = traffic.map(lambda weights: canary_state(weights, aliases))
    incidents = read(
        lambda: list(source.incidents.incidents(name)),
        source="incidents",
        timeout_s=timeout_s,
        clock=clock,
    )
    live = status.map(lambda s: bool(s.live))
    not_found = missing[0] if missing else None
    return ModelDetail(name, model, traffic, states, canary, incidents, live, not_found)
