"""Contexts (which backends, read-only or not) and the XDG paths Vigil uses.

`$XDG_CONFIG_HOME/vigil/config.yaml` holds named contexts, as kubeconfig does:

    current: demo
    contexts:
      demo:
        workspace: ~/.local/share/vigil/demo      # shorthand: every role embedded
      prod:
        read_only: true                            # the default for a name with "prod"
        default_model: fraud-detector
        backends:
          registry: {type: embedded, workspace: /srv/vigil}
          metrics: {type: prometheus, url: http://127.0.0.1:9090}

A config error names the file, the line and the key, and suggests the close match.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backends.discovery import Option

if TYPE_CHECKING:
    import argparse

    from backends.contracts import (
        FeatureStore,
        IncidentStore,
        InferenceLog,
        MetricStore,
        ModelRegistry,
        RetrainTrigger,
        ServingControl,
    )

ROLES: tuple[str, ...] = (
    "registry",
    "metrics",
    "features",
    "inference_log",
    "serving",
    "retrain",
    "incidents",
)
CONTEXT_OPTIONS: tuple[Option, ...] = (
    Option("workspace", "directory", "every role on the embedded backend of this directory", None),
    Option("read_only", "boolean", "refuse every mutating runbook step", None),
    Option("default_model", "string", "the model commands use when --model is not given", None),
    Option("theme", "string", "a Textual theme name", "textual-dark"),
)
CONTEXT_KEYS: tuple[str, ...] = (*(option.name for option in CONTEXT_OPTIONS), "backends")
CONFIG_BYTES, CONFIG_NODES, CONFIG_DEPTH = 256_000, 20_000, 32


Lines = Mapping[tuple[str, ...], int]
KeyPath = tuple[str, ...]


class ConfigError(Exception):
    """The config file is malformed: the message names file, line and key."""


@dataclass(frozen=True)
class ConfigOrigin:
    """Where a context was read from, so a problem found on use still names file, line and key."""

    path: Path
    lines: Lines

    def error(self, key: KeyPath, message: str) -> ConfigError:
        """A ConfigError that names the file, the line of `key` and the key path."""
        from backends.safe_yaml import key_line

        dotted = ".".join(key) or "(top level)"
        return ConfigError(f"{self.path}:{key_line(self.lines, key)}: {dotted}: {message}")


def config_home() -> Path:
    """`$XDG_CONFIG_HOME/vigil`, or `~/.config/vigil`."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "vigil"


