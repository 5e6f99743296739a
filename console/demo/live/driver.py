"""The live demo's traffic driver: requests, client-side stages, late labels and host metrics.

Run by `vigil demo` as a child process (`python -m console.demo.live.driver
--workspace W`). It finds the server in `W/serving.json`, follows the server's
traffic split every second (the world of `world.py`), sends each demo model its
history's request rate with the network and feature-fetch stages timed and
reported in `Vigil-Client-Timing` (an incomplete fetch is sent anyway, its
missing feature as null, and the server refuses it), posts each request's true
label 5–60 s later through the admin labels endpoint, writes serve-a / serve-b
host metrics per minute (`hosts.py`), and stops on SIGTERM, SIGINT, or when its
parent goes away.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from console.demo.catalog import FRAUD, MODELS, ModelPlan
from console.demo.incident import IncidentPlan
from console.demo.live.continuity import HEARTBEAT, present_spec
from console.demo.live.hosts import write_host_minute
from console.demo.live.traffic import LiveRequest, one_second
from console.demo.live.world import World

SERVING_FILE = "serving.json"
POLL_S = 1.0
LABELS_EVERY_S = 5.0
LABEL_DELAY_MIN_S = 5.0
LABEL_DELAY_MEAN_S = 10.0
LABEL_DELAY_MAX_S = 60.0
MAX_IN_FLIGHT = 64
STALE_S = 3.0
log = logging.getLogger("vigil.demo.driver")


@dataclass(frozen=True)
class Server:
    """Where the server listens and the admin token the driver posts labels with."""

    url: str
    token: str


@dataclass
class Counts:
    """What the driver did, for its status lines."""

    sent: int = 0
    refused_incomplete: int = 0
    failed: int = 0
    late: int = 0
    labels_matched: int = 0


@dataclass
class Driver:
    """One driver: the world it follows, the labels it owes, what it counted."""

    workspace: Path
    incident: IncidentPlan
    server: Server
    rng: np.random.Generator
    world: World = field(default_factory=World)
    counts: Counts = field(default_factory=Counts)
    owed: dict[str, list[tuple[float, str, float]]] = field(default_factory=dict)
    minute_pressure: list[float] = field(default_factory=list)
    sending: set[asyncio.Future[None]] = field(default_factory=set)
    stopping: bool = False

    async def run(self, stop: asyncio.Event) -> None:
        """Drive traffic until `stop` is set, then post the labels still owed."""
        headers = {"Authorization": f"Bearer {self.server.token}"}
        limits = httpx.Limits(max_connections=MAX_IN_FLIGHT)
        async with httpx.AsyncClient(
            base_url=self.server.url, headers=headers, timeout=10.0, limits=limits
        ) as client:
            gate = asyncio.Semaphore(MAX_IN_FLIGHT)
            jobs = [
                _every(lambda: self._follow_split(client), stop, POLL_S),
                _every(lambda: self._post_labels(client, due_only=True), stop, LABELS_EVERY_S),
                _every(self._write_host_metrics, stop, 60.0, aligned=True),
                _every(self._heartbeat, stop, 10.0),
                _every(self._status, stop, 30.0),
                *(self._traffic(plan, client, gate, stop) for plan in MODELS),
            ]
            tasks = [asyncio.create_task(job) for job in jobs]
            await stop.wait()
            self.stopping = True
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.sending:
                _, late = await asyncio.wait(self.sending, timeout=10.0)
                for unfinished in late:
                    unfinished.cancel()
                await asyncio.gather(*late, return_exceptions=True)
            await self._post_labels(client, due_only=False)
        log.info("stopped: %s", self.counts)

    async def _follow_split(self, client: httpx.AsyncClient) -> None:
        """Read fraud-detector's live split; the world follows it (v3 > 0 % keeps its writer on)."""
        self.minute_pressure.append(self.world.pressure)
        try:
            response = await client.get(f"/admin/models/{FRAUD.name}")
            weights = response.json().get("weights") if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as error:
            log.warning("cannot read the split: %s", error)
            return
        if isinstance(weights, dict):
            before = self.world.canary_on
            self.world.observe({str(k): int(v) for k, v in weights.items()}, POLL_S)
            if before != self.world.canary_on:
                log.info("split %s: v3 writer %s", weights, "on" if self.world.canary_on else "off")

    async def _traffic(
        self,
        plan: ModelPlan,
        client: httpx.AsyncClient,
        gate: asyncio.Semaphore,
        stop: asyncio.Event,
    ) -> None:
        """One second of `plan`'s requests at a time, each sent at a random instant of it."""
        tick = 0
        start = time.time()
        while not stop.is_set():
            now = time.time()
            prefix = f"live-{plan.name[:2]}-{int(start)}-{tick}"
            for request in one_second(plan, self.incident, self.world, self.rng, now, prefix):
                delay = float(self.rng.random())
                asyncio.get_running_loop().call_later(
                    delay, self._start_send, plan, request, client, gate
                )
            tick += 1
            await _sleep_until(start + tick, stop)

    def _start_send(
        self,
        plan: ModelPlan,
        request: LiveRequest,
        client: httpx.AsyncClient,
        gate: asyncio.Semaphore,
    ) -> None:
        """Start sending one request (not once stopping), keeping its task until it is done."""
        if self.stopping:
            return
        task = asyncio.ensure_future(self._send(plan, request, client, gate))
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def _send(
        self,
        plan: ModelPlan,
        request: LiveRequest,
        client: httpx.AsyncClient,
        gate: asyncio.Semaphore,
    ) -> None:
        """Wait out the simulated client stages, send the request, then owe its label.

        The times reported are the simulated ones, not the wall time of the waits, so a
        busy driver does not blame the network for its own scheduling delay. A request
        still unsent STALE_S after it was drawn is dropped (counted `late`): on a loaded
        machine a backlog would otherwise log the world of a minute ago as now (tablet
        amounts inflated after a rollback).
        """
        async with gate:
            if time.time() - request.drawn_at > STALE_S:
                self.counts.late += 1
                return
            for _, wait in request.waits_s:
                await asyncio.sleep(wait)
            timing = [f"{stage}={wait * 1000.0:.3f}" for stage, wait in request.waits_s]
            try:
                response = await client.post(
                    f"/v2/models/{plan.name}/infer",
                    json=request.body,
                    headers={"Vigil-Client-Timing": ", ".join(timing)},
                )
            except httpx.HTTPError:
                self.counts.failed += 1
                return
        if response.status_code != 200:
            if request.incomplete and response.status_code == 400:
                self.counts.refused_incomplete += 1
            else:
                self.counts.failed += 1
            return
        self.counts.sent += 1
        delay = LABEL_DELAY_MIN_S + float(self.rng.exponential(LABEL_DELAY_MEAN_S))
        due = time.time() + min(delay, LABEL_DELAY_MAX_S)
        self.owed.setdefault(plan.name, []).append((due, request.request_id, request.label))

    async def _post_labels(self, client: httpx.AsyncClient, *, due_only: bool) -> None:
        """Post every label that has arrived (all of them when stopping)."""
        now = time.time()
        for model, owed in list(self.owed.items()):
            ready = [o for o in owed if not due_only or o[0] <= now]
            if not ready:
                continue
            labels = [{"request_id": rid, "label": label} for _, rid, label in ready]
            try:
                response = await client.post(
                    f"/admin/models/{model}/labels", json={"labels": labels}
                )
                matched = int(response.json().get("matched", 0))
            except (httpx.HTTPError, ValueError) as error:
                log.warning("cannot post %d labels of %s: %s", len(labels), model, error)
                continue
            if response.status_code != 200:
                log.warning("labels of %s refused: %s", model, response.text[:200])
                continue
            self.counts.labels_matched += matched
            posted = {rid for _, rid, _ in ready}
            self.owed[model] = [o for o in self.owed[model] if o[1] not in posted]

    async def _write_host_metrics(self) -> None:
        """The closed minute's host metrics, with the minute's mean pressure on serve-a."""
        minute = float(int(time.time() // 60) * 60 - 60)
        pressure = float(np.mean(self.minute_pressure)) if self.minute_pressure else 0.0
        self.minute_pressure.clear()
        try:
            await asyncio.to_thread(write_host_minute, self.workspace, minute, pressure, self.rng)
        except Exception as error:
            log.warning("cannot write host metrics: %s", error)

    async def _heartbeat(self) -> None:
        """Record in W/.demo-live that live traffic reached now (continuity of the next start)."""
        document = {"pid": os.getpid(), "until": time.time()}
        temp = self.workspace / f"{HEARTBEAT}.tmp"
        temp.write_text(json.dumps(document) + "\n")
        temp.replace(self.workspace / HEARTBEAT)

    async def _status(self) -> None:
        """A status line for the log."""
        log.info(
            "sent %d, refused for incomplete features %d, failed %d, dropped late %d, "
            "labels matched %d; v3 writer %s, serve-a pressure %.2f",
            self.counts.sent,
            self.counts.refused_incomplete,
            self.counts.failed,
            self.counts.late,
            self.counts.labels_matched,
            "on" if self.world.canary_on else "off",
            self.world.pressure,
        )


async def _every(
    job: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
    period_s: float = POLL_S,
    *,
    aligned: bool = False,
) -> None:
    """Run `job` every `period_s` (on the period's boundaries when `aligned`) until stopped."""
    next_at = (time.time() // period_s + 1) * period_s if aligned else time.time()
    while not stop.is_set():
        await _sleep_until(next_at, stop)
        if stop.is_set():
            return
        try:
            await job()
        except Exception:
            log.exception("driver job failed; it runs again next period")
        next_at += period_s


async def _sleep_until(at: float, stop: asyncio.Event) -> None:
    """Sleep until epoch second `at`, or until stopped."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max(0.0, at - time.time()))


def read_server(workspace: Path) -> Server | None:
    """The server W/serving.json announces, with its admin token; None until it is there."""
    from backends.contracts import BackendError
    from backends.kserve_v2 import read_token

    try:
        info = json.loads((workspace / SERVING_FILE).read_text())
        url, token_file = str(info["url"]), info.get("token_file")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        token = read_token(str(token_file)) if token_file else os.environ.get("VIGIL_ADMIN_TOKEN")
    except BackendError:
        return None
    return Server(url, token) if token else None


async def _main(workspace: Path, seed: int) -> int:
    """Wait for the server, then drive until a signal or the parent's exit."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    parent = os.getppid()
    server = None
    while server is None and not stop.is_set():
        server = read_server(workspace)
        if server is None:
            await _sleep_until(time.time() + 0.2, stop)
    if server is None:
        return 0
    spec = present_spec(workspace, seed)
    if spec is None:
        log.error("%s holds no finished demo build of seed %d", workspace, seed)
        return 1
    if spec.end.timestamp() > time.time():
        log.info("waiting until the history's end, %s", spec.end.isoformat())
        await _sleep_until(spec.end.timestamp(), stop)
    incident = IncidentPlan.for_spec(spec)
    rng = np.random.default_rng([seed, 404, int(time.time())])
    driver = Driver(workspace, incident, server, rng)

    async def orphaned() -> None:
        """Stop when the parent (vigil demo) is gone."""
        if os.getppid() != parent:
            log.warning("parent %d is gone; stopping", parent)
            stop.set()

    watch = asyncio.create_task(_every(orphaned, stop, 1.0))
    log.info("driving %s (history ended %s)", server.url, spec.end.isoformat())
    await driver.run(stop)
    watch.cancel()
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m console.demo.live.driver --workspace W [--seed N]`."""
    parser = argparse.ArgumentParser(prog="python -m console.demo.live.driver")
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(_main(args.workspace, args.seed))


if __name__ == "__main__":
    sys.exit(main())
