"""ModelRegistry on an MLflow (3.x) tracking server's REST API: models, versions, aliases, lineage.

Aliases (not the deprecated stages) name the champion and challenger. A
version's lineage comes from its run (source commit, dataset digests of the
run's inputs, a hash of its params, the environment hash it recorded). MLflow
keeps no alias history, so an alias move is an event only when Vigil made it:
`set_alias` records the move as a `vigil.alias_moved.<alias>` model tag.
Vigil's own metadata lives in tags: `task`, `slo_p99_ms`, `features`
(`name:kind,...`) on the model; `runtime` on a version.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar

from backends.contracts import (
    BackendError,
    FeatureSpec,
    Model,
    ModelVersion,
    NotFoundError,
    RegistryEvent,
    SupportsRegister,
)
from backends.discovery import Option
from backends.mlflow.http import MlflowHttp
from backends.mlflow.lineage import from_run, tags_of

TASKS = ("binary-classification", "regression", "multiclass")
MOVE_TAG = "vigil.alias_moved."


class MlflowRegistry:
    """An MLflow Model Registry as a ModelRegistry; SupportsRegister, so promote moves aliases."""

    OPTIONS: ClassVar[tuple[Option, ...]] = (
        Option("url", "url", "the MLflow tracking server's base URL"),
        Option(
            "token_env", "string", "the variable holding a bearer token", "MLFLOW_TRACKING_TOKEN"
        ),
        Option(
            "username_env",
            "string",
            "the variable holding a basic-auth user",
            "MLFLOW_TRACKING_USERNAME",
        ),
        Option(
            "password_env",
            "string",
            "the variable holding its password",
            "MLFLOW_TRACKING_PASSWORD",
        ),
        Option("timeout_s", "number", "seconds before a request gives up", 10.0),
    )

    def __init__(
        self,
        url: str,
        token_env: str = "MLFLOW_TRACKING_TOKEN",
        username_env: str = "MLFLOW_TRACKING_USERNAME",
        password_env: str = "MLFLOW_TRACKING_PASSWORD",
        timeout_s: float = 10.0,
    ) -> None:
        """Remember the server; credentials are read from the named variables, never from config."""
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"mlflow url must be http(s)://, not {url!r}")
        self.url = url.rstrip("/")
        self._api = MlflowHttp(self.url, token_env, username_env, password_env, float(timeout_s))

    def __repr__(self) -> str:
        """`MlflowRegistry('http://...')`."""
        return f"MlflowRegistry({self.url!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._api.close()

    def capabilities(self) -> frozenset[type]:
        """Registering versions and moving aliases."""
        return frozenset({SupportsRegister})

    def list_models(self) -> list[Model]:
        """Every registered model with its versions, by name."""
        found = self._api.pages("registered-models/search", "registered_models", max_results=100)
        return [self._model(entry) for entry in sorted(found, key=lambda e: str(e.get("name")))]

    def get_model(self, name: str) -> Model:
        """One registered model; raises NotFoundError."""
        doc = self._api.call("GET", "registered-models/get", name=name)
        return self._model(doc.get("registered_model") or {})

    def registry_events(
        self, model: str | None, start: datetime, end: datetime
    ) -> list[RegistryEvent]:
        """Version creations, and the alias moves Vigil recorded, in [start, end), oldest first."""
        models = [self.get_model(model)] if model else self.list_models()
        events: list[RegistryEvent] = []
        for each in models:
            for version in each.versions:
                events.append(
                    RegistryEvent(
                        version.created_at, each.name, "version_registered", version.version
                    )
                )
            events.extend(self._moves(each.name))
        return sorted((e for e in events if start <= e.at < end), key=lambda e: (e.at, e.version))

    def _moves(self, model: str) -> list[RegistryEvent]:
        """The alias moves recorded in the model's `vigil.alias_moved.*` tags."""
        doc = self._api.call("GET", "registered-models/get", name=model)
        moves = []
        for key, value in tags_of(doc.get("registered_model") or {}).items():
            if not key.startswith(MOVE_TAG):
                continue
            try:
                move = json.loads(value)
                at = datetime.fromisoformat(str(move["at"]))
            except (ValueError, KeyError, TypeError):
                continue
            detail = {"alias": key.removeprefix(MOVE_TAG), "from": move.get("from")}
            moves.append(RegistryEvent(at, model, "alias_moved", str(move.get("version")), detail))
        return moves

    def _model(self, entry: dict[str, Any]) -> Model:
        """A registered model and its versions (aliases completed from the model's alias list)."""
        name = str(entry.get("name", ""))
        if not name:
            raise BackendError("mlflow answered a registered model without a name")
        tags = tags_of(entry)
        aliases: dict[str, list[str]] = {}
        for alias in entry.get("aliases") or []:
            aliases.setdefault(str(alias.get("version")), []).append(str(alias.get("alias")))
        listed = self._api.pages(
            "model-versions/search",
            "model_versions",
            filter=f"name='{_quoted(name)}'",
            max_results=200,
        )
        versions = sorted(
            (self._version(name, v, aliases) for v in listed), key=lambda v: _number(v.version)
        )
        task = tags.get("task", "binary-classification")
        return Model(
            name=name,
            task=task if task in TASKS else "binary-classification",  # type: ignore[arg-type]
            versions=tuple(versions),
            description=str(entry.get("description") or ""),
            slo_p99_ms=_float(tags.get("slo_p99_ms")),
            features=_features(tags.get("features", "")),
        )

    def _version(
        self, model: str, doc: dict[str, Any], aliases: dict[str, list[str]]
    ) -> ModelVersion:
        """One version with its run's lineage; aliases from the version or the model's list."""
        number = str(doc.get("version", ""))
        tags = tags_of(doc)
        run = self._run(str(doc.get("run_id") or ""))
        own = [str(a) for a in doc.get("aliases") or []]
        runtime = tags.get("runtime", "torch" if "torch" in str(doc.get("source", "")) else "onnx")
        return ModelVersion(
            model=model,
            version=number,
            created_at=_at(doc.get("creation_timestamp")),
            runtime="torch" if runtime == "torch" else "onnx",
            artifact_uri=str(doc.get("source") or ""),
            lineage=from_run(run, tags),
            aliases=tuple(sorted(set(own) | set(aliases.get(number, [])))),
            metrics=_metrics(run),
            description=str(doc.get("description") or ""),
        )

    def _run(self, run_id: str) -> dict[str, Any] | None:
        """The run a version came from, or None when it has none or it was deleted."""
        if not run_id:
            return None
        try:
            run = self._api.call("GET", "runs/get", run_id=run_id).get("run")
        except NotFoundError:
            return None
        return run if isinstance(run, dict) else None

    def register_version(self, version: ModelVersion, *, model_task: str = "") -> ModelVersion:
        """Create the model if needed and a version from the artifact; MLflow numbers it."""
        try:
            self._api.call("GET", "registered-models/get", name=version.model)
        except NotFoundError:
            tags = [{"key": "task", "value": model_task}] if model_task else []
            self._api.call("POST", "registered-models/create", name=version.model, tags=tags)
        doc = self._api.call(
            "POST",
            "model-versions/create",
            name=version.model,
            source=version.artifact_uri,
            description=version.description,
            tags=[{"key": "runtime", "value": version.runtime}],
        )
        number = str((doc.get("model_version") or {}).get("version", ""))
        for alias in version.aliases:
            self.set_alias(version.model, alias, number)
        return next(v for v in self.get_model(version.model).versions if v.version == number)

    def set_alias(self, model: str, alias: str, version: str) -> RegistryEvent:
        """Point `alias` at `version`; record the move as a model tag (MLflow keeps no history)."""
        before = self.get_model(model)
        if not any(v.version == version for v in before.versions):
            raise NotFoundError(f"mlflow: model {model!r} has no version {version!r}")
        previous = before.alias(alias)
        self._api.call("POST", "registered-models/alias", name=model, alias=alias, version=version)
        at = datetime.now(UTC)
        was = previous.version if previous else None
        move = json.dumps({"at": at.isoformat(), "version": version, "from": was})
        self._api.call(
            "POST", "registered-models/set-tag", name=model, key=MOVE_TAG + alias, value=move
        )
        return RegistryEvent(at, model, "alias_moved", version, {"alias": alias, "from": was})


def _quoted(name: str) -> str:
    """A name inside an MLflow filter string's single quotes."""
    return name.replace("'", "\\'")


def _number(version: str) -> tuple[int, str]:
    """Sort key: numeric versions in number order."""
    return (int(version), "") if version.isdigit() else (1 << 62, version)


def _at(millis: Any) -> datetime:
    """An MLflow epoch-millisecond timestamp as UTC."""
    try:
        return datetime.fromtimestamp(int(millis) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.fromtimestamp(0, UTC)


def _float(text: str | None) -> float | None:
    """A float tag, or None."""
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _features(text: str) -> tuple[FeatureSpec, ...]:
    """`name:kind,...` as feature specs (kind numeric unless `categorical`)."""
    specs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, kind = item.partition(":")
        specs.append(FeatureSpec(name, "categorical" if kind == "categorical" else "numeric"))
    return tuple(specs)


def _metrics(run: dict[str, Any] | None) -> dict[str, float]:
    """The run's latest metrics."""
    if not run:
        return {}
    metrics = (run.get("data") or {}).get("metrics") or []
    out = {}
    for metric in metrics:
        try:
            out[str(metric["key"])] = float(metric["value"])
        except (KeyError, TypeError, ValueError):
            continue
    return out
