"""The other YAML files Vigil reads (keymap, retrain-check --config) go through the safe loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.cli import main


def bomb() -> str:
    """A billion-laughs document whose last anchor expands to 9**9 strings."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 9)]
    return "\n".join(lines) + "\n"


BAD_FILES: dict[str, tuple[bytes, int, str]] = {
    "latin-1": ("triggers:\n  - metric: caf\xe9\n".encode("latin-1"), 2, "not UTF-8 text"),
    "deep nesting": (("triggers: " + "[" * 3000 + "]" * 3000).encode(), 1, "nested deeper"),
    "a bomb": ((bomb() + "triggers: *l8\n").encode(), 6, "expands to more than 100,000 nodes"),
    "duplicate keys": (b"triggers: []\ntriggers: []\n", 2, "duplicate key 'triggers'"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_retrain_check_config_refusals_exit_2_with_file_and_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, line, expected = BAD_FILES[case]
    path = tmp_path / "triggers.yaml"
    path.write_bytes(data)
    code = main(["retrain-check", "--config", str(path), "--values", "x=1"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{path}:{line}: {expected}" in err, err


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_keymap_refusals_name_the_file(case: str, tmp_path: Path) -> None:
    from console.tui.keymap import KeymapError, load_keymap

    data, line, expected = BAD_FILES[case]
    path = tmp_path / "keymap.yaml"
    path.write_bytes(data.replace(b"triggers", b"quit"))
    with pytest.raises(KeymapError) as caught:
        load_keymap(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: cannot read the keymap: "), message
    assert expected.replace("triggers", "quit") in message
