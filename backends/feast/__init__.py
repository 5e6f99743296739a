"""FeatureStore through Feast's servers: online features, materialisation freshness, stale views.

The context names each model's feature references (`view:feature`).
`online_features` reads the feature server's `/get-online-features` for
entities (the slice drill-down shows them). With `registry_url` (Feast's REST
registry server), freshness is each feature view's last materialisation as
the registry records it, and a view not materialised for longer than its ttl
(or `max_age_s`) is stale; `stale_events` makes that a timeline event of the
data layer. Without a registry, freshness falls back to the newest event
timestamp the online store holds for the sampled `entities`. With
`offline_url` too (Feast's offline server, Arrow Flight), `reference` reads
the offline rows of a window as the reference sample (several views joined
point-in-time by Feast).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from backends.contracts import BackendError, NotFoundError, TimelineEvent
from backends.discovery import Option
from backends.feast.registry import FeastRegistry, FeatureViewState
from backends.feast.wire import parse_time, request_json

if TYPE_CHECKING:
    import httpx
    import pandas as pd

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_MAX_AGE = timedelta(days=1)
DEFAULT_REFERENCE = timedelta(days=30)


class FeastFeatures:
    """Feast's feature server (and its registry and offline servers) as Vigil's FeatureStore."""

    OPTIONS: ClassVar[tuple[Option, ...]] = (
        Option("url", "url", "the feature server's base URL (`feast serve`)"),
        Option("features", "any", "model -> its feature references (`view:feature`, ...)"),
        Option(
            "registry_url",
            "url",
            "the REST registry server (`feast serve_registry --rest-api`): freshness and "
            "staleness from each view's materialisations",
            None,
        ),
        Option("project", "string", "the Feast project (default: the registry's only one)", None),
        Option(
            "offline_url",
            "string",
            "the offline server (`feast serve_offline`), grpc+tcp:// or grpc+tls://: the "
            "reference sample (needs registry_url)",
            None,
        ),
        Option("reference_start", "string", "the reference window's start (ISO 8601)", None),
        Option("reference_end", "string", "the reference window's end (default: now)", None),
        Option(
            "entities", "any", "join key -> entity values sampled for freshness (no registry)", None
        ),
        Option(
            "max_age_s",
            "number",
            "stale after this long (default: the view's ttl, else 24 h)",
            None,
        ),
        Option("token_env", "string", "the variable holding a bearer token", "FEAST_TOKEN"),
        Option("timeout_s", "number", "seconds before a request gives up", 10.0),
    )

    def __init__(
        self,
        url: str,
        features: Mapping[str, Sequence[str]],
        *,
        registry_url: str | None = None,
        project: str | None = None,
        offline_url: str | None = None,
        reference_start: str | None = None,
        reference_end: str | None = None,
        entities: Mapping[str, Sequence[Any]] | None = None,
        max_age_s: float | None = None,
        token_env: str = "FEAST_TOKEN",
        timeout_s: float = 10.0,
    ) -> None:
        """Remember the servers, each model's features and the options; nothing is sent."""
        for name, value in (("url", url), ("registry_url", registry_url)):
            if value is not None and not value.startswith(("http://", "https://")):
                raise ValueError(f"feast {name} must be http(s)://, not {value!r}")
        if offline_url is not None and not offline_url.startswith(("grpc+tcp://", "grpc+tls://")):
            raise ValueError(
                f"feast offline_url must be grpc+tcp:// or grpc+tls://, not {offline_url!r}"
            )
        if offline_url is not None and registry_url is None:
            raise ValueError("feast offline_url needs registry_url (the views' batch sources)")
        if not isinstance(features, Mapping) or not all(
            isinstance(refs, list | tuple) and all(":" in str(r) for r in refs)
            for refs in features.values()
        ):
            raise ValueError("feast features must map each model to a list of `view:feature`")
        if entities is not None and not (
            isinstance(entities, Mapping)
            and all(isinstance(v, list | tuple) and v for v in entities.values())
        ):
            raise ValueError("feast entities must map a join key to a non-empty list of values")
        if registry_url is None and not entities:
            raise ValueError(
                "feast needs registry_url (freshness from materialisations) or entities "
                "(freshness sampled from the online store)"
            )
        self.url = url.rstrip("/")
        self.features = {str(m): tuple(str(r) for r in refs) for m, refs in features.items()}
        self.entities = {str(k): list(v) for k, v in (entities or {}).items()}
        self.offline_url = offline_url
        self.reference_window = (_when(reference_start), _when(reference_end))
        first, last = self.reference_window
        if first is not None and last is not None and first >= last:
            raise ValueError("feast reference_start must be before reference_end")
        self.max_age = timedelta(seconds=float(max_age_s)) if max_age_s is not None else None
        self.token_env = token_env
        self.timeout_s = float(timeout_s)
        self._client: httpx.Client | None = None
        self.registry = (
            FeastRegistry(registry_url, project, self._http) if registry_url is not None else None
        )

    def __repr__(self) -> str:
        """`FeastFeatures('http://...')`."""
        return f"FeastFeatures({self.url!r})"

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _token(self) -> str:
        """The bearer token from the environment, or empty."""
        return os.environ.get(self.token_env, "").strip()

    def _http(self) -> httpx.Client:
        """The one HTTP client for the feature server and the registry (bearer token when set)."""
        import httpx

        if self._client is None:
            token = self._token()
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            self._client = httpx.Client(timeout=self.timeout_s, headers=headers)
        return self._client

    def _refs(self, model: str) -> tuple[str, ...]:
        """The model's feature references; NotFoundError for a model the context does not map."""
        if model not in self.features:
            raise NotFoundError(f"feast: no features configured for model {model!r}")
        return self.features[model]

    def _views(self, model: str) -> dict[str, list[str]]:
        """The model's feature views, each with its features, in the context's order."""
        views: dict[str, list[str]] = {}
        for ref in self._refs(model):
            view, _, feature = ref.partition(":")
            views.setdefault(view, []).append(feature)
        return views

    def _online(self, refs: Sequence[str], entities: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
        """One `/get-online-features` answer."""
        body = {"features": list(refs), "entities": {k: list(v) for k, v in entities.items()}}
        url = f"{self.url}/get-online-features"
        return request_json(self._http(), "POST", url, f"feast {self.url}", body=body)

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

    def entity_keys(self, model: str) -> tuple[str, ...]:
        """The join keys of the model's views (registry), else those of the sampled `entities`."""
        views = self._views(model)
        if self.registry is None:
            return tuple(self.entities)
        keys = (key for name in views for key in self.registry.view(name).join_keys)
        return tuple(dict.fromkeys(keys))

    def freshness(self, model: str) -> dict[str, datetime]:
        """Per feature, its view's last materialisation (registry) or newest online event time."""
        if self.registry is None:
            return self._online_freshness(model)
        fresh: dict[str, datetime] = {}
        for view, features in self._views(model).items():
            last = self.registry.view(view).last_materialised()
            if last is not None:
                fresh.update(dict.fromkeys(features, last))
        return fresh

    def _online_freshness(self, model: str) -> dict[str, datetime]:
        """Per feature, the newest event timestamp online for the sampled entities."""
        refs = self._refs(model)
        doc = self._online(refs, self.entities)
        names = (doc.get("metadata") or {}).get("feature_names") or []
        wanted = {ref.partition(":")[2] for ref in refs}
        newest: dict[str, datetime] = {}
        for name, result in zip(names, doc.get("results") or [], strict=False):
            if name not in wanted:
                continue
            stamps = [
                parse_time(stamp)
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
        """A data-layer timeline event for each view (or feature) stale at `now`."""
        if self.registry is None:
            return self._online_stale_events(model, now)
        events = []
        for name, features in self._views(model).items():
            view = self.registry.view(name)
            if view.created is not None and view.created > now:
                continue  # the view did not exist yet
            limit, limit_from = self._limit(view)
            last = view.last_materialised(until=now)
            if last is not None and now - last <= limit:
                continue
            if last is None:
                since, what = (view.created or now), "never materialised"
            else:
                since = last + limit
                what = f"last materialised {last:%Y-%m-%d %H:%M} UTC ({_span(now - last)} ago)"
            events.append(
                TimelineEvent(
                    at=min(since, now),
                    kind="feature_stale",
                    layer="data",
                    summary=f"view {name} stale: {what}, limit {_span(limit)} ({limit_from})",
                    model=model,
                    source="feast",
                    detail={
                        "feature_view": name,
                        "features": ", ".join(features),
                        "last_materialised": last.isoformat() if last else None,
                        "limit_s": limit.total_seconds(),
                        "limit_from": limit_from,
                    },
                )
            )
        return events

    def _limit(self, view: FeatureViewState) -> tuple[timedelta, str]:
        """How long a view stays fresh after a materialisation, and where that comes from."""
        if self.max_age is not None:
            return self.max_age, "max_age_s"
        if view.ttl is not None:
            return view.ttl, "ttl"
        return DEFAULT_MAX_AGE, "default"

    def _online_stale_events(self, model: str, now: datetime) -> list[TimelineEvent]:
        """Per feature whose newest online data is older than the limit (no registry to ask)."""
        fresh = self._online_freshness(model)
        limit = self.max_age or DEFAULT_MAX_AGE
        events = []
        for ref in self._refs(model):
            seen = fresh.get(ref.partition(":")[2])
            if seen is not None and now - seen <= limit:
                continue
            age = "no data online" if seen is None else f"newest data {seen:%Y-%m-%d %H:%M} UTC"
            events.append(
                TimelineEvent(
                    at=now,
                    kind="feature_stale",
                    layer="data",
                    summary=f"feature {ref} stale: {age}, over {_span(limit)}",
                    model=model,
                    source="feast",
                    detail={"features": ref, "last_event": seen.isoformat() if seen else None},
                )
            )
        return events

    def reference(self, model: str, version: str | None = None) -> pd.DataFrame:
        """The model's features on its first view's offline rows of the window (any version).

        One view: its batch source's rows. Several: the first view's rows are
        the entity rows, and Feast joins every feature to them as of each
        row's time (the point-in-time join of a training set).
        """
        from backends.feast.offline import ENTITY_TIME, point_in_time, pull_rows

        if self.offline_url is None or self.registry is None:
            raise BackendError(
                f"feast {self.url}: no reference sample for {model} without `offline_url` "
                "(Feast's offline server) and `registry_url`; or keep `inference_log` "
                "(or a workspace) as the reference source"
            )
        views = self._views(model)
        states = {name: self.registry.view(name) for name in views}
        first_name, first = next(iter(states.items()))
        unjoinable = [n for n, v in states.items() if not set(v.join_keys) <= set(first.join_keys)]
        if unjoinable:
            raise BackendError(
                f"feast: {', '.join(unjoinable)} key on other entities than {first_name} "
                f"({', '.join(first.join_keys)}), so the reference of {model} cannot join them"
            )
        start, end = self.reference_window
        end = end or datetime.now(UTC)
        start = start or end - DEFAULT_REFERENCE
        token = self._token()
        rows = pull_rows(
            self.offline_url,
            first,
            views[first_name],
            start,
            end,
            token=token,
            timeout_s=self.timeout_s,
        )
        if len(views) == 1 or rows.empty:
            return rows
        entity_rows = rows[[*first.join_keys, first.timestamp_field]].rename(
            columns={first.timestamp_field: ENTITY_TIME}
        )
        return point_in_time(
            self.offline_url,
            entity_rows,
            list(self._refs(model)),
            self.registry.project_name(),
            token=token,
            timeout_s=self.timeout_s,
        )


def _when(text: str | None) -> datetime | None:
    """An ISO 8601 option as UTC; a clear error for one that is not."""
    if text is None:
        return None
    parsed = parse_time(text)
    if parsed is None:
        raise ValueError(f"feast reference window: {text!r} is not an ISO 8601 time")
    return parsed


def _span(delta: timedelta) -> str:
    """`2 h`, `3 d`, `45 min`: a duration the way an on-call engineer reads it."""
    seconds = delta.total_seconds()
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} d"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 60:.0f} min"
