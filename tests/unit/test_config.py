"""Contexts: parsing, defaults, and errors that name the file, line and key."""

from __future__ import annotations

import argparse
import os
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.config import ConfigError, check_context, load_config, resolve_context

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
    staging, prod = tmp_path / "staging", tmp_path / "srv"
    staging.mkdir()
    prod.mkdir()
    text = GOOD.replace("/tmp/vigil-staging", str(staging)).replace("/srv/a", str(prod))
    (config_dir / "config.yaml").write_text(text)
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


def use_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str | bytes) -> Path:
    """Install `text` as the config.yaml that `vigil` reads; return its path."""
    config_dir = tmp_path / "xdg" / "vigil"
    config_dir.mkdir(parents=True)
    path = config_dir / "config.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return path


def one_context(workspace: Path, **backends: str) -> str:
    """A config whose current context `a` is embedded on `workspace`, with some roles overridden."""
    roles = ["registry", "metrics", "features", "inference_log", "serving", "retrain", "incidents"]
    lines = ["current: a", "contexts:", "  a:", "    backends:"]
    for role in roles:
        default = "{type: embedded, workspace: " + str(workspace) + "}"
        lines.append(f"      {role}: {backends.get(role, default)}")
    return "\n".join(lines) + "\n"


def run_vigil(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`vigil ARGV` in-process: its exit code and stderr (stdout must stay empty on error)."""
    from console.cli import main

    code = main(argv)
    captured = capsys.readouterr()
    if code == 2:
        assert captured.out == "", "a config error prints nothing on stdout"
    return code, captured.err


def deep(levels: int) -> str:
    """A value nested `levels` flow sequences deep."""
    return "[" * levels + "]" * levels


# The eight inputs that ended in a traceback, and their neighbours: each is exit 2, naming
# the file, the line and the key (and the close match where one exists).
CLI_CASES: dict[str, tuple[str | bytes, str]] = {
    "latin-1 text": (
        "current: a\ncontexts:\n  a:\n    default_model: caf\xe9\n".encode("latin-1"),
        r"config.yaml:4: not UTF-8 text",
    ),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", r"config.yaml:1: not UTF-8 text"),
    "deep nesting": (f"contexts: {deep(3000)}\n", r"config.yaml:1: nested deeper than 32 levels"),
    "unknown backend type": (
        "TYPE:prometheuss",
        r"config.yaml:9: contexts.a.backends.serving.type: no backend named 'prometheuss'",
    ),
    "unknown backend option": (
        "OPT:urll",
        r"config.yaml:9: contexts.a.backends.serving.urll: backend 'kserve_v2' has no option "
        r"'urll' \(did you mean 'url'\?\)",
    ),
    "current that is a list": (
        "current: [a]\ncontexts:\n  a: {workspace: WS}\n",
        r"config.yaml:1: current: current must name a context, not a list",
    ),
    "an option name that is not a string": (
        "OPT:5",
        r"config.yaml:9: contexts.a.backends.serving.5: an option name is a string",
    ),
    "a home directory that does not exist": (
        "current: a\ncontexts:\n  a: {workspace: '~no-such-user-here/w'}\n",
        r"config.yaml:3: contexts.a.workspace: cannot expand '~no-such-user-here/w'",
    ),
    "an option of the wrong type": (
        "OPT:timeout_s",
        r"config.yaml:9: contexts.a.backends.serving.timeout_s: kserve_v2 option 'timeout_s' "
        r"must be a number, not 'soon'",
    ),
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_config_inputs_that_ended_in_a_traceback_exit_2_naming_line_and_key(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    text, expected = CLI_CASES[case]
    if text == "TYPE:prometheuss":
        text = one_context(workspace, serving="{type: prometheuss, url: 'http://127.0.0.1:9'}")
    elif isinstance(text, str) and text.startswith("OPT:"):
        option = text.removeprefix("OPT:")
        value = "soon" if option == "timeout_s" else "'http://127.0.0.1:9'"
        text = one_context(
            workspace, serving=f"{{type: kserve_v2, url: 'http://127.0.0.1:9', {option}: {value}}}"
        )
        if option == "urll":
            text = text.replace("url: 'http://127.0.0.1:9', urll", "urll")
    elif isinstance(text, str):
        text = text.replace("WS", str(workspace))
    path = use_config(tmp_path, monkeypatch, text)
    code, err = run_vigil(["models"], capsys)
    assert code == 2, err
    assert str(path) in err
    assert re.search(expected, err), err


def test_a_config_path_that_is_a_directory_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "xdg" / "vigil" / "config.yaml").mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    code, err = run_vigil(["models"], capsys)
    assert code == 2
    assert "config.yaml: is a directory, not a YAML file" in err


@pytest.mark.timeout(30)
def test_a_config_path_that_is_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    os.mkfifo(path)
    with pytest.raises(ConfigError, match=r"config.yaml: is not a regular file"):
        load_config(path)


def test_empty_sections_are_empty_but_other_scalars_are_refused(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "contexts:\n"))["contexts"] == {}
    text = "current: a\ncontexts:\n  a:\n    workspace: /tmp\n    backends:\n"
    assert load_config(write(tmp_path, text))["contexts"]["a"].specs["registry"].type == "embedded"
    with pytest.raises(ConfigError, match=r":1: contexts: must be a mapping"):
        load_config(write(tmp_path, "contexts: 0\n"))
    with pytest.raises(ConfigError, match=r":5: contexts.a.backends: .*not a string"):
        load_config(write(tmp_path, text.replace("backends:", "backends: ''")))


def test_a_utf16_config_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(GOOD.encode("utf-16"))
    assert load_config(path)["current"] == "staging"


@pytest.mark.timeout(30)
def test_a_yaml_bomb_in_the_config_is_refused(tmp_path: Path) -> None:
    levels = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 9):
        levels.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    text = "\n".join(levels) + "\ncontexts:\n  a: {workspace: /tmp, default_model: *l8}"
    with pytest.raises(ConfigError, match=r"config.yaml:\d+: expands to more than 20,000 nodes"):
        load_config(write(tmp_path, text + "\n"))


def test_a_config_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "# " + "x" * 300_000 + "\n")
    with pytest.raises(ConfigError, match=r"config.yaml: larger than the 256,000-byte limit"):
        load_config(path)


def test_duplicate_keys_are_refused_with_both_lines(tmp_path: Path) -> None:
    text = GOOD.replace("  prod-eu:\n", "  staging:\n    workspace: /tmp/other\n  prod-eu:\n")
    with pytest.raises(ConfigError, match=r":6: duplicate key 'staging' \(first on line 3\)"):
        load_config(write(tmp_path, text))
    option = GOOD.replace("default_model: fraud-detector", "theme: a\n    theme: b")
    with pytest.raises(ConfigError, match=r":6: duplicate key 'theme' \(first on line 5\)"):
        load_config(write(tmp_path, option))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("    theme: 5", r":5: contexts.staging.theme: theme must be a string, not 5"),
        ("    default_model: [a]", r":5: contexts.staging.default_model: .*must be a string"),
        ("    workspace: 5", r":4: contexts.staging.workspace: .*existing directory, not 5"),
        ("    read_only: 'yes'", r":5: contexts.staging.read_only: .*true or false, not 'yes'"),
    ],
)
def test_wrong_types_are_refused(tmp_path: Path, line: str, expected: str) -> None:
    text = GOOD.replace("    default_model: fraud-detector", line)
    if "workspace" in line:
        text = GOOD.replace("    workspace: /tmp/vigil-staging", line)
    with pytest.raises(ConfigError, match=expected):
        load_config(write(tmp_path, text))


def test_a_context_name_that_is_not_a_string_is_refused(tmp_path: Path) -> None:
    text = "current: '1.5'\ncontexts:\n  1.5: {workspace: /tmp}\n"
    with pytest.raises(ConfigError, match=r':3: contexts.1.5: .*write "1.5" in quotes'):
        load_config(write(tmp_path, text))


def test_a_context_workspace_that_does_not_exist_is_refused_and_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "typo"
    use_config(tmp_path, monkeypatch, f"current: a\ncontexts:\n  a: {{workspace: {missing}}}\n")
    code, err = run_vigil(["models"], capsys)
    assert code == 2
    assert f"config.yaml:3: contexts.a.workspace: workspace {missing} does not exist" in err
    assert not missing.exists(), "a typo must not create an empty workspace"


def test_workspace_5_is_refused_and_creates_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    use_config(tmp_path, monkeypatch, "current: a\ncontexts:\n  a: {workspace: 5}\n")
    code, err = run_vigil(["models"], capsys)
    assert code == 2
    assert "config.yaml:3: contexts.a.workspace:" in err
    assert not (tmp_path / "5").exists()


def test_a_backend_option_directory_that_does_not_exist_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    text = one_context(workspace, metrics=f"{{type: embedded, workspace: {tmp_path / 'nope'}}}")
    use_config(tmp_path, monkeypatch, text)
    args = argparse.Namespace(context=None, workspace=None, read_only=False)
    with pytest.raises(ConfigError, match=r":6: contexts.a.backends.metrics.workspace: .*exist"):
        resolve_context(args)
    assert not (tmp_path / "nope").exists()


def test_a_missing_required_option_names_the_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    use_config(tmp_path, monkeypatch, one_context(workspace, retrain="{type: webhook}"))
    args = argparse.Namespace(context=None, workspace=None, read_only=False)
    with pytest.raises(
        ConfigError, match=r":10: contexts.a.backends.retrain: .*needs option 'url'"
    ):
        resolve_context(args)


def test_a_typo_in_another_context_does_not_block_this_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    text = f"current: a\ncontexts:\n  a: {{workspace: {workspace}}}\n  b: {{workspace: /nope}}\n"
    use_config(tmp_path, monkeypatch, text)
    args = argparse.Namespace(context=None, workspace=None, read_only=False)
    assert resolve_context(args).workspace == workspace
    args.context = "b"
    with pytest.raises(ConfigError, match=r":4: contexts.b.workspace: workspace /nope"):
        resolve_context(args)


scalars = st.none() | st.booleans() | st.integers(-3, 9) | st.text(max_size=6) | st.just("/tmp")
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(scalars, inner, max_size=3),
    max_leaves=8,
)
backend_specs = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["embedded", "kserve_v2", "webhook", "local_retrain", "nope"])
        | values,
        "workspace": st.just("/tmp") | values,
        "url": st.just("http://127.0.0.1:9") | values,
        "timeout_s": values,
        "urll": values,
    },
)
context_bodies = st.fixed_dictionaries(
    {},
    optional={
        "workspace": st.just("/tmp") | values,
        "read_only": values,
        "default_model": values,
        "theme": values,
        "themes": values,
        "backends": st.dictionaries(
            st.sampled_from(["registry", "serving", "retrain", "metric"]) | scalars,
            backend_specs | values,
            max_size=3,
        )
        | values,
    },
)
config_documents = st.fixed_dictionaries(
    {},
    optional={
        "current": st.sampled_from(["a", "b"]) | values,
        "contexts": st.dictionaries(st.sampled_from(["a", "b"]) | scalars, context_bodies | values)
        | values,
        "extra": values,
    },
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config_documents)
def test_fuzz_config_documents_give_contexts_or_config_errors(document: dict) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True))
        try:
            for context in load_config(path)["contexts"].values():
                check_context(context)
        except ConfigError as error:
            assert re.match(rf"^{re.escape(str(path))}(:\d+)?: ", str(error)), str(error)


def test_switching_to_a_context_checks_it_as_resolving_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.services.contexts import ContextError, open_named_context

    workspace = tmp_path / "ws"
    workspace.mkdir()
    text = f"contexts:\n  a: {{workspace: {workspace}}}\n  b: {{workspace: {tmp_path / 'typo'}}}\n"
    use_config(tmp_path, monkeypatch, text)
    assert open_named_context("a").workspace == workspace
    expected = r"config.yaml:3: contexts.b.workspace: .*does not exist"
    with pytest.raises(ContextError, match=expected):
        open_named_context("b")
    assert not (tmp_path / "typo").exists()
