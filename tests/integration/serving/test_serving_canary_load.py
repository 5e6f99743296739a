"""Weights change many times under concurrent requests: no failure, no stale route, right split."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter

import httpx
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BODY = {"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3], "data": [0.1, 0.2, 0.3]}]}
SPLITS = [
    {"1": 0, "2": 100},
    {"1": 100, "2": 0},
    {"1": 50, "2": 50},
    {"1": 10, "2": 90},
    {"1": 90, "2": 10},
]
CHANGES = 25
WORKERS = 12


async def _hammer(client, stop, log):
    """Send requests until told to stop; log (sent, received, status, version)."""
    while not stop.is_set():
        sent = time.monotonic()
        answer = await client.post("/v2/models/fraud/infer", json=BODY)
        version = answer.json().get("model_version") if answer.status_code == 200 else None
        log.append((sent, time.monotonic(), answer.status_code, version))


async def _change_weights(client, admin, changes):
    """Apply the splits in turn; log (called, returned, weights)."""
    for i in range(CHANGES):
        weights = SPLITS[i % len(SPLITS)]
        called = time.monotonic()
        answer = await client.put(
            "/admin/models/fraud/traffic", json={"weights": weights}, headers=admin
        )
        assert answer.status_code == 200, answer.text
        changes.append((called, time.monotonic(), weights))
        await asyncio.sleep(0.2)


async def test_weight_changes_under_load_lose_nothing(server):
    log: list[tuple[float, float, int, str | None]] = []
    changes: list[tuple[float, float, dict[str, int]]] = []
    limits = httpx.Limits(max_connections=WORKERS + 2)
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as client:
        stop = asyncio.Event()
        workers = [asyncio.create_task(_hammer(client, stop, log)) for _ in range(WORKERS)]
        await _change_weights(client, server.admin, changes)
        stop.set()
        await asyncio.gather(*workers)
    assert len(log) > 200
    assert [status for *_, status, _ in log if status != 200] == []
    checked = 0
    for (_, returned, weights), (next_called, _, _) in itertools.pairwise(changes):
        inside = [v for sent, received, _, v in log if sent >= returned and received <= next_called]
        assert all(weights[v] > 0 for v in inside), (weights, Counter(inside))
        checked += len(inside)
    assert checked > 50


async def test_the_split_and_sticky_keys(server):
    set_split = {"weights": {"1": 70, "2": 30}}
    assert server.http.put(
        "/admin/models/fraud/traffic", json=set_split, headers=server.admin
    ).is_success
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:

        async def one(key=None):
            body = {**BODY, "parameters": {"routing_key": key}} if key else BODY
            return (await client.post("/v2/models/fraud/infer", json=body)).json()["model_version"]

        versions = []
        for _ in range(10):
            versions += await asyncio.gather(*(one() for _ in range(100)))
        share = Counter(versions)["2"] / len(versions)
        assert abs(share - 0.30) < 0.05, share  # 3.4 sigma at n=1000
        for key in ("alice", "bob", "carol", "dave"):
            assert len(set(await asyncio.gather(*(one(key) for _ in range(10))))) == 1
    rollback = server.http.post(
        "/admin/models/fraud/rollback", json={"to": "1"}, headers=server.admin
    )
    assert rollback.is_success
