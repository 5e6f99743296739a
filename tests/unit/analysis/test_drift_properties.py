"""Property tests: PSI ≥ 0, identical data → 0, JS symmetric, row order irrelevant."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from console.analysis.drift import drift_table, js_distance, psi_from_counts

counts = st.lists(st.integers(0, 1000), min_size=2, max_size=12)
samples = arrays(
    np.float64,
    st.integers(20, 300),
    elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


@given(counts, st.data())
def test_psi_is_never_negative(reference: list[int], data: st.DataObject) -> None:
    current = data.draw(
        st.lists(st.integers(0, 1000), min_size=len(reference), max_size=len(reference))
    )
    if sum(reference) and sum(current):
        assert psi_from_counts(np.array(reference), np.array(current)) >= 0


@given(counts)
def test_psi_of_identical_counts_is_zero(reference: list[int]) -> None:
    if sum(reference):
        assert psi_from_counts(np.array(reference), np.array(reference)) == 0.0


@given(counts, st.data())
def test_js_is_symmetric(reference: list[int], data: st.DataObject) -> None:
    current = data.draw(
        st.lists(st.integers(0, 1000), min_size=len(reference), max_size=len(reference))
    )
    if sum(reference) and sum(current):
        left = js_distance(np.array(reference), np.array(current))
        right = js_distance(np.array(current), np.array(reference))
        assert abs(left - right) < 1e-12 and 0.0 <= left <= 1.0 + 1e-12


@settings(max_examples=40, deadline=None)
@given(samples)
def test_identical_samples_give_zero_psi(values: np.ndarray) -> None:
    frame = pd.DataFrame({"x": values})
    row = drift_table(frame, frame, exact=False, min_samples=1).features[0]
    assert row.psi == 0.0 and row.status == "stable"


@settings(max_examples=40, deadline=None)
@given(samples, samples, st.randoms(use_true_random=False))
def test_shuffling_rows_changes_nothing(reference: np.ndarray, current: np.ndarray, rnd) -> None:
    shuffled = current.copy()
    rnd.shuffle(shuffled)
    ref = pd.DataFrame({"x": reference})
    first = drift_table(ref, pd.DataFrame({"x": current}), min_samples=1).features[0]
    second = drift_table(ref, pd.DataFrame({"x": shuffled}), min_samples=1).features[0]
    assert first.psi == second.psi and first.ks == second.ks
    assert first.psi is not None and first.psi >= 0
