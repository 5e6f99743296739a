"""The headless parts never import Textual, and `vigil --help` stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEADLESS = (
    "console.cli",
    "console.analysis",
    "console.services",
    "console.demo",
    "console.config",
    "backends",
    "runbooks",
    "local_serving",
)

# Import a package and every module under it, then print which UI libraries got loaded.
IMPORT_ALL = """
import importlib, json, pkgutil, sys
package = importlib.import_module({module!r})
for info in pkgutil.walk_packages(getattr(package, "__path__", []), package.__name__ + "."):
    importlib.import_module(info.name)
print(json.dumps(sorted(name for name in ("textual", "rich") if name in sys.modules)))
"""


def _ui_libraries_loaded(module: str) -> list[str]:
    """The UI libraries in sys.modules after importing `module` and all its submodules."""
    code = IMPORT_ALL.format(module=module)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_package_does_not_import_textual(module: str) -> None:
    assert "textual" not in _ui_libraries_loaded(module)


def test_analysis_imports_neither_textual_nor_rich() -> None:
    assert _ui_libraries_loaded("console.analysis") == []


def test_the_check_sees_a_module_that_imports_textual() -> None:
    assert "textual" in _ui_libraries_loaded("console.tui")


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\nfrom console.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'textual', 'pandas', 'numpy', 'torch', 'onnxruntime', 'sqlalchemy'}\n"
        "print(sorted(heavy & set(sys.modules)), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip() == "[]"
    assert "drift" in out.stdout and "runbook" in out.stdout
