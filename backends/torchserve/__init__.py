"""ServingControl on TorchServe's management and inference APIs: the remote Torch runtime.

TorchServe holds several versions of a model and sends every request to the
default one, so the split is always 100 % on the default version: rollback
and promote set the default (`PUT /models/{m}/{v}/set-default`), and there is
no traffic-split capability (the console offers no weights). Load and unload
scale a version's workers (to one, or to none; the default keeps its own). Worker state
gives each version's readiness; the inference API's `/ping` gives health.
A management key (TorchServe's token authorization) comes from `$token_env`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from backends.contracts import (
    BackendError,
    EndpointStatus,
    NotFoundError,
    SupportsLoad,
    SupportsRollback,
    VersionState,
)
from backends.discovery import Option

if TYPE_CHECKING:
    import httpx


class TorchServeServing:
    """A TorchServe server as a ServingControl backend that rolls back by setting the default."""

    OPTIONS: ClassVar[tuple[Option, ...]] = (
        Option("management_url", "url", "the management API's base URL (port 8081 by default)"),
        Option("inference_url", "url", "the inference API's base URL, for health (/ping)", None),
        Option(
            "token_env", "string", "the variable holding the management key", "TORCHSERVE_TOKEN"
        ),
        Option("timeout_s", "number", "seconds before a request gives up", 10.0),
    )

    def __init__(
        self,
        management_url: str,
        inference_url: str | None = None,
        token_env: str = "TORCHSERVE_TOKEN",
        timeout_s: float = 10.0,
    ) -> None:
        """Remember where the APIs are; the key is read from `$token_env` on first use."""
        for url in (management_url, inference_url or "http://"):
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"torchserve urls must be http(s)://, not {url!r}")
        self.management_url = management_url.rstrip("/")
        self.inference_url = (inference_url or "").rstrip("/") or None
        self.token_env = token_env
        self.timeout_s = float(timeout_s)
        self._client: httpx.Client | None = None

    def __repr__(self) -> str:
        """`TorchServeServing('http://...')` (never the key)."""
        return f"TorchServeServing({self.management_url!r})"

    def capabilities(self) -> frozenset[type]:
        """Rollback (and so promote) by default version, load by workers; no traffic split."""
        return frozenset({SupportsRollback, SupportsLoad})

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _http(self) -> httpx.Client:
        """A pooled client created on first use, with the management key when one is set."""
        import httpx

        if self._client is None:
            token = os.environ.get(self.token_env, "").strip()
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            self._client = httpx.Client(timeout=self.timeout_s, headers=headers)
        return self._client

    def load(self, model: str, version: str) -> EndpointStatus:
        """Start a worker for `version` and wait until it is READY; no traffic until default.

        TorchServe's `synchronous=true` can answer while the new worker is still
        starting, so the state is polled until READY or `timeout_s` passes.
        """
        url = f"{self._version_url(model, version)}?min_worker=1&max_worker=1&synchronous=true"
        self._call("PUT", url)
        deadline = time.monotonic() + self.timeout_s
        while True:
            status = self.status(model)
            state = next((v.state for v in status.versions if v.version == version), "unloaded")
            if state == "ready":
                return status
            if time.monotonic() >= deadline:
                raise BackendError(
                    f"torchserve: v{version} of {model} is still {state} after {self.timeout_s:g} s"
                )
            time.sleep(0.1)

    def unload(self, model: str, version: str) -> EndpointStatus:
        """Stop `version`'s workers (it stays registered); the default version is refused."""
        if self.status(model).weights.get(version):
            raise BackendError(f"torchserve: v{version} of {model} is the default; roll back first")
        url = f"{self._version_url(model, version)}?min_worker=0&max_worker=0&synchronous=true"
        self._call("PUT", url)
        return self.status(model)

    def _version_url(self, model: str, version: str) -> str:
        """`<management>/models/<model>/<version>`, names URL-quoted."""
        return f"{self.management_url}/models/{quote(model, safe='')}/{quote(version, safe='')}"

    def _call(self, method: str, url: str) -> Any:
        """One request; failures become BackendError (NotFoundError for 404), never the key."""
        import httpx

        try:
            answer = self._http().request(method, url)
        except httpx.TimeoutException as error:
            raise BackendError(
                f"torchserve {url}: no answer within {self.timeout_s:g} s"
            ) from error
        except httpx.HTTPError as error:
            raise BackendError(f"torchserve {url}: {type(error).__name__}: cannot reach") from error
        try:
            doc = answer.json()
        except ValueError:
            doc = None
        if answer.status_code == 200:
            return doc
        reason = str(doc.get("message") if isinstance(doc, dict) else answer.reason_phrase)[:300]
        if answer.status_code == 404:
            raise NotFoundError(f"torchserve: {reason}")
        if answer.status_code in (400, 401, 403) and "token" in reason.lower():
            raise BackendError(f"torchserve {self.management_url} refused the management key")
        raise BackendError(f"torchserve {url}: HTTP {answer.status_code}: {reason}")

    def endpoints(self) -> list[EndpointStatus]:
        """Every registered model."""
        listing = self._call("GET", f"{self.management_url}/models?limit=1000")
        models = listing.get("models") if isinstance(listing, dict) else None
        if not isinstance(models, list):
            raise BackendError(f"torchserve {self.management_url}: unexpected model listing")
        names = sorted({str(m.get("modelName")) for m in models if isinstance(m, dict)})
        return [self.status(name) for name in names]

    def status(self, model: str) -> EndpointStatus:
        """A model's versions with worker state; the default version takes 100 %."""
        name = quote(model, safe="")
        every = _descriptions(self._call("GET", f"{self.management_url}/models/{name}/all"))
        default = _descriptions(self._call("GET", f"{self.management_url}/models/{name}"))
        versions = tuple(
            VersionState(str(d.get("modelVersion")), _state(d), str(d.get("runtime", "")))
            for d in every
        )
        weights = {str(default[0].get("modelVersion")): 100} if default else {}
        healthy = any(v.state == "ready" for v in versions) and self._healthy()
        return EndpointStatus(model, versions, weights, healthy, url=self.management_url)

    def _healthy(self) -> bool:
        """The inference API's `/ping` says Healthy (True when no inference URL is configured)."""
        if self.inference_url is None:
            return True
        try:
            doc = self._call("GET", f"{self.inference_url}/ping")
        except BackendError:
            return False
        return isinstance(doc, dict) and str(doc.get("status", "")).lower() == "healthy"

    def rollback(self, model: str, to_version: str) -> EndpointStatus:
        """Make `to_version` the default, so it takes every request."""
        self._call("PUT", f"{self._version_url(model, to_version)}/set-default")
        return self.status(model)


def _descriptions(doc: Any) -> list[Mapping[str, Any]]:
    """The version descriptions of a describe-model answer."""
    if not isinstance(doc, list):
        raise BackendError("torchserve answered an unexpected model description")
    return [entry for entry in doc if isinstance(entry, dict)]


def _state(description: Mapping[str, Any]) -> Any:
    """ready when a worker is READY, loading when workers start, else unloaded."""
    workers = [w for w in description.get("workers") or [] if isinstance(w, dict)]
    statuses = {str(w.get("status", "")).upper() for w in workers}
    if "READY" in statuses:
        return "ready"
    return "loading" if workers else "unloaded"
