"""The MLflow REST API over httpx: bearer or basic auth from the environment; BackendError."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from backends.contracts import BackendError, NotFoundError

if TYPE_CHECKING:
    import httpx

API = "/api/2.0/mlflow"


class MlflowHttp:
    """One MLflow server: GET and POST on `/api/2.0/mlflow/...`, with a timeout on each call."""

    def __init__(
        self, url: str, token_env: str, username_env: str, password_env: str, timeout_s: float
    ) -> None:
        """Remember the server and the names of the variables holding its credentials."""
        self.url = url.rstrip("/")
        self.token_env = token_env
        self.username_env = username_env
        self.password_env = password_env
        self.timeout_s = timeout_s
        self._client: httpx.Client | None = None

    def _http(self) -> httpx.Client:
        """A pooled client, created on first use with the credentials the environment holds."""
        import httpx

        if self._client is None:
            headers: dict[str, str] = {}
            auth: tuple[str, str] | None = None
            token = os.environ.get(self.token_env, "").strip()
            user = os.environ.get(self.username_env, "")
            if token:
                headers["Authorization"] = f"Bearer {token}"
            elif user:
                auth = (user, os.environ.get(self.password_env, ""))
            self._client = httpx.Client(
                base_url=self.url, timeout=self.timeout_s, headers=headers, auth=auth
            )
        return self._client

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def call(self, method: str, endpoint: str, **params: Any) -> dict[str, Any]:
        """One call (`registered-models/get`, ...); 404 or RESOURCE_DOES_NOT_EXIST is NotFound."""
        import httpx

        path = f"{API}/{endpoint}"
        try:
            if method == "GET":
                answer = self._http().get(path, params=params)
            else:
                answer = self._http().request(method, path, json=params)
        except httpx.TimeoutException as error:
            raise BackendError(
                f"mlflow {self.url}: no answer within {self.timeout_s:g} s"
            ) from error
        except httpx.HTTPError as error:
            raise BackendError(
                f"mlflow {self.url}: {type(error).__name__}: cannot reach"
            ) from error
        try:
            doc = answer.json() if answer.content else {}
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise BackendError(f"mlflow {self.url}{path}: HTTP {answer.status_code}, not JSON")
        if answer.status_code == 200:
            return doc
        code = str(doc.get("error_code", ""))
        reason = str(doc.get("message") or answer.reason_phrase)[:300]
        if answer.status_code == 404 or code == "RESOURCE_DOES_NOT_EXIST":
            raise NotFoundError(f"mlflow: {reason}")
        if answer.status_code in (401, 403):
            raise BackendError(
                f"mlflow {self.url} refused the credentials (HTTP {answer.status_code})"
            )
        raise BackendError(f"mlflow {self.url}{path}: HTTP {answer.status_code} {code}: {reason}")

    def pages(self, endpoint: str, key: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a paginated search (`registered_models`, `model_versions`)."""
        items: list[dict[str, Any]] = []
        token = ""
        for _ in range(1000):
            page = self.call("GET", endpoint, **params, **({"page_token": token} if token else {}))
            items.extend(item for item in page.get(key, []) if isinstance(item, dict))
            token = str(page.get("next_page_token") or "")
            if not token:
                return items
        raise BackendError(f"mlflow {self.url}: {endpoint} did not end after 1000 pages")
