"""Lineage of an MLflow model version from its run: commit, dataset digests, params, environment."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from backends.contracts import Lineage

COMMIT_TAG = "mlflow.source.git.commit"
ENVIRONMENT_TAGS = ("vigil.environment_hash", "environment_hash")


def tags_of(entity: Mapping[str, Any]) -> dict[str, str]:
    """MLflow's `[{key, value}]` tags as a dict."""
    raw = entity.get("tags") or []
    if isinstance(raw, Mapping):
        return {str(k): str(v) for k, v in raw.items()}
    return {str(tag.get("key")): str(tag.get("value", "")) for tag in raw if isinstance(tag, dict)}


def digest(payload: Any) -> str:
    """sha256 of a canonical JSON rendering."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def from_run(run: Mapping[str, Any] | None, version_tags: Mapping[str, str]) -> Lineage:
    """Code = the source commit; data = the run's input digests; config = params; environment."""
    if not run:
        return Lineage(version_tags.get(COMMIT_TAG, ""), "", "", _environment(version_tags, {}))
    data = run.get("data") or {}
    run_tags = tags_of(data)
    params = {
        str(p.get("key")): str(p.get("value", ""))
        for p in data.get("params") or []
        if isinstance(p, dict)
    }
    inputs = (run.get("inputs") or {}).get("dataset_inputs") or []
    digests = sorted(
        str((entry.get("dataset") or {}).get("digest", ""))
        for entry in inputs
        if isinstance(entry, dict)
    )
    data_hash = digests[0] if len(digests) == 1 else (digest(digests) if digests else "")
    return Lineage(
        code_hash=version_tags.get(COMMIT_TAG) or run_tags.get(COMMIT_TAG, ""),
        data_hash=data_hash,
        config_hash=digest(params) if params else "",
        environment_hash=_environment(version_tags, run_tags),
    )


def _environment(version_tags: Mapping[str, str], run_tags: Mapping[str, str]) -> str:
    """The environment hash a version or its run recorded, else empty (MLflow keeps none)."""
    for tags in (version_tags, run_tags):
        for key in ENVIRONMENT_TAGS:
            if tags.get(key):
                return tags[key]
    return ""