def data_home() -> Path:
    """`$XDG_DATA_HOME/vigil`, or `~/.local/share/vigil`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "vigil"


def default_demo_workspace() -> Path:
    """Where `vigil demo` builds its workspace unless told otherwise."""
    return data_home() / "demo"


@dataclass(frozen=True)
class BackendSpec:
    """Which backend plays a role, and its options."""

    type: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """A resolved context: its backends by role, created lazily and cached."""

    name: str
    specs: Mapping[str, BackendSpec]
    read_only: bool = False
    default_model: str | None = None
    theme: str = "textual-dark"
    workspace: Path | None = None
    origin: ConfigOrigin | None = field(default=None, repr=False, compare=False)
    _instances: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = field(
        default_factory=dict, repr=False
    )

    def backend(self, role: str) -> Any:
        """The backend for `role`; one instance is shared by roles with the same spec."""
        spec = self.specs.get(role)
        if spec is None:
            raise ConfigError(f"context {self.name!r} has no backend for {role!r}")
        key = (spec.type, tuple(sorted((str(k), repr(v)) for k, v in spec.options.items())))
        if key not in self._instances:
            from backends.discovery import create

            self._instances[key] = create(spec.type, spec.options)
        return self._instances[key]

    @cached_property
    def registry(self) -> ModelRegistry:
        """The ModelRegistry."""
        backend: ModelRegistry = self.backend("registry")
        return backend

    @cached_property
    def metrics(self) -> MetricStore:
        """The MetricStore."""
        backend: MetricStore = self.backend("metrics")
        return backend

    @cached_property
    def features(self) -> FeatureStore:
        """The FeatureStore."""
        backend: FeatureStore = self.backend("features")
        return backend

    @cached_property
    def inference_log(self) -> InferenceLog:
        """The InferenceLog."""
        backend: InferenceLog = self.backend("inference_log")
        return backend

    @cached_property
    def serving(self) -> ServingControl:
        """The ServingControl."""
        backend: ServingControl = self.backend("serving")
        return backend

    @cached_property
    def retrain(self) -> RetrainTrigger:
        """The RetrainTrigger."""
        backend: RetrainTrigger = self.backend("retrain")
        return backend

    @cached_property
    def incidents(self) -> IncidentStore:
        """The IncidentStore."""
        backend: IncidentStore = self.backend("incidents")
        return backend


def workspace_specs(workspace: Path) -> dict[str, BackendSpec]:
    """Every role on the embedded backend of `workspace`; retraining as a local Torch job."""
    embedded = BackendSpec("embedded", {"workspace": str(workspace)})
    specs = {role: embedded for role in ROLES}
    specs["retrain"] = BackendSpec("local_retrain", {"workspace": str(workspace)})
    return specs


def embedded_context(
    workspace: Path, *, name: str | None = None, read_only: bool = False
) -> Context:
    """A context with every role served by the embedded backend on `workspace`."""
    path = workspace.expanduser().resolve()
    return Context(
        name=name or f"workspace:{path}",
        specs=workspace_specs(path),
        read_only=read_only,
        workspace=path,
    )


def resolve_context(args: argparse.Namespace) -> Context:
    """The context the command line asks for: --workspace, --context, or the current one."""
    read_only = bool(getattr(args, "read_only", False))
    workspace = getattr(args, "workspace", None)
    if workspace:
        return embedded_context(_existing(Path(workspace)), read_only=read_only)
    config = load_config(config_home() / "config.yaml")
    name = getattr(args, "context", None) or config.get("current")
    contexts: Mapping[str, Context] = config["contexts"]
    if name is None:
        if contexts:
            raise ConfigError(
                "no context chosen: pass --context NAME or set `current:` in "
                f"{config_home() / 'config.yaml'} (known: {', '.join(contexts)})"
            )
        demo = _existing(default_demo_workspace(), hint="run `vigil demo` to build it")
        return embedded_context(demo, name="demo", read_only=read_only)
    if name not in contexts:
        raise ConfigError(f"no context named {name!r}{_suggest(name, contexts)}")
    context = check_context(contexts[name])
    if read_only:
        context.read_only = True
    return context


def check_context(context: Context) -> Context:
    """Check what only use can tell (paths exist, backends take their options), for one context.

    Only the chosen context, so a typo in another does not block it; imports its backends.
    """
    from backends.discovery import BackendUnavailable, OptionError, check_options

    origin = context.origin
    if origin is None:
        return context
    where = ("contexts", context.name)
    if context.workspace is not None and not context.workspace.is_dir():
        raise origin.error(
            (*where, "workspace"),
            f"workspace {context.workspace} does not exist "
            f"(build one with `vigil demo --workspace {context.workspace}`)",
        )
    for role, spec in context.specs.items():
        configured: KeyPath = (*where, "backends", role)
        try:
            check_options(spec.type, spec.options, paths_exist=True)
        except BackendUnavailable as error:
            option = error.option if isinstance(error, OptionError) else "type"
            if configured not in origin.lines:
                key: KeyPath = (*where, "workspace")
            else:
                key = (*configured, option) if option else configured
            raise origin.error(key, str(error)) from None
    return context


def _existing(workspace: Path, hint: str = "") -> Path:
    """`workspace` if it is a directory; a typo must not open an empty console."""
    path = workspace.expanduser()
    if not path.is_dir():
        advice = hint or f"build one with `vigil demo --workspace {path}`"
        raise ConfigError(f"workspace {path} does not exist ({advice})")
    return path


def load_config(path: Path) -> dict[str, Any]:
    """Read and validate config.yaml; a missing file is an empty config."""
    from backends.safe_yaml import Limits, YamlRefused, load_with_lines, read_text

    if not path.exists() and not path.is_symlink():
        return {"current": None, "contexts": {}}
    limits = Limits(CONFIG_BYTES, CONFIG_NODES, CONFIG_DEPTH)
    try:
        document, lines = load_with_lines(read_text(path, limits), limits)
    except YamlRefused as error:
        where = f"{path}:{error.line}" if error.line is not None else str(path)
        raise ConfigError(f"{where}: {error}") from None
    origin = ConfigOrigin(path, lines)
    if document is None:
        return {"current": None, "contexts": {}}
    if not isinstance(document, dict):
        raise origin.error((), "the top level must be a mapping with `contexts:`")
    _check_keys(origin, (), document, ("current", "contexts"))
    raw_contexts = document.get("contexts")
    if raw_contexts is None:
        raw_contexts = {}
    if not isinstance(raw_contexts, dict):
        raise origin.error(("contexts",), "must be a mapping of context names")
    contexts: dict[str, Context] = {}
    for name, body in raw_contexts.items():
        if not isinstance(name, str):
            message = f'a context name must be a string: write "{name}" in quotes'
            raise origin.error(("contexts", str(name)), message)
        contexts[name] = _parse_context(origin, name, body)
    current = document.get("current")
    if current is not None and not isinstance(current, str):
        raise origin.error(("current",), f"current must name a context, not {_kind(current)}")
    if current is not None and current not in contexts:
        hint = _suggest(current, contexts)
        raise origin.error(("current",), f"current: no context {current!r}{hint}")
    return {"current": current, "contexts": contexts}


def _parse_context(origin: ConfigOrigin, name: str, body: Any) -> Context:
    """Validate one context's keys and value types, and build it (paths are checked on use)."""
    from backends.discovery import option_problem

    where = ("contexts", name)
    if not isinstance(body, dict):
        raise origin.error(where, f"context {name!r} must be a mapping")
    _check_keys(origin, where, body, CONTEXT_KEYS)
    for option in CONTEXT_OPTIONS:
        if option.name in body:
            problem = option_problem(option, body[option.name], paths_exist=False)
            if problem:
                raise origin.error((*where, option.name), f"{option.name} {problem}")
    workspace = _path(origin, (*where, "workspace"), body.get("workspace"))
    specs = workspace_specs(workspace) if workspace is not None else {}
    specs.update(_parse_backends(origin, (*where, "backends"), body.get("backends", {})))
    missing = [role for role in ROLES if role not in specs]
    if missing:
        raise origin.error(
            where,
            f"context {name!r} has no backend for {', '.join(missing)} "
            "(give `workspace:` for the embedded default)",
        )
    return Context(
        name=name,
        specs=specs,
        read_only=body.get("read_only", "prod" in name.lower()),
        default_model=body.get("default_model"),
        theme=body.get("theme", "textual-dark"),
        workspace=workspace,
        origin=origin,
    )


