"""Drift inside a slice, and every segment × feature pair ranked by PSI with its support.

A slice is a conjunction of `COL=VALUE` predicates; its drift compares the
slice in the reference with the same slice in the current window, so a shift
confined to 5 % of the traffic (tablets, say) is not averaged away. Segments
are the values of every categorical column and the reference quartiles of
every numeric one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from console.analysis.drift.bands import DEFAULT_PROFILE, STATUS_ORDER, Profile, get_profile
from console.analysis.drift.reference import (
    CATEGORICAL,
    DEFAULT_BINS,
    NUMERIC,
    Binned,
    FeatureFit,
    as_float,
    as_text,
    bin_window,
    column_kind,
    fit_feature,
)
from console.analysis.drift.table import FeatureDrift, binned_row
from console.analysis.inputs import InputError
from console.analysis.samples import DEFAULT_MIN_SAMPLES
from console.analysis.slices.discovery import MAX_LEVELS, numeric_labels
from console.analysis.slices.metrics import Predicate

SliceSpec = Mapping[str, str] | Iterable[tuple[str, str]] | Iterable[Predicate]
SEGMENT_BINS = 4
MISSING = "missing"


def as_predicates(spec: SliceSpec | None) -> tuple[Predicate, ...]:
    """Predicates from a mapping, (column, value) pairs or Predicates; `[a, b)` values are bins."""
    if spec is None:
        return ()
    pairs: Iterable[Any] = spec.items() if isinstance(spec, Mapping) else spec
    predicates: list[Predicate] = []
    for item in pairs:
        if isinstance(item, Predicate):
            predicates.append(item)
            continue
        column, value = (str(part).strip() for part in item)
        if not column:
            raise InputError(f"slice {column}={value}: no column name")
        if value[:1] in "[(" and value[-1:] in ")]" and "," in value:
            predicates.append(Predicate(column, "in", value))
        elif value in ("(missing)", "is missing"):
            predicates.append(Predicate(column, "is", MISSING))
        else:
            predicates.append(Predicate(column, "==", value))
    return tuple(predicates)


def parse_slice(text: str) -> tuple[str, str]:
    """`COL=VALUE` as a pair; anything else is an InputError."""
    column, sep, value = text.partition("=")
    if not sep or not column.strip() or not value.strip():
        raise InputError(f"{text!r}: a slice is COL=VALUE (e.g. device_type=tablet)")
    return column.strip(), value.strip()


def slice_mask(frame: pd.DataFrame, predicates: Sequence[Predicate], where: str) -> np.ndarray:
    """Rows of `frame` inside every predicate; a column the frame lacks is an InputError."""
    mask = np.ones(len(frame), dtype=bool)
    for predicate in predicates:
        if predicate.column not in frame:
            known = ", ".join(str(c) for c in frame.columns)
            raise InputError(f"{where} has no column {predicate.column!r} (has: {known})")
        mask &= predicate.mask(frame)
    return mask


def slice_names(predicates: Sequence[Predicate]) -> tuple[str, ...]:
    """Each predicate as text (`device_type == tablet`)."""
    return tuple(str(p) for p in predicates)


@dataclass(frozen=True)
class SegmentDrift:
    """One segment × feature pair: the feature's PSI inside the segment, and the support."""

    segment: Predicate
    drift: FeatureDrift
    share_current: float
    share_reference: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values: the segment as `{column, op, value}` and its name, then the row."""
        return {
            "segment": {
                "column": self.segment.column,
                "op": self.segment.op,
                "value": self.segment.value,
            },
            "segment_name": str(self.segment),
            "feature": self.drift.feature,
            "psi": self.drift.psi,
            "status": self.drift.status,
            "rows": self.drift.n_current,
            "share": self.share_current,
            "n_reference": self.drift.n_reference,
            "share_reference": self.share_reference,
            "note": self.drift.note,
            "drift": self.drift.to_dict(),
        }


@dataclass(frozen=True)
class SegmentDriftTable:
    """Segment × feature pairs, worst PSI first, with the sizes and rule they were judged by."""

    profile: Profile
    bins: int
    min_samples: int
    n_reference: int
    n_current: int
    segments: int
    rows: tuple[SegmentDrift, ...] = field(default_factory=tuple)

    def over(self, status: str) -> list[SegmentDrift]:
        """Pairs at or above a band (`investigate` or `act`)."""
        order = STATUS_ORDER[status]
        return [row for row in self.rows if STATUS_ORDER[row.drift.status] >= order]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values with a `pairs` list."""
        return {
            "profile": self.profile.to_dict(),
            "bins": self.bins,
            "min_samples": self.min_samples,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "segments": self.segments,
            "pairs": [row.to_dict() for row in self.rows],
        }


@dataclass(frozen=True)
class _Encoded:
    """A column of both frames encoded once: float values, or codes into shared categories."""

    name: str
    kind: str
    reference: np.ndarray
    current: np.ndarray
    categories: tuple[str, ...] = ()


def _encode(name: str, kind: str, reference: pd.Series, current: pd.Series) -> _Encoded:
    """Numeric columns as float64; categorical ones as codes shared by both frames (-1: missing)."""
    if kind == NUMERIC:
        return _Encoded(name, kind, as_float(reference), as_float(current))
    text = as_text(pd.concat([reference, current], ignore_index=True))
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    categories = tuple(str(value) for value in uniques)
    return _Encoded(name, kind, codes[: len(reference)], codes[len(reference) :], categories)


