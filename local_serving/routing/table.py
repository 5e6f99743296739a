"""An immutable traffic table: the split in percent and a fast pick by weight or by key.

A change builds a new table and swaps one reference, so a request sees either the old
split or the new one, never a mix. Keys hash to a point in [0, 10000); versions own
consecutive ranges in version order, so raising a canary's weight moves only the keys
at the boundary.
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect_right
from collections.abc import Collection, Mapping
from dataclasses import dataclass

SCALE = 100  # points per percent


class WeightsError(ValueError):
    """A traffic split that is not integers in [0, 100] summing to 100 over loaded versions."""


def validate_weights(
    weights: object, loaded: Collection[str], registered: Collection[str] = ()
) -> dict[str, int]:
    """Check a split from a client; versions left out get 0."""
    if not isinstance(weights, dict) or not weights:
        raise WeightsError("'weights' must be a non-empty object of version -> integer percent")
    clean: dict[str, int] = {}
    for version, weight in weights.items():
        if not isinstance(weight, int) or isinstance(weight, bool):
            raise WeightsError(f"weight of version {version!r} must be an integer, got {weight!r}")
        if not 0 <= weight <= 100:
            raise WeightsError(f"weight of version {version!r} must be within 0..100, got {weight}")
        if registered and version not in registered and version not in loaded:
            known = ", ".join(sorted(registered))
            raise WeightsError(f"unknown version {version!r} (registered: {known})")
        if weight > 0 and version not in loaded:
            known = ", ".join(sorted(loaded)) or "none"
            raise WeightsError(f"version {version!r} is not loaded (loaded: {known})")
        clean[str(version)] = weight
    total = sum(clean.values())
    if total != 100:
        raise WeightsError(f"weights must sum to 100, got {total}")
    return {version: clean.get(version, 0) for version in sorted(set(loaded) | set(clean))}


def _version_key(version: str) -> tuple[int, int | str]:
    """Numeric versions in numeric order, then the rest by name."""
    return (0, int(version)) if version.isdigit() else (1, version)


@dataclass(frozen=True)
class TrafficTable:
    """One generation of a model's split: weights, and the cumulative ranges for picking."""

    generation: int
    weights: Mapping[str, int]
    versions: tuple[str, ...]
    bounds: tuple[int, ...]

    @classmethod
    def build(cls, generation: int, weights: Mapping[str, int]) -> TrafficTable:
        """A table for `weights`; only versions with weight take traffic."""
        ordered = sorted((v for v, w in weights.items() if w > 0), key=_version_key)
        bounds, total = [], 0
        for version in ordered:
            total += weights[version] * SCALE
            bounds.append(total)
        return cls(generation, dict(weights), tuple(ordered), tuple(bounds))

    def pick(self, key: str | None = None) -> str:
        """The version for one request: by weight, or by the hash of `key` when given."""
        if len(self.versions) == 1:
            return self.versions[0]
        point = key_point(key) if key else random.randrange(100 * SCALE)
        return self.versions[bisect_right(self.bounds, point)]


def key_point(key: str) -> int:
    """A routing key's stable point in [0, 100 * SCALE)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % (100 * SCALE)
