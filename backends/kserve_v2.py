"""ServingControl against any KServe V2 server; traffic, rollback and load via an admin API.

Without an admin token the client reads what V2 offers (model metadata and
readiness); with one (argument, token file or $VIGIL_ADMIN_TOKEN) it also sets
weights, rolls back, loads and unloads. Every call has a timeout; failures are
BackendError with a reason, never a raw httpx error and never the token.

Which changes an instance can make is per instance (`capabilities()`, read
through `backends.capabilities.supports`): with no token, or against a server
without Vigil's admin API (MLServer), it offers only the reads. A server that
declares and serves the model repository extension (Triton) also loads and
unloads, through `/v2/repository/models/<m>/load` and `.../unload`: no
weights and no rollback, since it does not split traffic.

Changes can be compare-and-set (`set_weights_if`: the body carries
`if_generation`, and a 409 is a TrafficConflict), and each admin change
carries the head of Vigil's audit log as the `Vigil-Audit-Head` header.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from backends.audit_chain import HEAD_HEADER, announced_head
from backends.contracts import (
    BackendError,
    EndpointStatus,
    NotFoundError,
    SupportsCompareAndSet,
    SupportsLoad,
    SupportsRollback,
    SupportsTrafficSplit,
    TrafficConflict,
    VersionState,
)
from backends.discovery import Option

if TYPE_CHECKING:
    import httpx

ENV_TOKEN = "VIGIL_ADMIN_TOKEN"
STATES = {"ready", "loading", "unloaded", "failed"}
INDEX_STATES: dict[str, Any] = {
    "READY": "ready",
    "LOADING": "loading",
    "UNAVAILABLE": "failed",
    "FAILED": "failed",
    "UNLOADED": "unloaded",
    "UNLOADING": "unloaded",
}
REPOSITORY_EXTENSION = "model_repository"
# An unload of a name no model directory can have ("/"): a no-op where loads are allowed.
REPOSITORY_PROBE = f"/v2/repository/models/{quote('vigil/probe', safe='')}/unload"
ADMIN_CAPABILITIES: frozenset[type] = frozenset(
    {SupportsTrafficSplit, SupportsCompareAndSet, SupportsRollback, SupportsLoad}
)


def read_token(token_file: str) -> str:
    """The first token of a token file (`name:token` or a bare token a line)."""
    try:
        text = Path(token_file).expanduser().read_text()
    except OSError as error:
        raise BackendError(f"cannot read token file {token_file}: {error.strerror}") from error
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line.partition(":")[2].strip() if ":" in line else line
    raise BackendError(f"token file {token_file} holds no token")


class RefusedChange(BackendError, ValueError):
    """The server refused a change as invalid (HTTP 400): the message says why."""


class KServeV2Serving:
    """A KServe V2 server (local_serving, Triton, MLServer) as a ServingControl backend."""

    OPTIONS: ClassVar[tuple[Option, ...]] = (
        Option("url", "url", "the server's base URL"),
        Option("token_file", "file", "a file holding the admin token", None),
        Option("timeout_s", "number", "seconds before a request gives up", 5.0),
        Option("load_timeout_s", "number", "seconds a repository load or unload may take", 120.0),
    )

    def __init__(
        self,
        url: str,
        token: str | None = None,
        token_file: str | None = None,
        timeout_s: float = 5.0,
        load_timeout_s: float = 120.0,
    ) -> None:
        """Remember where the server is and how to authenticate; nothing is sent yet."""
        if not url.startswith(("http://", "https://")):
            raise BackendError(f"KServe V2 url must start with http:// or https://, got {url!r}")
        self.url = url.rstrip("/")
        self.timeout_s = float(timeout_s)
        self.load_timeout_s = float(load_timeout_s)
        if token is None and token_file:
            token = read_token(token_file)
        self._token = token or os.environ.get(ENV_TOKEN, "").strip() or None
        self._client: httpx.Client | None = None
        self._admin_api: bool | None = None
        self._admin_problem = "no Vigil admin API on this server; read-only"
        self._repository: bool | None = None

    def __repr__(self) -> str:
        """`KServeV2Serving('http://...')` (never the token)."""
        return f"KServeV2Serving({self.url!r})"

    @property
    def has_admin(self) -> bool:
        """True when a token is configured, so admin calls can be made."""
        return self._token is not None

    def capabilities(self) -> frozenset[type]:
        """The changes this server accepts: all with Vigil's admin API, load with the repository."""
        if self.admin_api():
            return ADMIN_CAPABILITIES
        return frozenset({SupportsLoad}) if self.repository_api() else frozenset()

    def repository_api(self) -> bool:
        """True when the server declares the model repository extension and accepts its changes.

        The declaration (`GET /v2`) alone is not enough: a server may list the extension
        for its index only (no load route), and Triton refuses loads (503) unless it runs
        with `--model-control-mode=explicit`. So it is asked to unload a model no
        repository can hold, which changes nothing and answers 200 only where loads and
        unloads are accepted. Asked once; an unreachable server is not remembered.
        """
        if self._repository is None:
            try:
                _, meta = self._call("GET", "/v2")
                declared = isinstance(meta, dict) and REPOSITORY_EXTENSION in (
                    meta.get("extensions") or []
                )
                answered = (200, 400, 403, 404, 405, 501, 503)
                accepts = declared and self._call("POST", REPOSITORY_PROBE, ok=answered)[0] == 200
            except NotFoundError:  # no `GET /v2`: no server metadata to declare anything
                accepts = False
            except BackendError:
                return False
            self._repository = accepts
        return self._repository

    def admin_api(self) -> bool:
        """True when a token is set and the server answers Vigil's admin listing (asked once)."""
        if self._token is None:
            return False
        if self._admin_api is None:
            try:
                _, doc = self._call("GET", "/admin/models", admin=True, probe=True)
            except NotFoundError:
                self._admin_api = False
            except BackendError as error:
                self._admin_problem = f"admin API not usable now: {error}"
                return False
            else:
                self._admin_api = isinstance(doc, dict) and isinstance(doc.get("models"), list)
        return self._admin_api

    def _http(self) -> httpx.Client:
        """A pooled client created on first use."""
        import httpx

        if self._client is None:
            self._client = httpx.Client(base_url=self.url, timeout=self.timeout_s)
        return self._client

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _call(
        self,
        method: str,
        path: str,
        *,
        admin: bool = False,
        body: Any = None,
        ok: tuple[int, ...] = (200,),
        probe: bool = False,
        timeout_s: float | None = None,
    ) -> tuple[int, Any]:
        """One request; network failures, timeouts and unexpected answers become BackendError."""
        import httpx

        headers = {}
        if admin:
            if self._token is None:
                raise BackendError(
                    f"{self.url}: no admin token (pass token/token_file or set ${ENV_TOKEN})"
                )
            if not probe and not self.admin_api():
                raise BackendError(f"{self.url}: {self._admin_problem}")
            headers["Authorization"] = f"Bearer {self._token}"
            head = announced_head()
            if head is not None and method != "GET":
                headers[HEAD_HEADER] = head
        changing = method != "GET" and (admin or "/repository/models/" in path)
        wait_s = self.timeout_s if timeout_s is None else timeout_s
        try:
            answer = self._http().request(method, path, json=body, headers=headers, timeout=wait_s)
        except httpx.TimeoutException as error:
            unknown = "; the change may still apply when it answers" if changing else ""
            raise BackendError(
                f"{self.url}{path}: no answer within {wait_s:g} s{unknown}"
            ) from error
        except httpx.HTTPError as error:
            raise BackendError(
                f"{self.url}{path}: {type(error).__name__}: cannot reach server"
            ) from error
        try:
            doc = answer.json()
        except ValueError:
            doc = None
        if answer.status_code in ok:
            return answer.status_code, doc
        reason = doc.get("error") if isinstance(doc, dict) else None
        reason = str(reason or answer.reason_phrase or "no reason given").strip()
        reason = reason.splitlines()[0] if reason else "no reason given"  # not Triton's traceback
        if answer.status_code == 401:
            raise BackendError(f"{self.url}: admin API refused the token (401)")
        if answer.status_code == 404:
            raise NotFoundError(f"{self.url}{path}: {reason}")
        if answer.status_code == 409 and isinstance(doc, dict) and "generation" in doc:
            raise TrafficConflict(f"{self.url}{path}: {reason}", self._conflicting(doc))
        if answer.status_code in (400, 409):
            raise RefusedChange(f"{self.url}{path}: {reason}")
        raise BackendError(f"{self.url}{path}: HTTP {answer.status_code}: {reason}")

    def endpoints(self) -> list[EndpointStatus]:
        """Every served model (the admin listing, else the V2 repository index)."""
        if self.admin_api():
            _, doc = self._call("GET", "/admin/models", admin=True)
            return [self._from_admin(entry) for entry in _models_of(doc)]
        index = self._index()
        if index is None:
            raise BackendError(f"{self.url}: no admin token and no repository index to list models")
        names = sorted({str(entry.get("name")) for entry in index})
        return [self._v2_status(name, index) for name in names]

    def status(self, model: str) -> EndpointStatus:
        """One served model: versions, weights and health; raises NotFoundError."""
        if self.admin_api():
            _, doc = self._call("GET", _path("admin", model), admin=True)
            return self._from_admin(doc)
        return self._v2_status(model, self._index())

    def _index(self) -> list[dict[str, Any]] | None:
        """The repository index (Triton, MLServer, local_serving), or None when unsupported."""
        try:
            _, doc = self._call("POST", "/v2/repository/index", body={})
        except NotFoundError:
            return None
        if not isinstance(doc, list):
            raise BackendError(f"{self.url}: repository index is not a list")
        return [entry for entry in doc if isinstance(entry, dict)]

    def _v2_status(self, model: str, index: list[dict[str, Any]] | None) -> EndpointStatus:
        """A model's versions from the index (else its metadata) and its readiness; no weights."""
        if index is not None:
            entries = [e for e in index if e.get("name") == model]
            if not entries:
                raise NotFoundError(f"{self.url}: no model {model!r} in the repository index")
            states = tuple(
                VersionState(str(e["version"]), _index_state(e))
                for e in entries
                if e.get("version")
            )
        else:
            _, meta = self._call("GET", _path("v2", model))
            versions = [str(v) for v in (meta or {}).get("versions", [])]
            ready = [
                self._call("GET", _path("v2", model, v, "ready"), ok=(200, 400, 503))[0] == 200
                for v in versions
            ]
            states = tuple(
                VersionState(v, "ready" if ok else "loading")
                for v, ok in zip(versions, ready, strict=True)
            )
        code, _ = self._call("GET", _path("v2", model, None, "ready"), ok=(200, 400, 503))
        return EndpointStatus(model, states, {}, healthy=code == 200, url=self.url)

    def _from_admin(self, doc: Any) -> EndpointStatus:
        """An admin document as an EndpointStatus."""
        if not isinstance(doc, dict) or "model" not in doc:
            raise BackendError(f"{self.url}: admin API answered an unexpected document")
        versions = tuple(
            VersionState(
                str(v.get("version")),
                v.get("state") if v.get("state") in STATES else "failed",
                str(v.get("runtime_version") or v.get("runtime") or ""),
            )
            for v in doc.get("versions", [])
        )
        weights = {str(k): int(w) for k, w in (doc.get("weights") or {}).items() if int(w) > 0}
        generation = doc.get("generation")
        return EndpointStatus(
            model=str(doc["model"]),
            versions=versions,
            weights=weights,
            healthy=bool(doc.get("ready")),
            url=self.url,
            generation=generation if type(generation) is int else None,
        )

    def _conflicting(self, doc: dict[str, Any]) -> EndpointStatus | None:
        """The split a 409 names (generation and weights), as far as the answer holds it."""
        try:
            return self._from_admin({"model": "", **doc})
        except (BackendError, TypeError, ValueError, AttributeError):
            return None

    def set_weights(self, model: str, weights: Mapping[str, int]) -> EndpointStatus:
        """Set the split atomically; a bad split raises RefusedChange (a ValueError) saying why."""
        return self._change(model, "traffic", {"weights": {str(k): v for k, v in weights.items()}})

    def set_weights_if(
        self, model: str, weights: Mapping[str, int], expected: EndpointStatus
    ) -> EndpointStatus:
        """Set the split only while the server is at `expected`'s generation (else by value)."""
        body: dict[str, Any] = {"weights": {str(k): v for k, v in weights.items()}}
        if expected.generation is not None:
            body["if_generation"] = expected.generation
            return self._change(model, "traffic", body)
        now = self.status(model)
        if _nonzero(now.weights) != _nonzero(expected.weights):
            raise TrafficConflict(
                f"{self.url}: the split of {model} is no longer the one read", current=now
            )
        return self._change(model, "traffic", body)

    def rollback(self, model: str, to_version: str) -> EndpointStatus:
        """Route 100 % to `to_version`."""
        return self._change(model, "rollback", {"to": to_version}, method="POST")

    def rollback_if(self, model: str, to_version: str, expected: EndpointStatus) -> EndpointStatus:
        """Route 100 % to `to_version` only while the server is at `expected`'s generation."""
        body: dict[str, Any] = {"to": to_version}
        if expected.generation is not None:
            body["if_generation"] = expected.generation
            return self._change(model, "rollback", body, method="POST")
        now = self.status(model)
        if _nonzero(now.weights) != _nonzero(expected.weights):
            raise TrafficConflict(
                f"{self.url}: the split of {model} is no longer the one read", current=now
            )
        return self._change(model, "rollback", body, method="POST")

    def _change(
        self, model: str, action: str, body: dict[str, Any], method: str = "PUT"
    ) -> EndpointStatus:
        """One traffic change; the answer (the server's split after it) is the status."""
        _, doc = self._call(method, _path("admin", model, None, action), admin=True, body=body)
        return self._from_admin(doc)

    def load(self, model: str, version: str) -> EndpointStatus:
        """Load and warm up a version (admin API), or load the model (repository extension)."""
        if self._by_repository():
            return self._repository_load(model, version)
        path = _path("admin", model, version, "load")
        _, doc = self._call("POST", path, admin=True)
        return self._from_admin(doc)

    def unload(self, model: str, version: str) -> EndpointStatus:
        """Unload a version with no weight (admin API), or the model (repository extension)."""
        if self._by_repository():
            return self._repository_unload(model, version)
        path = _path("admin", model, version, "unload")
        _, doc = self._call("POST", path, admin=True)
        return self._from_admin(doc)

    def _by_repository(self) -> bool:
        """True when loads go through the repository extension; raises when nothing takes them."""
        if self.admin_api():
            return False
        if self.repository_api():
            return True
        if self._token is None:
            raise BackendError(
                f"{self.url}: no Vigil admin API (no token) and no repository loads "
                "(Triton takes them with --model-control-mode=explicit); read-only"
            )
        return False

    def _repository_load(self, model: str, version: str) -> EndpointStatus:
        """Load `model` from the server's repository; fails unless `version` is then ready.

        Triton loads a whole model, the versions its `version_policy` names; the load
        answers when they are ready or failed.
        """
        self._v2_status(model, self._index())  # NotFoundError for a model not in the repository
        path = f"/v2/repository/models/{quote(model, safe='')}/load"
        self._call("POST", path, body={}, timeout_s=self.load_timeout_s)
        status = self._v2_status(model, self._index())
        state = _state_of(status, version)
        if state != "ready":
            loaded = ", ".join(v.version for v in status.versions if v.state == "ready") or "none"
            raise BackendError(
                f"{self.url}: loaded {model} (ready versions: {loaded}) but version {version} "
                f"is {state}; the model's version_policy decides which versions load"
            )
        return status

    def _repository_unload(self, model: str, version: str) -> EndpointStatus:
        """Unload `model` when `version` is its only loaded version; waits until it is unloaded.

        The repository extension unloads a whole model, so unloading one version while
        another is ready is refused rather than taking that one down too.
        """
        before = self._v2_status(model, self._index())
        if _state_of(before, version) == "absent":
            raise NotFoundError(f"{self.url}: {model} has no version {version}")
        others = [
            v.version
            for v in before.versions
            if v.version != version and v.state in ("ready", "loading")
        ]
        if others:
            raise RefusedChange(
                f"{self.url}: unloading {model} v{version} would also unload v{', v'.join(others)}"
                " (the repository extension unloads whole models)"
            )
        path = f"/v2/repository/models/{quote(model, safe='')}/unload"
        self._call("POST", path, body={}, timeout_s=self.load_timeout_s)
        deadline = time.monotonic() + self.load_timeout_s
        while True:
            index = self._index() or []
            mine = [e for e in index if e.get("name") == model and e.get("version")]
            if all(str(e.get("state", "")).upper() != "UNLOADING" for e in mine):
                return self._v2_status(model, index)
            if time.monotonic() >= deadline:
                raise BackendError(
                    f"{self.url}: {model} still unloading after {self.load_timeout_s:g} s"
                )
            time.sleep(0.1)


