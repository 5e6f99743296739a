"""Drift inside a slice, segment × feature ranking, and the minimum-sample rule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from console.analysis.drift import drift_table
from console.analysis.drift.segments import as_predicates, parse_slice, segment_drift_table
from console.analysis.inputs import InputError
from console.analysis.samples import DEFAULT_MIN_SAMPLES
from console.analysis.slices.metrics import Predicate
from console.analysis.workspace import model_drift, segment_drift
from console.cli import main
from tests.datasets.fraud_shift import DROP, END, fraud_shift

KINDS = {"amount": "numeric", "age": "numeric", "device_type": "categorical"}


def _frames(n: int = 20_000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reference and a current frame where only tablets' amount moved (5 % of rows)."""
    rng = np.random.default_rng(seed)

    def frame(shift: bool) -> pd.DataFrame:
        device = rng.choice(["desktop", "ios", "android", "tablet"], n, p=[0.45, 0.3, 0.2, 0.05])
        amount = rng.lognormal(3.5, 0.8, n)
        if shift:
            amount = np.where(device == "tablet", amount * 6, amount)
        return pd.DataFrame({"amount": amount, "age": rng.normal(40, 10, n), "device_type": device})

    return frame(False), frame(True)


def test_a_shift_in_five_percent_of_traffic_is_act_inside_the_slice() -> None:
    reference, current = _frames()
    overall = drift_table(reference, current, ["amount"], exact=False).features[0]
    assert overall.status == "stable"
    tablet = as_predicates({"device_type": "tablet"})
    inside = drift_table(
        reference.loc[tablet[0].mask(reference)],
        current.loc[tablet[0].mask(current)],
        ["amount"],
        exact=False,
    ).features[0]
    assert inside.status == "act" and inside.psi is not None and inside.psi > 1.0


def test_model_drift_in_a_slice_filters_both_sides_and_says_so() -> None:
    data = fraud_shift()
    context, model = data.context, data.model()
    whole = model_drift(context, model, DROP, END, exact=False)
    tablet = model_drift(context, model, DROP, END, slice={"device_type": "tablet"}, exact=False)
    amount = next(row for row in tablet.features if row.feature == "amount")
    assert amount.status == "act"
    assert amount.n_current < whole.n_current / 10
    reference = data.reference
    assert amount.n_reference == int((reference["device_type"] == "tablet").sum())
    assert tablet.slice == ("device_type == tablet",)
    assert "device_type" not in {row.feature for row in tablet.features}
    assert tablet.to_dict()["slice"] == ["device_type == tablet"]
    pairs = model_drift(context, model, DROP, END, slice=[("device_type", "tablet")], exact=False)
    assert [r.psi for r in pairs.features] == [r.psi for r in tablet.features]


def test_a_slice_on_a_column_nobody_has_is_a_clear_error() -> None:
    data = fraud_shift()
    with pytest.raises(InputError, match="nope"):
        model_drift(data.context, data.model(), DROP, END, slice={"nope": "x"})
    with pytest.raises(InputError, match="COL=VALUE"):
        parse_slice("device_type")


def test_segment_ranking_puts_the_shifted_pair_first_with_its_support() -> None:
    reference, current = _frames()
    table = segment_drift_table(reference, current, list(KINDS), kinds=KINDS)
    top = table.rows[0]
    assert (str(top.segment), top.drift.feature) == ("device_type == tablet", "amount")
    assert top.drift.status == "act"
    tablets = int((current["device_type"] == "tablet").sum())
    assert top.drift.n_current == tablets
    assert top.share_current == pytest.approx(tablets / len(current))
    document = table.to_dict()["pairs"][0]
    assert document["rows"] == tablets and document["segment_name"] == "device_type == tablet"
    numeric = {str(r.segment) for r in table.rows if r.segment.column == "age"}
    assert len(numeric) == 4 and all(" in " in name for name in numeric)
    assert all(r.segment.column != r.drift.feature for r in table.rows)


def test_segment_drift_agrees_with_the_drift_of_that_slice() -> None:
    data = fraud_shift()
    context, model = data.context, data.model()
    table = segment_drift(context, model, DROP, END)
    assert table.rows, "no pairs"
    for pair in table.rows[:12]:
        spec = [(pair.segment.column, pair.segment.value)]
        inside = model_drift(context, model, DROP, END, slice=spec, exact=False)
        row = next(r for r in inside.features if r.feature == pair.drift.feature)
        assert (row.psi, row.status, row.n_current) == (
            pair.drift.psi,
            pair.drift.status,
            pair.drift.n_current,
        )


