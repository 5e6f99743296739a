"""The model registry of a workspace: models, versions, aliases and registry events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from backends.contracts import (
    BackendError,
    FeatureSpec,
    Lineage,
    Model,
    ModelVersion,
    NotFoundError,
    RegistryEvent,
)
from backends.embedded.db import Database, dumps, from_us, loads, now_us, to_us
from backends.embedded.tables import ALIAS, MODEL, REGISTRY_EVENT, VERSION

TASKS = ("binary-classification", "regression", "multiclass")
RUNTIMES = ("onnx", "torch")


class RegistryMixin:
    """ModelRegistry + SupportsRegister over the workspace database."""

    _db: Database

    def list_models(self) -> list[Model]:
        """Every model with its versions, by name."""
        with self._db.read() as conn:
            names = conn.execute(select(MODEL.c.name).order_by(MODEL.c.name)).scalars().all()
            return [_load_model(conn, name) for name in names]

    def get_model(self, name: str) -> Model:
        """One model; raises NotFoundError naming the known ones."""
        with self._db.read() as conn:
            return _load_model(conn, name)

    def registry_events(
        self, model: str | None, start: datetime, end: datetime
    ) -> list[RegistryEvent]:
        """Registry events in [start, end), oldest first."""
        query = select(REGISTRY_EVENT).where(
            REGISTRY_EVENT.c.at_us >= to_us(start), REGISTRY_EVENT.c.at_us < to_us(end)
        )
        if model is not None:
            query = query.where(REGISTRY_EVENT.c.model == model)
        with self._db.read() as conn:
            rows = conn.execute(query.order_by(REGISTRY_EVENT.c.at_us, REGISTRY_EVENT.c.id)).all()
        return [
            RegistryEvent(
                at=from_us(row.at_us),
                model=row.model,
                kind=row.kind,
                version=row.version,
                detail=loads(row.detail_json),
            )
            for row in rows
        ]

    def _has_model(self, name: str) -> bool:
        """Whether the registry knows `name`."""
        with self._db.read() as conn:
            return (
                conn.execute(select(MODEL.c.name).where(MODEL.c.name == name)).first() is not None
            )

    def upsert_model(
        self,
        name: str,
        task: str = "binary-classification",
        description: str = "",
        slo_p99_ms: float | None = None,
        features: Sequence[FeatureSpec] = (),
        latency_budget_ms: Mapping[str, float] | None = None,
    ) -> Model:
        """Create or update a model's task, description, SLO, features and latency budget."""
        if not name:
            raise ValueError("model name must not be empty")
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r} (expected one of {', '.join(TASKS)})")
        values: dict[str, Any] = {
            "task": task,
            "description": description,
            "slo_p99_ms": None if slo_p99_ms is None else float(slo_p99_ms),
            "features_json": dumps([_feature_json(spec) for spec in features]),
            "latency_budget_json": dumps(
                {str(k): float(v) for k, v in (latency_budget_ms or {}).items()}
            ),
        }
        with self._db.write() as conn:
            exists = conn.execute(select(MODEL.c.name).where(MODEL.c.name == name)).first()
            if exists:
                conn.execute(update(MODEL).where(MODEL.c.name == name).values(**values))
            else:
                conn.execute(insert(MODEL).values(name=name, created_us=now_us(), **values))
            return _load_model(conn, name)

    def register_version(self, version: ModelVersion, *, model_task: str = "") -> ModelVersion:
        """Record a new version, creating the model (with `model_task`) if needed."""
        if version.runtime not in RUNTIMES:
            raise ValueError(f"unknown runtime {version.runtime!r} (expected onnx or torch)")
        if not version.model or not version.version:
            raise ValueError("a version needs a model name and a version string")
        created = to_us(version.created_at)
        with self._db.write() as conn:
            model = conn.execute(select(MODEL.c.name).where(MODEL.c.name == version.model))
            if model.first() is None:
                task = model_task or "binary-classification"
                if task not in TASKS:
                    raise ValueError(f"unknown task {task!r} (expected one of {', '.join(TASKS)})")
                conn.execute(
                    insert(MODEL).values(name=version.model, task=task, created_us=created)
                )
            if _version_row(conn, version.model, version.version) is not None:
                raise ValueError(f"{version.model} version {version.version} is already registered")
            conn.execute(
                insert(VERSION).values(
                    model=version.model,
                    version=version.version,
                    created_us=created,
                    runtime=version.runtime,
                    artifact_uri=version.artifact_uri,
                    code_hash=version.lineage.code_hash,
                    data_hash=version.lineage.data_hash,
                    config_hash=version.lineage.config_hash,
                    environment_hash=version.lineage.environment_hash,
                    metrics_json=dumps({k: float(v) for k, v in version.metrics.items()}),
                    description=version.description,
                )
            )
            _add_event(conn, created, version.model, "version_registered", version.version, {})
            for alias in version.aliases:
                _move_alias(conn, version.model, alias, version.version, created)
            return _version(conn, version.model, version.version)

    def set_alias(
        self, model: str, alias: str, version: str, *, at: datetime | None = None
    ) -> RegistryEvent:
        """Point `alias` at `version`, taking it from any other version (event stamped `at`)."""
        if not alias:
            raise ValueError("alias must not be empty")
        when = now_us() if at is None else to_us(at)
        with self._db.write() as conn:
            _require_model(conn, model)
            if _version_row(conn, model, version) is None:
                raise NotFoundError(f"{model} has no version {version!r}")
            return _move_alias(conn, model, alias, version, when)

    def remove_alias(self, model: str, alias: str) -> RegistryEvent:
        """Take `alias` off whichever version holds it; NotFoundError when none does."""
        at = now_us()
        with self._db.write() as conn:
            _require_model(conn, model)
            holder = conn.execute(
                select(ALIAS.c.version).where(ALIAS.c.model == model, ALIAS.c.alias == alias)
            ).scalar()
            if holder is None:
                raise NotFoundError(f"no version of {model} holds alias {alias!r}")
            conn.execute(delete(ALIAS).where(ALIAS.c.model == model, ALIAS.c.alias == alias))
            return _add_event(conn, at, model, "alias_removed", holder, {"alias": alias})


