"""Severity bands for PSI as named profiles: where stable ends and action starts."""

from __future__ import annotations

from dataclasses import dataclass

STABLE = "stable"
INVESTIGATE = "investigate"
ACT = "act"
NO_DATA = "no-data"
INSUFFICIENT = "insufficient"
STATUS_ORDER: dict[str, int] = {NO_DATA: -1, INSUFFICIENT: -1, STABLE: 0, INVESTIGATE: 1, ACT: 2}


@dataclass(frozen=True)
class Profile:
    """A banding profile: PSI below `investigate` is stable, above `act` calls for action."""

    name: str
    investigate: float
    act: float
    description: str

    def status(self, value: float | None) -> str:
        """The band a PSI value falls in; None (no answer) is `no-data`."""
        if value is None:
            return NO_DATA
        if value > self.act:
            return ACT
        if value >= self.investigate:
            return INVESTIGATE
        return STABLE

    def to_dict(self) -> dict[str, object]:
        """The profile as plain JSON values."""
        return {
            "name": self.name,
            "investigate": self.investigate,
            "act": self.act,
            "description": self.description,
        }


PROFILES: dict[str, Profile] = {
    "strict": Profile("strict", 0.1, 0.2, "book: < 0.1 stable, 0.1–0.2 investigate, > 0.2 act"),
    "classic": Profile(
        "classic", 0.1, 0.25, "industry: < 0.1 stable, 0.1–0.25 investigate, > 0.25 act"
    ),
}
DEFAULT_PROFILE = "strict"


def get_profile(name: str) -> Profile:
    """A profile by name; an unknown name is a ValueError listing the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r} (known: {', '.join(PROFILES)})") from None