def test_a_small_sample_is_insufficient_with_both_counts_never_a_band() -> None:
    reference, current = _frames()
    few = current.iloc[:5]
    table = drift_table(reference, few, list(KINDS), exact=False)
    assert {row.status for row in table.features} == {"insufficient"}
    for row in table.features:
        assert row.psi is None and row.n_current == 5 and row.n_reference == len(reference)
        assert "current 5 < minimum 200" in row.note
    assert table.worst is None and not table.over("investigate")
    evidently = drift_table(reference, few, ["amount"], mode="evidently").features[0]
    assert evidently.status == "insufficient" and evidently.psi is None
    lowered = drift_table(reference, few, ["amount"], exact=False, min_samples=5).features[0]
    assert lowered.status in ("stable", "investigate", "act")
    assert drift_table(reference, few, exact=False).min_samples == DEFAULT_MIN_SAMPLES


def test_small_segments_are_insufficient_and_ranked_last() -> None:
    reference, current = _frames(n=3000)
    table = segment_drift_table(reference, current, list(KINDS), kinds=KINDS)
    tablet = [r for r in table.rows if str(r.segment) == "device_type == tablet"]
    assert tablet and all(r.drift.status == "insufficient" for r in tablet)
    answered = [r.drift.psi is not None for r in table.rows]
    assert answered == sorted(answered, reverse=True)


def test_numeric_equality_compares_values_not_text() -> None:
    frame = pd.DataFrame({"n": [3.0, 3.5, 3.0, np.nan]})
    assert Predicate("n", "==", "3").mask(frame).tolist() == [True, False, True, False]
    assert Predicate("n", "in", "(-inf, 3.5)").mask(frame).tolist() == [True, False, True, False]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    reference, current = _frames()
    reference.to_csv(tmp_path / "ref.csv", index=False)
    current.to_parquet(tmp_path / "cur.parquet")
    return tmp_path / "ref.csv", tmp_path / "cur.parquet"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_slice_and_by_segment_on_files(capsys, files) -> None:
    reference, current = files
    both = ["drift", "--reference", str(reference), "--current", str(current)]
    code, out, _ = _run(capsys, *both, "--json")
    amount = next(r for r in json.loads(out)["features"] if r["feature"] == "amount")
    assert code == 0 and amount["status"] == "stable"
    code, out, _ = _run(capsys, *both, "--slice", "device_type=tablet", "--json")
    document = json.loads(out)
    assert document["slice"] == ["device_type == tablet"]
    assert document["features"][0]["feature"] == "amount"
    assert document["features"][0]["status"] == "act"
    code, out, _ = _run(capsys, *both, "--by-segment", "--json", "--fail-on", "act")
    pair = json.loads(out)["pairs"][0]
    assert code == 1
    assert (pair["segment_name"], pair["feature"], pair["status"]) == (
        "device_type == tablet",
        "amount",
        "act",
    )
    code, out, _ = _run(capsys, *both, "--by-segment", "--top", "3")
    assert code == 0 and "device_type == tablet" in out.splitlines()[3]


def test_cli_min_samples_and_bad_slices(capsys, files, tmp_path) -> None:
    reference, _ = files
    small = tmp_path / "small.csv"
    _frames()[1].iloc[:50].to_csv(small, index=False)
    both = ["drift", "--reference", str(reference), "--current", str(small)]
    code, out, _ = _run(capsys, *both, "--json", "--fail-on", "investigate")
    rows = json.loads(out)["features"]
    assert code == 0 and {r["status"] for r in rows} == {"insufficient"}
    code, out, _ = _run(capsys, *both, "--json", "--min-samples", "50")
    assert code == 0 and "insufficient" not in {r["status"] for r in json.loads(out)["features"]}
    code, _, err = _run(capsys, *both, "--slice", "device_type")
    assert code == 2 and "COL=VALUE" in err
    code, _, err = _run(capsys, *both, "--slice", "nope=1")
    assert code == 2 and "nope" in err
    code, _, err = _run(capsys, *both, "--min-samples", "0")
    assert code == 2 and "--min-samples" in err
