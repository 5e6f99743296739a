"""The action registry, keymap validation and the command-line parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.tui.actions import ACTIONS, BY_ID, bindings_for, in_scope
from console.tui.keymap import KeymapError, load_keymap
from console.tui.screens.help import help_lines
from console.tui.views import ViewArgs
from console.tui.widgets.command_line import Command, CommandError, parse_command


def test_action_ids_are_unique_and_every_scope_has_bindings() -> None:
    assert len(BY_ID) == len(ACTIONS)
    for scope in ("app", "overview", "model", "table", "input", "help"):
        bindings = bindings_for(scope)
        assert bindings and all(b.id for b in bindings)
        assert [b.id for b in bindings] == [a.id for a in in_scope(scope)]


def test_help_shows_the_remapped_keys() -> None:
    lines = help_lines({"quit": ("ctrl+q",)})
    quit_line = next(line for line in lines if "[quit]" in line)
    assert "ctrl+q" in quit_line and " q " not in quit_line


def test_keymap_loads_strings_and_lists(tmp_path: Path) -> None:
    path = tmp_path / "keymap.yaml"
    path.write_text("quit: ctrl+q\nrow.down: [n, ctrl+n]\n", encoding="utf-8")
    assert load_keymap(path) == {"quit": ("ctrl+q",), "row.down": ("n", "ctrl+n")}
    assert load_keymap(tmp_path / "missing.yaml") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("qiut: x\n", "qiut: unknown action id (did you mean 'quit'?)"),
        ("quit: [1]\n", "quit: 1 is not a key"),
        ("quit: []\n", "quit: give a key or a list of keys"),
        ("- quit\n", "must be a mapping"),
        ("quit: [a\n", "cannot read the keymap"),
        ("quit: 'a,b'\n", "is not a key"),
    ],
)
def test_a_bad_keymap_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "keymap.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KeymapError) as caught:
        load_keymap(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_parse_command() -> None:
    model = parse_command(":model fraud-detector")
    assert (model.verb, model.args) == ("model", ViewArgs(model="fraud-detector"))
    assert parse_command("q") == Command("quit")
    assert parse_command("  o ").verb == "overview"
    with pytest.raises(CommandError, match="unknown command 'nope'"):
        parse_command("nope")
    with pytest.raises(CommandError, match="usage: :model NAME"):
        parse_command("model")
