"""Every command line of the README's examples runs as written on the demo workspace.

The lines run top to bottom in one directory (the exports feed the file-mode
lines), as a shell would run them, on a copy of the demo workspace that is the
current context because no config exists, each with the exit code the README
promises.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
README = Path(__file__).resolve().parents[2] / "README.md"
BIN = str(Path(sys.executable).parent)
INTERACTIVE = {"vigil": "the console; driven through Pilot in tests/tui"}
EXPECTED = {
    "vigil models --json": 0,
    "vigil drift --model fraud-detector --window 24h": 0,
    "vigil drift --model fraud-detector --window 24h --slice device_type=tablet --fail-on act": 1,
    "vigil drift --model fraud-detector --by-segment --top 5": 0,
    "vigil log export --model fraud-detector --window 7d ref.parquet": 0,
    "vigil log export --model fraud-detector --window 24h --with-labels cur.parquet": 0,
    "vigil drift --reference ref.parquet --current cur.parquet --columns amount "
    "--slice device_type=tablet --mode evidently --fail-on act": 1,
    "vigil slices --data cur.parquet --label label --prediction prediction": 0,
    "vigil latency --model fraud-detector": 0,
    "vigil timeline --model fraud-detector": 0,
    "vigil postmortem --model fraud-detector > postmortem.md": 0,
    "vigil runbook plan canary -p model=fraud-detector": 0,
    "vigil runbook run rollback -p model=fraud-detector --yes": 0,
    "vigil audit --verify": 0,
}


def readme_examples() -> list[str]:
    """The command lines of the README's "What you can do with it" block, comments removed."""
    text = README.read_text()
    block = text.split("## What you can do with it", 1)[1].split("```bash", 1)[1]
    block = block.split("```", 1)[0]
    lines = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
    return [line for line in lines if line]


def test_the_readme_lists_exactly_the_examples_this_test_runs() -> None:
    assert readme_examples() == [*INTERACTIVE, *EXPECTED]


@pytest.fixture
def demo_as_current_context(demo_workspace: Path, tmp_path: Path) -> dict[str, str]:
    """An environment whose default demo workspace is a copy of the session's demo."""
    data = tmp_path / "data"
    shutil.copytree(demo_workspace, data / "vigil" / "demo", symlinks=True)
    env = dict(os.environ)
    env.update(
        XDG_DATA_HOME=str(data),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    env.pop("VIGIL_ADMIN_TOKEN", None)
    return env


def test_every_readme_example_runs_on_the_demo(
    demo_as_current_context: dict[str, str], tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    for line in readme_examples():
        if line in INTERACTIVE:
            continue
        done = subprocess.run(
            ["bash", "-c", line],
            cwd=work,
            env=demo_as_current_context,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert "Traceback" not in done.stderr, f"{line}\n{done.stderr[-3000:]}"
        assert done.returncode == EXPECTED[line], f"{line}\n{done.stdout[-2000:]}{done.stderr}"
        assert (done.stdout + done.stderr).strip() or " > " in line, f"{line}: said nothing"
    assert (work / "ref.parquet").stat().st_size > 0
    assert "fraud-detector" in (work / "postmortem.md").read_text()
