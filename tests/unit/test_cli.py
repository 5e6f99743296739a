"""The command line's own behaviour: version, unknown commands, usage errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from console import __version__
from console.cli import main


def test_version_matches_package(capsys) -> None:
    try:
        main(["--version"])
    except SystemExit as exit_:
        assert exit_.code == 0
    assert capsys.readouterr().out.strip() == f"vigil {__version__}"


def test_unknown_command_is_exit_2_with_a_hint(capsys) -> None:
    assert main(["modles"]) == 2
    assert "unknown command 'modles'" in capsys.readouterr().err


def test_bad_config_is_exit_2_naming_the_file(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "vigil").mkdir()
    (tmp_path / "vigil" / "config.yaml").write_text("contexts:\n  a:\n    worksapce: /x\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-m", "console", "--context", "a", "models", "--json"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "config.yaml:3: contexts.a.worksapce" in out.stderr
    assert out.stdout == ""
