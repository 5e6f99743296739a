"""Which history the demo opens: one that the live traffic continues, or whatever is present.

The live demo needs a history that ends where its traffic begins. A workspace
whose history (or last live traffic, `W/.demo-live`) reaches within
`MAX_GAP` of now is reused as it is; otherwise the demo is built again with
its history ending when its live traffic will begin (deterministic for that end).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from console.demo.spec import DemoSpec

COMPLETE = ".demo-complete"
HEARTBEAT = ".demo-live"
MAX_GAP = timedelta(minutes=2)
DEFAULT_LEAD = timedelta(seconds=30)
MAX_LEAD = timedelta(seconds=90)
SERVER_START_S = 10.0


def present_spec(workspace: Path, seed: int) -> DemoSpec | None:
    """The spec of the finished demo build at `workspace` for `seed`, if its recipe still holds."""
    marker = _read(workspace / COMPLETE)
    document = marker.get("spec")
    if not isinstance(document, dict):
        return None
    try:
        spec = DemoSpec(**{**document, "end": datetime.fromisoformat(str(document["end"]))})
    except (TypeError, ValueError, KeyError):
        return None
    if spec.seed != seed or spec.recipe_hash() != marker.get("recipe"):
        return None
    return spec


def live_spec(workspace: Path, seed: int, now: datetime) -> DemoSpec:
    """The present spec when its data reaches within MAX_GAP of `now`, else one ending soon.

    A new history ends at the first whole minute after the build and the server's
    start are expected to be done (the last build's time, else DEFAULT_LEAD), and
    the driver's first request waits for that instant, so there is no gap.
    """
    spec = present_spec(workspace, seed)
    if spec is not None and now - last_data(workspace, spec) <= MAX_GAP:
        return spec
    base = spec if spec is not None else DemoSpec(seed=seed)
    return replace(base, end=next_minute(now + lead(workspace)))


def lead(workspace: Path) -> timedelta:
    """How long a build plus the server's start will take: the last build's time, plus 10 s."""
    seconds = _read(workspace / COMPLETE).get("seconds")
    if isinstance(seconds, int | float) and seconds > 0:
        return min(timedelta(seconds=seconds + SERVER_START_S), MAX_LEAD)
    return DEFAULT_LEAD


def next_minute(at: datetime) -> datetime:
    """The first whole UTC minute at or after `at`."""
    floor = at.astimezone(UTC).replace(second=0, microsecond=0)
    return floor if floor == at else floor + timedelta(minutes=1)


def last_data(workspace: Path, spec: DemoSpec) -> datetime:
    """The later of the history's end and the last heartbeat of live traffic."""
    until = _read(workspace / HEARTBEAT).get("until")
    if isinstance(until, int | float):
        return max(spec.end, datetime.fromtimestamp(until, UTC))
    return spec.end


def _read(path: Path) -> dict[str, Any]:
    """A JSON object file, or {} when it is missing or unreadable."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}
