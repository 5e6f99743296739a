"""Backends declare their options once; validation and `vigil backends --options` derive from it."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from backends import discovery
from backends.discovery import GROUP, BackendUnavailable, OptionError, check_options, create


def option_error(name: str, options: dict[str, object], **kwargs: bool) -> OptionError:
    """The OptionError that checking `options` against backend `name` raises."""
    with pytest.raises(OptionError) as caught:
        check_options(name, options, **kwargs)
    return caught.value


def test_every_bundled_backend_declares_its_options() -> None:
    declared = {name: discovery.declared_options(name) for name in discovery.available()}
    names = {name: [o.name for o in options or ()] for name, options in declared.items()}
    assert names["embedded"] == ["workspace"]
    assert names["local_retrain"] == ["workspace"]
    assert names["kserve_v2"] == ["url", "token_file", "timeout_s", "load_timeout_s"]
    assert names["webhook"] == ["url", "token_env", "timeout_s"]


def test_an_unknown_option_names_the_backend_and_the_close_match() -> None:
    error = option_error("kserve_v2", {"url": "http://x", "timout_s": 3})
    assert error.option == "timout_s"
    assert "backend 'kserve_v2' has no option 'timout_s' (did you mean 'timeout_s'?)" in str(error)


def test_a_token_is_not_an_option_it_comes_from_a_file_or_the_environment() -> None:
    assert option_error("kserve_v2", {"url": "http://x", "token": "s3cret"}).option == "token"


@pytest.mark.parametrize(
    ("options", "option", "words"),
    [
        ({"url": 5}, "url", "must be an http:// or https:// URL, not 5"),
        ({"url": "ftp://x"}, "url", "must be an http:// or https:// URL"),
        ({"url": "http://x", "timeout_s": "soon"}, "timeout_s", "must be a number, not 'soon'"),
        ({"url": "http://x", "timeout_s": True}, "timeout_s", "must be a number, not True"),
        ({"url": "http://x", "token_env": ""}, "token_env", "must be a string, not ''"),
    ],
)
def test_wrong_kinds_are_named(options: dict[str, object], option: str, words: str) -> None:
    error = option_error("webhook", options)
    assert (error.option, words in str(error)) == (option, True), str(error)


def test_a_required_option_missing_is_named_with_its_doc() -> None:
    error = option_error("webhook", {})
    assert error.option is None
    assert "backend 'webhook' needs option 'url': where jobs are posted" in str(error)


def test_paths_must_exist_only_when_asked(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    check_options("embedded", {"workspace": missing})
    error = option_error("embedded", {"workspace": missing}, paths_exist=True)
    assert "must be the path of an existing directory" in str(error)
    token = option_error("kserve_v2", {"url": "http://x", "token_file": missing}, paths_exist=True)
    assert token.option == "token_file"
    check_options("embedded", {"workspace": str(tmp_path)}, paths_exist=True)


def test_an_unknown_backend_is_an_option_error_on_type_with_a_suggestion() -> None:
    with pytest.raises(OptionError) as caught:
        create("embeded", {"workspace": "/tmp"})
    assert caught.value.option == "type"
    assert "did you mean 'embedded'?" in str(caught.value)


def test_create_turns_a_bad_option_into_backend_unavailable_not_a_type_error() -> None:
    with pytest.raises(BackendUnavailable, match="has no option 'workspac'"):
        create("embedded", {"workspac": "/tmp"})


def test_backends_options_lists_each_declaration(capsys: pytest.CaptureFixture[str]) -> None:
    from console.cli import main

    assert main(["backends", "--options", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    url = rows["kserve_v2"]["options"][0]
    assert url == {
        "name": "url",
        "kind": "url",
        "required": True,
        "default": None,
        "doc": "the server's base URL",
    }
    assert main(["backends", "--options"]) == 0
    assert "    timeout_s: number, default 5.0 — seconds before" in capsys.readouterr().out


def test_a_backend_that_fails_to_import_is_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from console.cli import main

    broken = EntryPoint(name="broken", value="no_such_module_for_vigil:Backend", group=GROUP)
    monkeypatch.setattr(discovery, "available", lambda: {"broken": broken})
    assert main(["backends", "--options"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("broken")
    assert "backend 'broken' failed to import" in captured.err


class _Undeclared:
    """A third-party backend that declares no OPTIONS."""

    def __init__(self, url: str, retries: int = 3) -> None:
        """Take a url and a retry count."""


class _TakesAnything:
    """A backend whose constructor takes **kwargs: nothing can be checked."""

    def __init__(self, **options: object) -> None:
        """Take anything."""


def test_an_undeclared_backend_is_checked_against_its_constructor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        discovery, "load", lambda name: {"third": _Undeclared, "loose": _TakesAnything}[name]
    )
    check_options("third", {"url": 5, "retries": 1})
    error = option_error("third", {"url": "x", "retris": 1})
    assert (error.option, "did you mean 'retries'?" in str(error)) == ("retris", True)
    assert "needs option 'url'" in str(option_error("third", {}))
    check_options("loose", {"whatever": 1})
    assert discovery.declared_options("loose") is None