def _path(root: str, model: str, version: str | None = None, action: str = "") -> str:
    """`/<root>/models/<model>[/versions/<version>][/<action>]`, names URL-quoted."""
    path = f"/{root}/models/{quote(model, safe='')}"
    if version is not None:
        path += f"/versions/{quote(version, safe='')}"
    return f"{path}/{action}" if action else path


def _index_state(entry: dict[str, Any]) -> Any:
    """A repository index entry's state; Triton marks an unloaded version UNAVAILABLE."""
    state = str(entry.get("state", "")).upper()
    if state == "UNAVAILABLE" and str(entry.get("reason", "")).lower() == "unloaded":
        return "unloaded"
    return INDEX_STATES.get(state, "unloaded")


def _state_of(status: EndpointStatus, version: str) -> str:
    """The state of `version` in `status`, or "absent"."""
    return next((v.state for v in status.versions if v.version == version), "absent")


def _nonzero(weights: Mapping[str, int]) -> dict[str, int]:
    """The versions that take traffic."""
    return {str(k): int(v) for k, v in weights.items() if int(v)}


def _models_of(doc: Any) -> list[Any]:
    """The `models` list of an admin listing."""
    if not isinstance(doc, dict) or not isinstance(doc.get("models"), list):
        raise BackendError("admin API answered an unexpected model listing")
    return list(doc["models"])
