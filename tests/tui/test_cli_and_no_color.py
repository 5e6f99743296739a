"""`vigil tui` rejects a bad keymap before opening; NO_COLOR still reads (words, not colour)."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.cli import main
from tests.tui.helpers import make_app, screen_text, settle


def test_vigil_tui_with_a_bad_keymap_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keymap = tmp_path / "keymap.yaml"
    keymap.write_text("qiut: x\n", encoding="utf-8")
    (tmp_path / "w").mkdir()
    code = main(["tui", "--workspace", str(tmp_path / "w"), "--keymap", str(keymap)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"vigil: {keymap}: qiut: unknown action id (did you mean 'quit'?)" in err
    assert "Traceback" not in err


def test_vigil_tui_with_a_missing_keymap_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["tui", "--keymap", str(tmp_path / "nope.yaml")])
    assert code == 2
    assert "nope.yaml: no such keymap file" in capsys.readouterr().err


async def test_no_color_renders_status_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        text = screen_text(app)
        assert "96/80 ▲ OVER" in text
        assert "87/100 ok" in text
        assert "v4 at 10 %" in text
        assert "OK incidents metrics registry serving" in text


async def test_the_theme_comes_from_the_context_with_a_fallback() -> None:
    app = make_app(theme="nord")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "nord"
    app = make_app(theme="no-such-theme")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
