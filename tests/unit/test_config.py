"""Contexts: parsing, defaults, and errors that name the file, line and key."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from console.config import ConfigError, load_config, resolve_context

GOOD = """\
current: staging
contexts:
  staging:
    workspace: /tmp/vigil-staging
    default_model: fraud-detector
  prod-eu:
    backends:
      registry: {type: embedded, workspace: /srv/a}
      metrics: {type: embedded, workspace: /srv/a}
      features: {type: embedded, workspace: /srv/a}
      inference_log: {type: embedded, workspace: /srv/a}
      serving: {type: kserve_v2, url: "http://127.0.0.1:8080"}
      retrain: {type: webhook, url: "http://127.0.0.1:9000/hook"}
      incidents: {type: embedded, workspace: /srv/a}
"""


def write(tmp_path: Path, text: str) -> Path:
    """Write a config file and return its path."""
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_contexts_parse_with_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    staging = config["contexts"]["staging"]
    prod = config["contexts"]["prod-eu"]
    assert config["current"] == "staging"
    assert staging.read_only is False
    assert staging.default_model == "fraud-detector"
    assert staging.specs["registry"].type == "embedded"
    assert staging.specs["retrain"].type == "local_retrain"
    assert prod.read_only is True, "a context named prod is read-only unless it says otherwise"
    assert prod.specs["serving"].options == {"url": "http://127.0.0.1:8080"}


def test_unknown_key_names_file_line_and_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    default_model:", "    default_modle:"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert f"{path}:5:" in message
    assert "contexts.staging.default_modle" in message
    assert "did you mean 'default_model'" in message


def test_unknown_role_and_missing_roles_are_named(tmp_path: Path) -> None:
    bad_role = GOOD.replace("      metrics: {type", "      metric: {type")
    with pytest.raises(ConfigError, match=r":9: contexts.prod-eu.backends.metric: .*'metrics'"):
        load_config(write(tmp_path, bad_role))


def test_read_only_must_be_boolean(tmp_path: Path) -> None:
    text = GOOD.replace("    default_model: fraud-detector", "    read_only: maybe")
    with pytest.raises(ConfigError, match=r":5: contexts.staging.read_only"):
        load_config(write(tmp_path, text))


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "contexts: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = write(tmp_path, "contexts: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError):
        load_config(path)


def test_resolve_prefers_workspace_then_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir = tmp_path / "xdg" / "vigil"
    config_dir.mkdir(parents=True)
    (config_dir / "config.yaml").write_text(GOOD)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    args = argparse.Namespace(context=None, workspace=None, read_only=False)
    assert resolve_context(args).name == "staging"
    args.context = "prod-eu"
    assert resolve_context(args).read_only is True
    args.workspace = str(tmp_path / "ws")
    with pytest.raises(ConfigError, match="ws does not exist"):
        resolve_context(args)
    (tmp_path / "ws").mkdir()
    workspace_context = resolve_context(args)
    assert workspace_context.workspace == (tmp_path / "ws").resolve()
    args.context, args.read_only = "nope", True
    args.workspace = None
    with pytest.raises(ConfigError, match="no context named 'nope'"):
        resolve_context(args)