def _parse_backends(origin: ConfigOrigin, where: KeyPath, body: Any) -> dict[str, BackendSpec]:
    """Role → `{type: NAME, ...options}`; the options are checked against the backend on use."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise origin.error(where, f"backends must be a mapping of roles, not {_kind(body)}")
    specs: dict[str, BackendSpec] = {}
    for role, spec in body.items():
        key = (*where, str(role))
        if role not in ROLES:
            raise origin.error(key, f"unknown role {role!r}{_suggest(role, ROLES)}")
        if not isinstance(spec, dict) or "type" not in spec:
            raise origin.error(key, f"{role} needs `type:` (a backend name)")
        if not isinstance(spec["type"], str):
            raise origin.error((*key, "type"), f"type names a backend, not {_kind(spec['type'])}")
        for option in spec:
            if not isinstance(option, str):
                raise origin.error((*key, str(option)), f"an option name is a string: {option!r}")
        options = {k: v for k, v in spec.items() if k != "type"}
        specs[role] = BackendSpec(spec["type"], options)
    return specs


def _path(origin: ConfigOrigin, key: KeyPath, value: Any) -> Path | None:
    """A configured path with `~` expanded; a `~user` that does not exist names the key."""
    if value is None:
        return None
    try:
        return Path(value).expanduser()
    except RuntimeError as error:
        raise origin.error(key, f"cannot expand {value!r}: {error}") from None


def _check_keys(
    origin: ConfigOrigin, where: KeyPath, body: Mapping[str, Any], allowed: tuple[str, ...]
) -> None:
    """Reject unknown keys, naming the line and the close match."""
    for key in body:
        if key not in allowed:
            message = f"unknown key {key!r}{_suggest(str(key), allowed)}"
            raise origin.error((*where, str(key)), message)


def _kind(value: Any) -> str:
    """A short name of a YAML value's kind, for messages."""
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), f"{type(value).__name__} {value!r}"
    )


def _suggest(word: str, choices: Any) -> str:
    """`(did you mean 'x'?)` for the closest choice, or nothing."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
