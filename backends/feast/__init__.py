"""FeatureStore through a Feast feature server (`feast serve`): online features and their freshness.

The context names each model's feature references (`view:feature`) and a
sample of entity keys. `online_features` reads `/get-online-features` for
entities (the slice drill-down shows them); freshness is the newest event
timestamp the online store holds per feature for the sampled entities, the
last materialised data the server can show. A feature older than `max_age_s`
is stale, and `stale_events` makes it a timeline event of the data layer.
The feature server serves no offline data, so `reference` says so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from backends.contracts import BackendError, NotFoundError, TimelineEvent
from backends.discovery import Option

if TYPE_CHECKING:
    import httpx
    import pandas as pd

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FeastFeatures:
    """A Feast feature server as Vigil's FeatureStore (online reads and freshness)."""

    OPTIONS: ClassVar[tuple[Option, ...]] = (
        Option("url", "url", "the feature server's base URL (`feast serve`)"),
        Option("features", "any", "model -> its feature references (`view:feature`, ...)"),
        Option("entities", "any", "join key -> entity values sampled for freshness"),
        Option("max_age_s", "number", "a feature older than this is stale", 86400.0),
        Option("token_env", "string", "the variable holding a bearer token", "FEAST_TOKEN"),
        Option("timeout_s", "number", "seconds before a request gives up", 10.0),
    )

    def __init__(
        self,
        url: str,
        features: Mapping[str, Sequence[str]],
        entities: Mapping[str, Sequence[Any]],
        max_age_s: float = 86400.0,
        token_env: str = "FEAST_TOKEN",
        timeout_s: float = 10.0,
    ) -> None:
        """Remember the server, each model's features and the entity sample; nothing is sent."""
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"feast url must be http(s)://, not {url!r}")
        if not isinstance(features, Mapping) or not all(
            isinstance(refs, list | tuple) and all(":" in str(r) for r in refs)
            for refs in features.values()
        ):
            raise ValueError("feast features must map each model to a list of `view:feature`")
        if not isinstance(entities, Mapping) or not all(
            isinstance(values, list | tuple) and values for values in entities.values()
        ):
            raise ValueError("feast entities must map a join key to a non-empty list of values")
        self.url = url.rstrip("/")
        self.features = {str(m): tuple(str(r) for r in refs) for m, refs in features.items()}
        self.entities = {str(k): list(v) for k, v in entities.items()}
        self.max_age = timedelta(seconds=float(max_age_s))
        self.token_env = token_env
        self.timeout_s = float(timeout_s)
        self._client: httpx.Client | None = None

    def __repr__(self) -> str:
        """`FeastFeatures('http://...')`."""
        return f"FeastFeatures({self.url!r})"

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _refs(self, model: str) -> tuple[str, ...]:
        """The model's feature references; NotFoundError for a model the context does not map."""
        if model not in self.features:
            raise NotFoundError(f"feast: no features configured for model {model!r}")
        return self.features[model]

    def _online(self, refs: Sequence[str], entities: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
        """One `/get-online-features` answer."""
        import httpx

        if self._client is None:
            token = os.environ.get(self.token_env, "").strip()
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            self._client = httpx.Client(base_url=self.url, timeout=self.timeout_s, headers=headers)
        body = {"features": list(refs), "entities": {k: list(v) for k, v in entities.items()}}
        try:
            answer = self._client.post("/get-online-features", json=body)
        except httpx.TimeoutException as error:
            raise BackendError(
                f"feast {self.url}: no answer within {self.timeout_s:g} s"
            ) from error
        except httpx.HTTPError as error:
            raise BackendError(f"feast {self.url}: {type(error).__name__}: cannot reach") from error
        try:
            doc = answer.json()
        except ValueError:
            doc = None
        if answer.status_code != 200 or not isinstance(doc, dict):
            detail = doc.get("detail") if isinstance(doc, dict) else answer.reason_phrase
            raise BackendError(f"feast {self.url}: HTTP {answer.status_code}: {str(detail)[:300]}")
        return doc

    def online_features(self, model: str, entities: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
        """The model's online feature values for `entities`, one row per entity (missing = NaN)."""
        import pandas as pd

        doc = self._online(self._refs(model), entities)
        names = (doc.get("metadata") or {}).get("feature_names") or []
        columns = {}
        for name, result in zip(names, doc.get("results") or [], strict=False):
            values = result.get("values") or []
            statuses = result.get("statuses") or ["PRESENT"] * len(values)
            columns[str(name)] = [
                v if s == "PRESENT" else None for v, s in zip(values, statuses, strict=False)
            ]
        return pd.DataFrame(columns)

    def freshness(self, model: str) -> dict[str, datetime]:
        """Per feature, the newest event timestamp online for the sampled entities."""
        refs = self._refs(model)
        doc = self._online(refs, self.entities)
        names = (doc.get("metadata") or {}).get("feature_names") or []
        results = doc.get("results") or []
        wanted = {ref.partition(":")[2] for ref in refs}
        newest: dict[str, datetime] = {}
        for name, result in zip(names, results, strict=False):
            if name not in wanted:
                continue
            stamps = [
                _parse(stamp)
                for stamp, status in zip(
                    result.get("event_timestamps") or [], result.get("statuses") or [], strict=False
                )
                if status == "PRESENT"
            ]
            known = [stamp for stamp in stamps if stamp is not None and stamp > EPOCH]
            if known:
                newest[str(name)] = max(known)
        return newest

    def stale_events(self, model: str, now: datetime) -> list[TimelineEvent]:
        """A data-layer timeline event for each feature older than `max_age_s` (or never seen)."""
        fresh = self.freshness(model)
        events = []
        for ref in self._refs(model):
            feature = ref.partition(":")[2]
            seen = fresh.get(feature)
            if seen is not None and now - seen <= self.max_age:
                continue
            age = "never materialised" if seen is None else f"last data {seen.isoformat()}"
            events.append(
                TimelineEvent(
                    at=now,
                    kind="feature_stale",
                    layer="data",
                    summary=f"{model}: feature {ref} is stale ({age})",
                    model=model,
                    source="feast",
                    detail={"feature": ref, "last": seen.isoformat() if seen else None},
                )
            )
        return events

    def reference(self, model: str, version: str | None = None) -> pd.DataFrame:
        """Not served: a Feast feature server has no offline read (give the reference elsewhere)."""
        raise BackendError(
            f"feast {self.url}: the feature server serves no offline data, so no reference "
            f"sample for {model}; keep `inference_log` (or a workspace) as the reference source"
        )


def _parse(stamp: Any) -> datetime | None:
    """An RFC 3339 timestamp as UTC, or None."""
    try:
        parsed = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
