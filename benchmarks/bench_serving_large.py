"""How long /v2/health/live takes while local_serving decodes two 7.9 MB bodies, one run.

    .venv/bin/python benchmarks/bench_serving_large.py [--rounds 3]

Starts `python -m local_serving` on a 16-feature logistic model, polls the health check on
its own connection idle (the baseline) and while two clients each post a ~7.9 MB JSON body
at the same time, and prints p50 / max health latency for both and their ratio.
Goal: large bodies do not stall the event loop (loaded max within a few tens of ms).
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_serving import FEATURES, start_local_serving, stop

TARGET_BYTES = int(7.9 * 1024 * 1024)


def large_body(rng: np.random.Generator) -> bytes:
    """A valid inference body just under 7.9 MB."""
    row = json.dumps(rng.normal(size=FEATURES).round(6).tolist())
    rows = TARGET_BYTES // (len(row) + 2)
    data = rng.normal(size=(rows, FEATURES)).round(6)
    entry = {"name": "input", "datatype": "FP32", "shape": [rows, FEATURES], "data": data.tolist()}
    return json.dumps({"inputs": [entry]}).encode()


def connection(url: str) -> http.client.HTTPConnection:
    """A keep-alive connection to the server."""
    host, port = url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=60)


def health_latencies(url: str, until: threading.Event, minimum: int) -> list[float]:
    """Poll /v2/health/live every 5 ms until `until` is set (and at least `minimum` times)."""
    conn, latencies = connection(url), []
    while not until.is_set() or len(latencies) < minimum:
        t0 = time.perf_counter()
        conn.request("GET", "/v2/health/live")
        conn.getresponse().read()
        latencies.append(time.perf_counter() - t0)
        time.sleep(0.005)
    conn.close()
    return latencies


def post_large(url: str, body: bytes, statuses: list[int]) -> None:
    """One large inference request."""
    conn = connection(url)
    conn.request("POST", "/v2/models/bench/infer", body, {"Content-Type": "application/json"})
    answer = conn.getresponse()
    answer.read()
    statuses.append(answer.status)
    conn.close()


def loaded_round(url: str, body: bytes) -> list[float]:
    """Health latencies while two large bodies are posted at once."""
    done, statuses = threading.Event(), []
    posters = [threading.Thread(target=post_large, args=(url, body, statuses)) for _ in range(2)]
    result: list[float] = []
    poller = threading.Thread(target=lambda: result.extend(health_latencies(url, done, 10)))
    poller.start()
    for thread in posters:
        thread.start()
    for thread in posters:
        thread.join()
    done.set()
    poller.join()
    if statuses != [200, 200]:
        raise RuntimeError(f"large requests answered {statuses}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from local_serving.examples import register_logistic

    rng = np.random.default_rng(0)
    weights = rng.normal(size=FEATURES).round(3).tolist()
    body = large_body(rng)
    tmp = Path(tempfile.mkdtemp(prefix="vigil-bench-large-"))
    try:
        register_logistic(tmp / "ws", "bench", "1", weights, 0.1, aliases=["champion"])
        process, url = start_local_serving(tmp / "ws")
        try:
            loaded_round(url, body)  # warm-up: the decoder process starts on first use
            idle_done = threading.Event()
            idle_done.set()
            idle = health_latencies(url, idle_done, 200)
            loaded: list[float] = []
            for _ in range(args.rounds):
                loaded += loaded_round(url, body)
        finally:
            stop(process)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    megabytes = len(body) / 1e6
    print(
        f"\n/v2/health/live while 2 x {megabytes:.1f} MB bodies are decoded, {args.rounds} rounds"
    )
    print(f"{'':24} {'p50 ms':>8} {'max ms':>8} {'polls':>6}")
    for name, values in (("idle (baseline)", idle), ("two large bodies", loaded)):
        p50, worst = statistics.median(values) * 1000, max(values) * 1000
        print(f"{name:24} {p50:8.2f} {worst:8.2f} {len(values):6}")
    worst, ratio = max(loaded) * 1000, max(loaded) / statistics.median(idle)
    print(f"\nworst health latency under large bodies: {worst:.1f} ms ({ratio:.0f}x idle p50)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
