"""`vigil backends` lists entry points by name without importing any backend."""

from __future__ import annotations

import json
import subprocess
import sys


def test_json_lists_every_installed_backend_without_importing_it() -> None:
    code = (
        "import sys, json\nfrom console.cli import main\n"
        "code = main(['backends', '--json'])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('backends.')\n"
        "                and m not in ('backends.discovery', 'backends.contracts'))\n"
        "print(json.dumps({'code': code, 'loaded': loaded}), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rows = json.loads(out.stdout)
    by_name = {row["name"]: row for row in rows}
    assert by_name["embedded"]["target"] == "backends.embedded:EmbeddedBackend"
    assert {"embedded", "kserve_v2", "local_retrain"} <= set(by_name)
    assert json.loads(out.stderr.strip().splitlines()[-1]) == {"code": 0, "loaded": []}


def test_plain_output_has_one_line_per_backend(capsys) -> None:
    from backends.discovery import available
    from console.cli import main

    assert main(["backends"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(available())
    assert any(line.startswith("embedded ") and "EmbeddedBackend" in line for line in lines)
