"""The headless parts never import Textual, and `vigil --help` stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEADLESS = ("console.cli", "console.analysis", "backends", "runbooks", "console.config")


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_module_does_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\nfrom console.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'textual', 'pandas', 'numpy', 'torch', 'onnxruntime', 'sqlmodel'}\n"
        "print(sorted(heavy & set(sys.modules)), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip() == "[]"
    assert "drift" in out.stdout and "runbook" in out.stdout
