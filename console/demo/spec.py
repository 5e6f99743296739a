"""What the demo builds: sizes, seed and the end of its history, with a recipe hash.

By default the history ends at a fixed instant (`DEMO_END`, 2026-11-20T00:00Z),
not at build time, so two builds with the same seed are byte-identical and the
console shows the data as stale. The live demo builds with `end` at the minute
it starts, so its traffic continues the history without a gap.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

DEMO_END = datetime(2026, 11, 20, tzinfo=UTC)
RECIPE_VERSION = 1
MIN_DAYS = 4


@dataclass(frozen=True)
class DemoSpec:
    """The knobs of one demo build; equal specs build equal workspaces."""

    seed: int = 7
    days: int = 14
    fraud_rows: int = 1_000_000
    other_rows: int = 100_000
    train_rows: int = 40_000
    reference_rows: int = 20_000
    epochs: int = 6
    end: datetime = DEMO_END

    def __post_init__(self) -> None:
        """Refuse sizes the incident cannot fit in."""
        if self.days < MIN_DAYS:
            raise ValueError(f"the demo needs at least {MIN_DAYS} days of history")
        if min(self.fraud_rows, self.other_rows, self.train_rows, self.reference_rows) < 1000:
            raise ValueError("every demo size must be at least 1000 rows")
        if self.epochs < 1:
            raise ValueError("epochs must be at least 1")
        if self.end.tzinfo is None or self.end.timestamp() % 60:
            raise ValueError("the history must end on a whole UTC minute")

    @property
    def start(self) -> datetime:
        """The first instant of the history."""
        return self.end - timedelta(days=self.days)

    def as_json(self) -> dict[str, object]:
        """The spec as a JSON document (the end as ISO-8601 UTC)."""
        return {**asdict(self), "end": self.end.astimezone(UTC).isoformat()}

    def recipe_hash(self) -> str:
        """sha256 of the spec, the recipe version and the demo's own source code."""
        digest = hashlib.sha256()
        digest.update(json.dumps(self.as_json(), sort_keys=True).encode())
        digest.update(f"recipe={RECIPE_VERSION}".encode())
        for path in sorted(Path(__file__).parent.glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()


SMALL = DemoSpec(
    days=MIN_DAYS, fraud_rows=20_000, other_rows=5_000, train_rows=8_000, reference_rows=4_000
)
