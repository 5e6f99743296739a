"""Canary state from a traffic split and the registry's aliases."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backends.contracts import EndpointStatus

CHAMPION = "champion"
UNLOADED = "unloaded"


@dataclass(frozen=True)
class CanaryState:
    """Who serves most traffic (the champion) and which other version takes a slice."""

    champion: str | None
    canary: str | None
    canary_weight: int

    @property
    def label(self) -> str:
        """Words, not colour: `v4 at 10 %` or `none`."""
        if self.canary is None:
            return "none"
        return f"v{self.canary} at {self.canary_weight} %"


def canary_state(weights: Mapping[str, int], aliases: Mapping[str, str]) -> CanaryState:
    """A version other than the champion with 0 < weight < 100 is a canary."""
    champion = aliases.get(CHAMPION)
    if champion is None and weights:
        champion = max(sorted(weights), key=lambda version: weights[version])
    candidates = [
        (weight, version)
        for version, weight in weights.items()
        if version != champion and 0 < weight < 100
    ]
    if not candidates:
        return CanaryState(champion, None, 0)
    weight, version = max(candidates)
    return CanaryState(champion, version, weight)


def full_split(status: EndpointStatus) -> dict[str, int]:
    """The split with every loaded version of the endpoint, at 0 % when it takes no traffic.

    A live server lists only the weighted versions in its split; a loaded
    version at 0 % must still show (it is what a canary starts from). A server
    that reports no split at all (a foreign V2 server) with one loaded version
    sends it every request, so that version shows at 100 %, not 0 %.
    """
    loaded = [v.version for v in status.versions if v.state != UNLOADED]
    if not status.weights and len(loaded) == 1:
        return {loaded[0]: 100}
    weights = dict(status.weights)
    for version in loaded:
        weights.setdefault(version, 0)
    return weights