def _levels(column: _Encoded) -> tuple[list[Predicate], np.ndarray, np.ndarray]:
    """The segments of a column and each row's segment code in both frames (-1: none)."""
    if column.kind == NUMERIC:
        finite = column.reference[np.isfinite(column.reference)]
        if finite.size == 0:
            return [], np.empty(0), np.empty(0)
        cuts = np.unique(np.quantile(finite, np.linspace(0, 1, SEGMENT_BINS + 1)[1:-1]))
        labels = numeric_labels(cuts)
        # the cut points as the labels print them, so a segment is the same rows as its slice
        edges = np.array([float(f"{cut:.6g}") for cut in cuts])

        def codes(values: np.ndarray) -> np.ndarray:
            found = np.searchsorted(edges, values, side="right").astype(np.int64)
            found[np.isnan(values)] = -1
            return found

        segments = [Predicate(column.name, "in", label) for label in labels]
        return segments, codes(column.reference), codes(column.current)
    if not 2 <= len(column.categories) <= MAX_LEVELS:
        return [], np.empty(0), np.empty(0)
    segments = [Predicate(column.name, "==", value) for value in column.categories]
    return segments, column.reference, column.current


def _fit_inside(column: _Encoded, inside: np.ndarray, bins: int) -> tuple[FeatureFit, np.ndarray]:
    """The reference fit of one feature inside a segment (and, categorical, the codes it keeps)."""
    if column.kind == NUMERIC:
        values = pd.Series(column.reference[inside])
        fit = fit_feature(column.name, values, bins=bins, kind=NUMERIC, keep_sample=False)
        return fit, np.empty(0, dtype=np.int64)
    codes = column.reference[inside]
    counts = np.bincount(codes + 1, minlength=len(column.categories) + 1)
    per_category = counts[1:]
    order = np.argsort(-per_category, kind="stable")
    present = order[per_category[order] > 0]
    fit_counts = np.concatenate((per_category[present], [0, counts[0]])).astype(np.int64)
    note = "reference has only missing values" if codes.size and present.size == 0 else ""
    categories = tuple(column.categories[i] for i in present)
    fit = FeatureFit(
        column.name, CATEGORICAL, fit_counts, int(codes.size), categories=categories, note=note
    )
    return fit, present


def _count_inside(
    column: _Encoded, fit: FeatureFit, present: np.ndarray, inside: np.ndarray
) -> Binned:
    """The window's counts of one feature inside a segment, in the segment's reference bins."""
    if column.kind == NUMERIC:
        return bin_window(fit, column.current[inside])
    codes = column.current[inside]
    counts = np.bincount(codes + 1, minlength=len(column.categories) + 1)
    seen = counts[1:][present]
    unseen = int(counts[1:].sum() - seen.sum())
    return Binned(np.concatenate((seen, [unseen, counts[0]])).astype(np.int64), int(codes.size))


def _rank(row: SegmentDrift) -> tuple[bool, float, str, str]:
    """Worst PSI first; pairs without an answer (insufficient, no data) last."""
    return (row.drift.psi is None, -(row.drift.psi or 0.0), str(row.segment), row.drift.feature)


def segment_drift_table(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    features: Sequence[str],
    *,
    segment_columns: Sequence[str] | None = None,
    kinds: Mapping[str, str] | None = None,
    bins: int = DEFAULT_BINS,
    profile: str | Profile = DEFAULT_PROFILE,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    top: int | None = None,
) -> SegmentDriftTable:
    """Drift of every feature inside every segment, ranked by PSI (insufficient pairs last).

    Each segment is compared with the same segment of the reference, in the
    quantile bins of that segment's reference: the same numbers as the drift
    table of that slice. Every column is encoded once; a segment then costs
    one quantile and one count per feature on its own rows.
    """
    kinds = dict(kinds or {})
    chosen = profile if isinstance(profile, Profile) else get_profile(profile)
    candidates = list(segment_columns) if segment_columns is not None else list(features)
    wanted = [c for c in dict.fromkeys([*features, *candidates]) if c in reference and c in current]
    encoded = {
        c: _encode(c, kinds.get(c) or column_kind(reference[c])[0], reference[c], current[c])
        for c in wanted
    }
    rows: list[SegmentDrift] = []
    segments = 0
    for column in (encoded[c] for c in candidates if c in encoded):
        predicates, reference_codes, current_codes = _levels(column)
        segments += len(predicates)
        for level, segment in enumerate(predicates):
            inside_reference = reference_codes == level
            inside_current = current_codes == level
            shares = (
                float(inside_current.mean()) if len(current) else 0.0,
                float(inside_reference.mean()) if len(reference) else 0.0,
            )
            for name in features:
                if name == column.name or name not in encoded:
                    continue
                fit, present = _fit_inside(encoded[name], inside_reference, bins)
                binned = _count_inside(encoded[name], fit, present, inside_current)
                row = binned_row(fit, binned, chosen, min_samples=min_samples)
                rows.append(SegmentDrift(segment, row, *shares))
    rows.sort(key=_rank)
    return SegmentDriftTable(
        profile=chosen,
        bins=bins,
        min_samples=min_samples,
        n_reference=len(reference),
        n_current=len(current),
        segments=segments,
        rows=tuple(rows[:top] if top is not None else rows),
    )