def _feature_json(spec: FeatureSpec) -> dict[str, str]:
    """A feature spec as stored JSON, checking its kind."""
    if spec.kind not in ("numeric", "categorical"):
        raise ValueError(f"feature {spec.name!r}: kind must be numeric or categorical")
    return {"name": spec.name, "kind": spec.kind}


def _move_alias(conn: Connection, model: str, alias: str, version: str, at: int) -> RegistryEvent:
    """Move `alias` to `version` (one holder only) and record the event; a no-op records none."""
    previous = conn.execute(
        select(ALIAS.c.version).where(ALIAS.c.model == model, ALIAS.c.alias == alias)
    ).scalar()
    detail = {"alias": alias, "from": previous}
    if previous == version:
        return RegistryEvent(
            at=from_us(at), model=model, kind="alias_moved", version=version, detail=detail
        )
    conn.execute(delete(ALIAS).where(ALIAS.c.model == model, ALIAS.c.alias == alias))
    conn.execute(insert(ALIAS).values(model=model, alias=alias, version=version))
    return _add_event(conn, at, model, "alias_moved", version, detail)


def _add_event(
    conn: Connection, at: int, model: str, kind: str, version: str, detail: Mapping[str, Any]
) -> RegistryEvent:
    """Insert one registry event and return it."""
    conn.execute(
        insert(REGISTRY_EVENT).values(
            at_us=at, model=model, kind=kind, version=version, detail_json=dumps(detail)
        )
    )
    return RegistryEvent(at=from_us(at), model=model, kind=kind, version=version, detail=detail)  # type: ignore[arg-type]


def _require_model(conn: Connection, name: str) -> Any:
    """The model row, or NotFoundError naming the known models."""
    row = conn.execute(select(MODEL).where(MODEL.c.name == name)).first()
    if row is None:
        known = conn.execute(select(MODEL.c.name).order_by(MODEL.c.name)).scalars().all()
        raise NotFoundError(f"no model {name!r} (known: {', '.join(known) or 'none'})")
    return row


def _version_row(conn: Connection, model: str, version: str) -> Any:
    """The stored row of one version, or None."""
    query = select(VERSION).where(VERSION.c.model == model, VERSION.c.version == version)
    return conn.execute(query).first()


def _aliases(conn: Connection, model: str) -> dict[str, list[str]]:
    """Aliases by version for one model."""
    found: dict[str, list[str]] = {}
    rows = conn.execute(
        select(ALIAS.c.alias, ALIAS.c.version).where(ALIAS.c.model == model).order_by(ALIAS.c.alias)
    )
    for alias, version in rows:
        found.setdefault(version, []).append(alias)
    return found


def _to_version(row: Any, aliases: Mapping[str, list[str]]) -> ModelVersion:
    """A stored version row as a ModelVersion."""
    return ModelVersion(
        model=row.model,
        version=row.version,
        created_at=from_us(row.created_us),
        runtime=row.runtime,
        artifact_uri=row.artifact_uri,
        lineage=Lineage(row.code_hash, row.data_hash, row.config_hash, row.environment_hash),
        aliases=tuple(aliases.get(row.version, ())),
        metrics=loads(row.metrics_json),
        description=row.description,
    )


def _version(conn: Connection, model: str, version: str) -> ModelVersion:
    """One version with its aliases."""
    row = _version_row(conn, model, version)
    if row is None:
        raise NotFoundError(f"{model} has no version {version!r}")
    return _to_version(row, _aliases(conn, model))


def _load_model(conn: Connection, name: str) -> Model:
    """A model with its versions (oldest first) and aliases."""
    row = _require_model(conn, name)
    aliases = _aliases(conn, name)
    rows = conn.execute(
        select(VERSION).where(VERSION.c.model == name).order_by(VERSION.c.created_us, VERSION.c.id)
    ).all()
    try:
        features = tuple(FeatureSpec(f["name"], f["kind"]) for f in loads(row.features_json))
    except (KeyError, TypeError) as error:
        raise BackendError(f"model {name!r}: stored features are malformed") from error
    return Model(
        name=row.name,
        task=row.task,
        versions=tuple(_to_version(v, aliases) for v in rows),
        description=row.description,
        slo_p99_ms=row.slo_p99_ms,
        features=features,
        latency_budget_ms=loads(row.latency_budget_json),
    )
