"""Feature views as Feast's REST registry server (`feast serve_registry --rest-api`) records them.

The registry is where Feast keeps each feature view's materialisation
intervals, its ttl and its batch source: what freshness, staleness and the
offline reference need and the feature server does not expose.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from backends.contracts import BackendError, NotFoundError
from backends.feast.wire import parse_time, request_json

if TYPE_CHECKING:
    import httpx

API = "/api/v1"


@dataclass(frozen=True)
class FeatureViewState:
    """One feature view's registry record: its materialisations, ttl and batch source."""

    name: str
    created: datetime | None
    ttl: timedelta | None
    intervals: tuple[tuple[datetime, datetime], ...]
    source_name: str
    timestamp_field: str
    created_timestamp_column: str | None
    join_keys: tuple[str, ...]
    features: tuple[str, ...]

    def last_materialised(self, until: datetime | None = None) -> datetime | None:
        """The end of the latest materialisation interval (ending by `until`), None if never."""
        ends = [end for _, end in self.intervals if until is None or end <= until]
        return max(ends) if ends else None


class FeastRegistry:
    """Reads feature views of one project from a REST registry server."""

    def __init__(self, url: str, project: str | None, client: Callable[[], httpx.Client]) -> None:
        """The server's base URL (`/api/v1` is added), the project (None: the only one there)."""
        self.url = url.rstrip("/")
        self.project = project
        self._client = client

    def _get(self, path: str, params: Mapping[str, str]) -> Any:
        """One GET on the registry's API, as JSON."""
        return request_json(
            self._client(), "GET", f"{self.url}{API}{path}", f"feast registry {self.url}", params
        )

    def project_name(self) -> str:
        """The configured project, else the registry's only one (a clear error for none or many)."""
        if self.project is None:
            listed = self._get("/projects", {}).get("projects") or []
            names = [str((p.get("spec") or {}).get("name")) for p in listed]
            if len(names) != 1:
                raise BackendError(
                    f"feast registry {self.url}: {len(names)} projects ({', '.join(names)}); "
                    "set `project` in the context"
                )
            self.project = names[0]
        return self.project

    def view(self, name: str) -> FeatureViewState:
        """One feature view, read afresh (no registry cache: a materialisation shows at once)."""
        try:
            doc = self._get(
                f"/feature_views/{name}", {"project": self.project_name(), "allow_cache": "false"}
            )
        except NotFoundError as error:
            raise NotFoundError(f"feast registry: no feature view {name!r} ({error})") from error
        return parse_view(doc)


def parse_view(doc: Mapping[str, Any]) -> FeatureViewState:
    """A registry answer (`spec` + `meta`, camelCase proto JSON) as a FeatureViewState."""
    spec = doc.get("spec") or {}
    meta = doc.get("meta") or {}
    source = spec.get("batchSource") or {}
    intervals = []
    for interval in meta.get("materializationIntervals") or []:
        start, end = parse_time(interval.get("startTime")), parse_time(interval.get("endTime"))
        if start is not None and end is not None:
            intervals.append((start, end))
    return FeatureViewState(
        name=str(spec.get("name", "")),
        created=parse_time(meta.get("createdTimestamp")),
        ttl=_duration(spec.get("ttl")),
        intervals=tuple(intervals),
        source_name=str(source.get("name", "")),
        timestamp_field=str(source.get("timestampField", "")),
        created_timestamp_column=source.get("createdTimestampColumn") or None,
        join_keys=tuple(str(c.get("name")) for c in spec.get("entityColumns") or []),
        features=tuple(str(f.get("name")) for f in spec.get("features") or []),
    )


def _duration(text: Any) -> timedelta | None:
    """A proto JSON duration (`"7200s"`, `"1.5s"`) as a timedelta; None when absent or zero."""
    if not isinstance(text, str) or not text.endswith("s"):
        return None
    try:
        seconds = float(text[:-1])
    except ValueError:
        return None
    return timedelta(seconds=seconds) if seconds > 0 else None
