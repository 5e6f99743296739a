"""The fields each step type takes, and how each field is checked when a runbook loads."""

from __future__ import annotations

from collections.abc import Mapping

Field = tuple[str, bool]  # (kind, required)

COMMON: Mapping[str, Field] = {
    "type": ("str", True),
    "name": ("str", False),
    "model": ("str", False),
}

STEP_FIELDS: Mapping[str, Mapping[str, Field]] = {
    "check": {
        "conditions": ("conditions", False),
        "triggers": ("triggers", False),
        "otherwise": ("choice:fail|finish", False),
        "message": ("str", False),
    },
    "confirm": {"message": ("str", True), "require": ("choice:yes|name", False)},
    "set_weights": {"weights": ("weights", True), "rollout": ("str", False)},
    "rollback": {"to": ("str", False), "tier": ("choice:immediate|rapid|delayed", False)},
    "promote": {
        "version": ("str", True),
        "alias": ("str", False),
        "traffic": ("bool", False),
    },
    "load": {"version": ("str", True)},
    "unload": {"version": ("str", True)},
    "wait": {"duration": ("duration", True)},
    "analysis": {
        "conditions": ("conditions", True),
        "interval": ("duration", False),
        "count": ("int", False),
        "failure_limit": ("int", False),
        "inconclusive_limit": ("int", False),
    },
    "retrain": {
        "reason": ("str", True),
        "params": ("mapping", False),
        "wait": ("bool", False),
        "timeout": ("duration", False),
    },
    "annotate": {
        "message": ("str", True),
        "layer": ("choice:infrastructure|data|model|business", False),
        "kind": ("str", False),
    },
    "notify": {
        "message": ("str", True),
        "channel": ("choice:stdout|webhook", False),
        "url": ("str", False),
        "token_env": ("str", False),
    },
}

CONDITION_FIELDS: Mapping[str, str] = {
    "name": "str",
    "metric": "str",
    "per": "str",
    "histogram": "str",
    "quantile": "num",
    "drift": "choice:psi",
    "feature": "str",
    "labels": "mapping",
    "window": "duration",
    "reduce": "choice:last|mean|max|min",
    "max": "num",
    "min": "num",
    "baseline": "mapping",
}
BASELINE_FIELDS: Mapping[str, str] = {"labels": "mapping", "window": "duration"}
TRIGGER_FIELDS: Mapping[str, str] = {
    "metric": "str",
    "threshold": "num",
    "window": "duration",
    "features": "list",
}
PARAMETER_FIELDS: Mapping[str, str] = {
    "type": "str",
    "required": "bool",
    "default": "any",
    "description": "str",
    "choices": "list",
}
TOP_FIELDS: Mapping[str, Field] = {
    "name": ("str", True),
    "description": ("str", True),
    "risk": ("choice:low|medium|high", True),
    "parameters": ("mapping", False),
    "steps": ("list", True),
    "on_failure": ("list", False),
    "nonprod_only": ("bool", False),
    "doc": ("str", False),
}
INCLUDE_FIELDS: Mapping[str, Field] = {
    "include": ("str", True),
    "with": ("mapping", False),
    "name": ("str", False),
}
