"""One logged request's entity and its online features, as the requests drill-down shows them.

The feature store names the join keys (`account_id`, ...); the logged row
gives their values, and the store answers with the entity's current feature
values. A store that is down, or a row without the key, is a reason in the
answer, never an exception for the screen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from backends.capabilities import supports
from backends.contracts import BackendError, SupportsOnlineFeatures
from console.services.reading import describe_error


@dataclass(frozen=True)
class OnlineFeatures:
    """The entity of one request, its features now (None = absent online), or why not."""

    model: str
    entity: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def online_store(source: object) -> SupportsOnlineFeatures | None:
    """The context's feature store when it serves online features, else None (nothing is sent)."""
    from backends.discovery import BackendUnavailable
    from console.config import ConfigError

    try:
        store = getattr(source, "features", None)
    except (ConfigError, BackendUnavailable, BackendError, ValueError, TypeError):
        return None  # a feature store the context cannot build offers nothing
    return store if supports(store, SupportsOnlineFeatures) else None


def plain(value: Any) -> Any:
    """A numpy scalar as its Python value, an integral float as an int (join keys are ids)."""
    item = value.item() if hasattr(value, "item") else value
    if isinstance(item, float) and item.is_integer():
        return int(item)
    return item


def missing(value: Any) -> bool:
    """None or NaN: no key to look up."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def entity_features(
    store: SupportsOnlineFeatures, model: str, row: Mapping[str, Any]
) -> OnlineFeatures:
    """The row's entity (the store's join keys) and the store's current features for it."""
    entity: dict[str, Any] = {}
    try:
        keys = store.entity_keys(model)
        entity = {key: plain(row[key]) for key in keys if key in row}
        absent = [key for key in keys if key not in entity or missing(entity[key])]
        if absent:
            reason = f"the logged request has no {', '.join(absent)} (the feature store's join key)"
            return OnlineFeatures(model, entity, error=reason)
        frame = store.online_features(model, {key: [value] for key, value in entity.items()})
    except (BackendError, ValueError, OSError) as error:
        return OnlineFeatures(model, entity, error=f"feature store: {describe_error(error)}")
    if frame.empty:
        return OnlineFeatures(model, entity, error="the feature store returned no row")
    first = frame.iloc[0]
    values = {
        str(name): None if missing(plain(first[name])) else plain(first[name])
        for name in frame.columns
        if name not in entity
    }
    return OnlineFeatures(model, entity, values)
