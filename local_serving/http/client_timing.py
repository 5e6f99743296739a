"""The `Vigil-Client-Timing` header: client-side stage times the server records with its own.

A client that measures stages the server cannot see (the network hop, its
feature fetch) sends them as `Vigil-Client-Timing: network=4.2, feature_fetch=31.5`
(milliseconds). They go into the request's log row and the per-minute rollups.
"""

from __future__ import annotations

import math

from local_serving.protocol.v2 import ProtocolError

HEADER = "vigil-client-timing"
CLIENT_STAGES = ("network", "feature_fetch")
MAX_MS = 3_600_000.0


def client_timing(value: str | None) -> tuple[tuple[str, float], ...]:
    """The header's (stage, seconds) pairs; a malformed header is a 400 naming the part."""
    if value is None or not value.strip():
        return ()
    pairs: dict[str, float] = {}
    for part in value.split(","):
        name, sep, number = part.strip().partition("=")
        if not sep or name not in CLIENT_STAGES or name in pairs:
            raise ProtocolError(
                400,
                f"Vigil-Client-Timing: {part.strip()[:40]!r} is not one of "
                f"{', '.join(s + '=MS' for s in CLIENT_STAGES)} (each at most once)",
            )
        try:
            ms = float(number)
        except ValueError:
            ms = math.nan
        if not 0.0 <= ms <= MAX_MS:
            raise ProtocolError(400, f"Vigil-Client-Timing: {name} must be 0..{MAX_MS:.0f} ms")
        pairs[name] = ms / 1000.0
    return tuple(pairs.items())
