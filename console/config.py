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

import argparse
import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

ROLES: tuple[str, ...] = (
    "registry",
    "metrics",
    "features",
    "inference_log",
    "serving",
    "retrain",
    "incidents",
)
CONTEXT_KEYS: tuple[str, ...] = (
    "workspace",
    "backends",
    "read_only",
    "default_model",
    "theme",
)


Lines = Mapping[tuple[str, ...], int]


class ConfigError(Exception):
    """The config file is malformed: the message names file, line and key."""


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
    _instances: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = field(
        default_factory=dict, repr=False
    )

    def backend(self, role: str) -> Any:
        """The backend for `role`; one instance is shared by roles with the same spec."""
        spec = self.specs.get(role)
        if spec is None:
            raise ConfigError(f"context {self.name!r} has no backend for {role!r}")
        key = (spec.type, tuple(sorted((k, repr(v)) for k, v in spec.options.items())))
        if key not in self._instances:
            from backends.discovery import create

            self._instances[key] = create(spec.type, spec.options)
        return self._instances[key]

    @cached_property
    def registry(self) -> Any:
        """The ModelRegistry."""
        return self.backend("registry")

    @cached_property
    def metrics(self) -> Any:
        """The MetricStore."""
        return self.backend("metrics")

    @cached_property
    def features(self) -> Any:
        """The FeatureStore."""
        return self.backend("features")

    @cached_property
    def inference_log(self) -> Any:
        """The InferenceLog."""
        return self.backend("inference_log")

    @cached_property
    def serving(self) -> Any:
        """The ServingControl."""
        return self.backend("serving")

    @cached_property
    def retrain(self) -> Any:
        """The RetrainTrigger."""
        return self.backend("retrain")

    @cached_property
    def incidents(self) -> Any:
        """The IncidentStore."""
        return self.backend("incidents")


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
    context = contexts[name]
    if read_only:
        context.read_only = True
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
    if not path.exists():
        return {"current": None, "contexts": {}}
    import yaml

    from runbooks.yaml_lines import load_with_lines

    text = path.read_text(encoding="utf-8")
    try:
        document, lines = load_with_lines(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    if document is None:
        return {"current": None, "contexts": {}}
    if not isinstance(document, dict):
        raise _error(path, lines, (), "the top level must be a mapping with `contexts:`")
    _check_keys(path, lines, (), document, ("current", "contexts"))
    raw_contexts = document.get("contexts") or {}
    if not isinstance(raw_contexts, dict):
        raise _error(path, lines, ("contexts",), "must be a mapping of context names")
    contexts = {
        str(name): _parse_context(path, lines, str(name), body)
        for name, body in raw_contexts.items()
    }
    current = document.get("current")
    if current is not None and current not in contexts:
        hint = _suggest(current, contexts)
        raise _error(path, lines, ("current",), f"current: no context {current!r}{hint}")
    return {"current": current, "contexts": contexts}


def _parse_context(path: Path, lines: Lines, name: str, body: Any) -> Context:
    """Validate one context's body and build it."""
    where = ("contexts", name)
    if not isinstance(body, dict):
        raise _error(path, lines, where, f"context {name!r} must be a mapping")
    _check_keys(path, lines, where, body, CONTEXT_KEYS)
    read_only = body.get("read_only", "prod" in name.lower())
    if not isinstance(read_only, bool):
        raise _error(path, lines, (*where, "read_only"), "read_only must be true or false")
    specs: dict[str, BackendSpec] = {}
    workspace = body.get("workspace")
    if workspace is not None:
        specs = workspace_specs(Path(str(workspace)).expanduser())
    backends = body.get("backends") or {}
    if not isinstance(backends, dict):
        raise _error(path, lines, (*where, "backends"), "backends must be a mapping")
    for role, spec in backends.items():
        key = (*where, "backends", str(role))
        if role not in ROLES:
            raise _error(path, lines, key, f"unknown role {role!r}{_suggest(role, ROLES)}")
        if not isinstance(spec, dict) or "type" not in spec:
            raise _error(path, lines, key, f"{role} needs `type:` (a backend name)")
        options = {k: v for k, v in spec.items() if k != "type"}
        specs[str(role)] = BackendSpec(str(spec["type"]), options)
    missing = [role for role in ROLES if role not in specs]
    if missing and workspace is None:
        raise _error(
            path,
            lines,
            where,
            f"context {name!r} has no backend for {', '.join(missing)} "
            "(give `workspace:` for the embedded default)",
        )
    return Context(
        name=name,
        specs=specs,
        read_only=read_only,
        default_model=body.get("default_model"),
        theme=str(body.get("theme", "textual-dark")),
        workspace=Path(str(workspace)).expanduser() if workspace is not None else None,
    )


def _check_keys(
    path: Path,
    lines: Lines,
    where: tuple[str, ...],
    body: Mapping[str, Any],
    allowed: tuple[str, ...],
) -> None:
    """Reject unknown keys, naming the line and the close match."""
    for key in body:
        if key not in allowed:
            message = f"unknown key {key!r}{_suggest(str(key), allowed)}"
            raise _error(path, lines, (*where, str(key)), message)


def _error(path: Path, lines: Lines, key: tuple[str, ...], message: str) -> ConfigError:
    """A ConfigError that names the file, the line of `key` and the key path."""
    from runbooks.yaml_lines import key_line

    dotted = ".".join(key) or "(top level)"
    return ConfigError(f"{path}:{key_line(lines, key)}: {dotted}: {message}")


def _suggest(word: str, choices: Any) -> str:
    """`(did you mean 'x'?)` for the closest choice, or nothing."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
