"""Live requests for the demo models: features from the demo's generators, their truth, V2 bodies.

Each model gets the traffic rate of its history (`requests_per_min`); a second
of traffic is drawn as one batch, then sent as one request per row. The true
target is computed from the real features, before the world's v3 writer
inflates tablet amounts, exactly as in the history. A feature fetch that comes
back incomplete (at the world's `fetch_failure_rate`) leaves one numeric
feature missing: the client sends it as `null`, the server refuses the request
(400), and the history's error rate becomes the server's own count of refusals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backends.contracts import STAGES
from console.demo.catalog import FRAUD, ModelPlan
from console.demo.encoding import INPUT_NAME, encode
from console.demo.history import stage_p50, tail_ratio
from console.demo.incident import CHAMPION_VERSION, PRESSURE_HOST, IncidentPlan
from console.demo.live.world import World, fetch_failure_rate
from console.demo.synthetic import GENERATORS

CLIENT_STAGES = tuple(s for s in STAGES if s in ("network", "feature_fetch"))
Z99 = 2.326


@dataclass(frozen=True)
class LiveRequest:
    """One request to send: its id, its V2 body, its true label and client stage waits.

    `drawn_at` is when the world drew it (epoch seconds): its features are the world's then.
    """

    request_id: str
    body: dict[str, object]
    label: float
    waits_s: tuple[tuple[str, float], ...]
    drawn_at: float
    incomplete: bool = False


def one_second(
    plan: ModelPlan,
    incident: IncidentPlan,
    world: World,
    rng: np.random.Generator,
    now: float,
    prefix: str,
) -> list[LiveRequest]:
    """A second of `plan`'s traffic at `now` (epoch seconds) in the current world."""
    count = int(rng.poisson(plan.requests_per_min / 60.0))
    if count == 0:
        return []
    features, truth = GENERATORS[plan.name]
    frame = features(rng, count)
    target = truth(frame, rng)
    if incident.drop_at.timestamp() <= now and world.canary_on and plan.name == FRAUD.name:
        incident.shift(frame, np.full(count, now))
    matrix = encode(plan, frame)
    pressure = np.full(count, world.pressure if plan.host == PRESSURE_HOST else 0.0)
    incomplete = rng.random(count) < fetch_failure_rate(float(pressure[0]))
    missing = rng.integers(0, len(plan.numeric), int(incomplete.sum()))
    matrix[np.flatnonzero(incomplete), missing] = np.nan
    waits = {stage: client_waits(plan, stage, pressure, rng) for stage in CLIENT_STAGES}
    return [
        LiveRequest(
            request_id=f"{prefix}-{i}",
            body={
                "id": f"{prefix}-{i}",
                "inputs": [
                    {
                        "name": INPUT_NAME,
                        "datatype": "FP32",
                        "shape": [1, matrix.shape[1]],
                        "data": _values(matrix[i]),
                    }
                ],
            },
            label=float(target[i]),
            waits_s=tuple((stage, float(waits[stage][i])) for stage in CLIENT_STAGES),
            drawn_at=now,
            incomplete=bool(incomplete[i]),
        )
        for i in range(count)
    ]


def _values(row: np.ndarray) -> list[float | None]:
    """One input row as JSON numbers, a missing (NaN) feature as null."""
    return [None if value != value else value for value in row.tolist()]


def client_waits(
    plan: ModelPlan, stage: str, pressure: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Seconds one client-side stage takes: log-normal with the history's median and p99."""
    p50 = stage_p50(plan, CHAMPION_VERSION, stage, pressure, rng)
    sigma = np.log(tail_ratio(stage, pressure)) / Z99
    return p50 * np.exp(sigma * rng.standard_normal(len(pressure))) / 1000.0
