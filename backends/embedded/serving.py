"""Serving control for a workspace: the stored traffic split, and the live server when one runs.

The split lives in the workspace database (local_serving reads it at start-up
and persists admin changes through `store_traffic`). When `W/serving.json`
names a server that answers its health check, calls go to it through the
KServe V2 admin client; otherwise status shows the stored split with
`live=False`.

A change goes to the server whenever `W/serving.json` announces one: if that
server cannot be reached the change fails and nothing is stored. Only a
workspace with no announced server stores a change for the next start, and
the status it returns says `live=False`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, literal_column, select

from backends.contracts import (
    BackendError,
    EndpointStatus,
    Model,
    TrafficConflict,
    VersionState,
)
from backends.embedded.db import Database, dumps, now_us, to_us
from backends.embedded.tables import TIMELINE, TRAFFIC

if TYPE_CHECKING:
    from backends.kserve_v2 import KServeV2Serving

HEALTH_TIMEOUT_S = 1.0
LIVE_CACHE_S = 2.0


def validate_weights(weights: Mapping[str, int], known: list[str]) -> dict[str, int]:
    """Integer percent weights for known versions summing to 100, else ValueError saying why."""
    if not isinstance(weights, Mapping) or not weights:
        raise ValueError("weights must be a non-empty mapping of version to percent")
    checked: dict[str, int] = {}
    for version, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise ValueError(f"weight of {version} must be an integer percent, got {weight!r}")
        if not 0 <= weight <= 100:
            raise ValueError(f"weight of {version} must be within 0..100, got {weight}")
        if str(version) not in known:
            raise ValueError(f"unknown version {version!r} (known: {', '.join(known) or 'none'})")
        checked[str(version)] = int(weight)
    total = sum(checked.values())
    if total != 100:
        raise ValueError(f"weights must sum to 100, got {total}")
    return checked


def describe(weights: Mapping[str, int]) -> str:
    """A split as `v1 90% / v2 10%`."""
    return " / ".join(f"{v} {w}%" for v, w in weights.items()) or "none"


def _nonzero(weights: Mapping[str, int]) -> dict[str, int]:
    """The versions that take traffic, for comparing splits."""
    return {str(k): int(v) for k, v in weights.items() if int(v)}


def _stored(conn: Connection, model: Model) -> dict[str, int]:
    """The split stored for `model`, or its champion (else newest version) at 100."""
    rows = conn.execute(
        select(TRAFFIC.c.version, TRAFFIC.c.weight)
        .where(TRAFFIC.c.model == model.name)
        .order_by(literal_column("rowid"))
    ).all()
    if rows:
        return {version: int(weight) for version, weight in rows}
    default = model.alias("champion") or (model.versions[-1] if model.versions else None)
    return {default.version: 100} if default is not None else {}


class ServingMixin:
    """ServingControl + SupportsTrafficSplit + SupportsRollback + SupportsLoad."""

    _db: Database
    _root: Path
    _live_lock: threading.Lock
    _live_cache: tuple[float, KServeV2Serving | None] | None
    _live_client: tuple[tuple[str, str | None], KServeV2Serving] | None

    if TYPE_CHECKING:

        def get_model(self, name: str) -> Model:
            """Provided by the registry mixin."""

        def list_models(self) -> list[Model]:
            """Provided by the registry mixin."""

    def stored_traffic(self, model: str) -> dict[str, int]:
        """The stored split; with none stored, the champion (else newest version) at 100."""
        found = self.get_model(model)
        with self._db.read() as conn:
            return _stored(conn, found)

    def store_traffic(
        self,
        model: str,
        weights: Mapping[str, int],
        actor: str,
        *,
        at: datetime | None = None,
        expected: Mapping[str, int] | None = None,
    ) -> None:
        """Validate and store a split, recording a `traffic_change` timeline event if it changed.

        With `expected`, store only while the stored split is still that one
        (compare-and-set in the same transaction), else TrafficConflict.
        """
        found = self.get_model(model)
        checked = validate_weights(weights, [v.version for v in found.versions])
        with self._db.write() as conn:
            before = _stored(conn, found)
            if expected is not None and _nonzero(before) != _nonzero(expected):
                raise TrafficConflict(
                    f"the stored split of {model} is {describe(before)}, no longer "
                    f"{describe(_nonzero(expected))}: someone changed it; nothing was stored"
                )
            if before == checked:
                return
            conn.execute(delete(TRAFFIC).where(TRAFFIC.c.model == model))
            conn.execute(
                insert(TRAFFIC),
                [{"model": model, "version": v, "weight": w} for v, w in checked.items()],
            )
            conn.execute(
                insert(TIMELINE).values(
                    at_us=now_us() if at is None else to_us(at),
                    kind="traffic_change",
                    layer="model",
                    summary=f"{model} traffic {describe(before)} → {describe(checked)}",
                    model=model,
                    source=actor,
                    detail_json=dumps({"before": before, "after": checked, "actor": actor}),
                )
            )

    def endpoints(self) -> list[EndpointStatus]:
        """Every served model: from the live server, else every registered model offline."""
        live = self._live()
        if live is not None:
            return live.endpoints()
        return [self._offline(model) for model in self.list_models()]

    def status(self, model: str) -> EndpointStatus:
        """One model's endpoint: live when a server runs, else the stored split."""
        live = self._live()
        if live is not None:
            return live.status(model)
        return self._offline(self.get_model(model))

    def set_weights(self, model: str, weights: Mapping[str, int]) -> EndpointStatus:
        """Set the split on the announced server, or (none announced) store it for next start."""
        found = self.get_model(model)
        checked = validate_weights(weights, [v.version for v in found.versions])
        live = self._server_for_change("set the traffic split")
        if live is not None:
            return self._on_server(lambda: live.set_weights(model, checked))
        self.store_traffic(model, checked, actor="vigil")
        return self._offline(found)

    def set_weights_if(
        self, model: str, weights: Mapping[str, int], expected: EndpointStatus
    ) -> EndpointStatus:
        """As set_weights, but only while the split is still `expected` (else TrafficConflict)."""
        found = self.get_model(model)
        checked = validate_weights(weights, [v.version for v in found.versions])
        live = self._server_for_change("set the traffic split")
        if live is not None:
            return self._on_server(lambda: live.set_weights_if(model, checked, expected))
        self.store_traffic(model, checked, actor="vigil", expected=expected.weights)
        return self._offline(found)

    def rollback(self, model: str, to_version: str) -> EndpointStatus:
        """Route 100 % to `to_version` (on the announced server, else stored for the next start)."""
        found = self.get_model(model)
        validate_weights({to_version: 100}, [v.version for v in found.versions])
        live = self._server_for_change("roll back")
        if live is not None:
            return self._on_server(lambda: live.rollback(model, to_version))
        self.store_traffic(model, {to_version: 100}, actor="vigil rollback")
        return self._offline(found)

    def rollback_if(self, model: str, to_version: str, expected: EndpointStatus) -> EndpointStatus:
        """As rollback, but only while the split is still `expected` (else TrafficConflict)."""
        found = self.get_model(model)
        validate_weights({to_version: 100}, [v.version for v in found.versions])
        live = self._server_for_change("roll back")
        if live is not None:
            return self._on_server(lambda: live.rollback_if(model, to_version, expected))
        self.store_traffic(
            model, {to_version: 100}, actor="vigil rollback", expected=expected.weights
        )
        return self._offline(found)

    def load(self, model: str, version: str) -> EndpointStatus:
        """Load a version on the live server."""
        live = self._require_live("load")
        return self._on_server(lambda: live.load(model, version))

    def unload(self, model: str, version: str) -> EndpointStatus:
        """Unload a weightless version on the live server."""
        live = self._require_live("unload")
        return self._on_server(lambda: live.unload(model, version))

    def serving_info(self) -> dict[str, Any] | None:
        """The contents of W/serving.json, or None when no server has written one."""
        path = self._root / "serving.json"
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise BackendError(f"{path} is unreadable: {error}") from error
        if not isinstance(info, dict) or not isinstance(info.get("url"), str):
            raise BackendError(f"{path} must be a JSON object with a string `url`")
        return info

    def _offline(self, model: Model) -> EndpointStatus:
        """The stored view of a model when no server runs."""
        return EndpointStatus(
            model=model.name,
            versions=tuple(VersionState(v.version, "unloaded", v.runtime) for v in model.versions),
            weights=self.stored_traffic(model.name),
            healthy=False,
            url="",
            live=False,
        )

    def _require_live(self, action: str) -> KServeV2Serving:
        """The announced server, or BackendError explaining that none runs."""
        live = self._server_for_change(action)
        if live is None:
            raise BackendError(
                f"cannot {action}: no server runs on workspace {self._root} (start `vigil serve`)"
            )
        return live

    def _server_for_change(self, action: str) -> KServeV2Serving | None:
        """The client of the announced server (uncached), or None when none is announced.

        A server announced in serving.json whose process is gone is an error,
        not "no server": the change must not silently go to the stored split.
        """
        from backends.processes import process_alive

        info = self.serving_info()
        if info is None:
            return None
        url = str(info["url"]).rstrip("/")
        pid = info.get("pid")
        if isinstance(pid, int) and not process_alive(pid):
            raise BackendError(
                f"cannot {action}: {self._root / 'serving.json'} announces a server at {url} "
                f"(pid {pid}) that is no longer running; nothing was changed or stored. Start "
                "it again (`vigil serve`), or delete serving.json to store the split for the "
                "next start"
            )
        token_file = str(info["token_file"]) if info.get("token_file") else None
        return self._client_for(url, token_file)

    def _on_server(self, change: Callable[[], EndpointStatus]) -> EndpointStatus:
        """Make a change on the announced server; failing to reach it is an error, never a store."""
        try:
            return change()
        except BackendError as error:
            if type(error) is not BackendError:
                raise
            raise BackendError(
                f"the server announced in {self._root / 'serving.json'} did not take the change: "
                f"{error}; nothing was stored for the next start"
            ) from error

    def _live(self) -> KServeV2Serving | None:
        """A client for the running server, or None; the answer is cached for two seconds."""
        with self._live_lock:
            cached = self._live_cache
            if cached is not None and time.monotonic() - cached[0] < LIVE_CACHE_S:
                return cached[1]
        client = self._probe()
        with self._live_lock:
            self._live_cache = (time.monotonic(), client)
        return client

    def _probe(self) -> KServeV2Serving | None:
        """Check W/serving.json's server with GET /v2/health/live within a second.

        None when no server is announced or its process is gone (a stale file);
        BackendError when its process runs but does not answer (stopped, hung).
        """
        info = self.serving_info()
        if info is None:
            return None
        import httpx

        from backends.processes import process_alive

        url = str(info["url"]).rstrip("/")
        try:
            answer = httpx.get(f"{url}/v2/health/live", timeout=HEALTH_TIMEOUT_S)
            healthy = answer.status_code == 200
        except httpx.HTTPError:
            healthy = False
        if not healthy:
            pid = info.get("pid")
            if isinstance(pid, int) and process_alive(pid):
                raise BackendError(
                    f"the server announced in {self._root / 'serving.json'} ({url}, pid {pid}) "
                    f"runs but does not answer its health check within {HEALTH_TIMEOUT_S:g} s"
                )
            return None
        token_file = str(info["token_file"]) if info.get("token_file") else None
        return self._client_for(url, token_file)

    def _client_for(self, url: str, token_file: str | None) -> KServeV2Serving:
        """One admin client per (url, token file), reused across probes."""
        from backends.kserve_v2 import KServeV2Serving

        with self._live_lock:
            current = self._live_client
            if current is not None and current[0] == (url, token_file):
                return current[1]
        client = KServeV2Serving(url=url, token_file=token_file)
        with self._live_lock:
            self._live_client = ((url, token_file), client)
        if current is not None:
            current[1].close()
        return client
