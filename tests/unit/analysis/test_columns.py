"""Files read one column at a time give the same drift as whole frames; --exact on request."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from console.analysis.columns import ColumnFile
from console.analysis.drift import drift_table
from console.analysis.inputs import InputError
from console.cli import main


@pytest.fixture
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"a": rng.normal(size=4000), "b": rng.gamma(2, 1, 4000)})
    current = pd.DataFrame({"a": rng.normal(0.3, 1, 3000), "b": rng.gamma(2, 1.1, 3000)})
    return reference, current


def test_parquet_columns_one_at_a_time(tmp_path: Path, frames) -> None:
    reference, _ = frames
    reference.to_parquet(tmp_path / "r.parquet")
    source = ColumnFile(tmp_path / "r.parquet")
    assert source.columns == ["a", "b"] and source.rows == 4000
    assert source.column("b").equals(reference["b"])
    with pytest.raises(InputError, match="no column"):
        source.require(["a", "nope"])
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match=r"bad\.parquet: cannot read"):
        ColumnFile(tmp_path / "bad.parquet")


def test_cli_file_drift_is_the_frame_drift_and_exact_is_exact(capsys, tmp_path, frames) -> None:
    reference, current = frames
    reference.to_parquet(tmp_path / "r.parquet")
    current.to_parquet(tmp_path / "c.parquet")
    files = ["drift", "--reference", str(tmp_path / "r.parquet"), "--current"]
    files.append(str(tmp_path / "c.parquet"))
    assert main([*files, "--json"]) == 0
    sketched = json.loads(capsys.readouterr().out)
    expected = drift_table(reference, current)
    assert sketched["tests"] == "sketch" and sketched["sketch_points"] == 4001
    by_name = {row["feature"]: row for row in sketched["features"]}
    for row in expected.features:
        assert by_name[row.feature]["psi"] == row.psi and by_name[row.feature]["ks"] == row.ks
        assert by_name[row.feature]["ks_error"] is not None
    assert main([*files, "--json", "--exact"]) == 0
    exact = json.loads(capsys.readouterr().out)
    truth = {row.feature: row for row in drift_table(reference, current, exact=True).features}
    assert exact["tests"] == "exact"
    for row in exact["features"]:
        assert row["ks"] == truth[row["feature"]].ks and row["ks_error"] == 0.0
        assert row["wasserstein"] == pytest.approx(truth[row["feature"]].wasserstein)
    assert main([*files, "--columns", "a,zzz"]) == 2
    assert "no column(s) zzz" in capsys.readouterr().err
