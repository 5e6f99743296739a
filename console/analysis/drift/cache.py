"""The reference-fit cache: a model version's reference is fitted once and reused per window."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence

import pandas as pd

from console.analysis.drift.reference import DEFAULT_BINS, ReferenceProfile, fit_reference
from console.analysis.inputs import InputError
from console.analysis.slices.metrics import Predicate


class ReferenceCache:
    """A small LRU of reference profiles keyed by (model, version, bins, columns, slice)."""

    def __init__(self, maxsize: int = 16) -> None:
        """Keep at most `maxsize` profiles."""
        self._maxsize = maxsize
        self._items: OrderedDict[Hashable, ReferenceProfile] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, build: Callable[[], ReferenceProfile]) -> ReferenceProfile:
        """The cached profile for `key`, building it on a miss."""
        if key in self._items:
            self.hits += 1
            self._items.move_to_end(key)
            return self._items[key]
        self.misses += 1
        profile = build()
        self._items[key] = profile
        while len(self._items) > self._maxsize:
            self._items.popitem(last=False)
        return profile

    def clear(self) -> None:
        """Forget every profile."""
        self._items.clear()


REFERENCE_CACHE = ReferenceCache()


def reference_fit(
    model: str,
    version: str | None,
    columns: Sequence[str],
    load: Callable[[], pd.DataFrame],
    *,
    bins: int = DEFAULT_BINS,
    kinds: Mapping[str, str] | None = None,
    predicates: Sequence[Predicate] = (),
    keep_sample: bool = False,
    cache: ReferenceCache = REFERENCE_CACHE,
) -> ReferenceProfile:
    """The fit of a version's reference (inside a slice when `predicates` are given), cached.

    `keep_sample` keeps the sorted reference in the fit, for exact KS and Wasserstein.
    """

    def build() -> ReferenceProfile:
        """Load the reference, keep the slice, and fit the columns once."""
        frame = load()
        where = f"the reference of {model} v{version}"
        missing = [c for c in [*columns, *(p.column for p in predicates)] if c not in frame]
        if missing:
            raise InputError(f"{where} lacks {', '.join(dict.fromkeys(missing))}")
        for predicate in predicates:
            frame = frame.loc[predicate.mask(frame)]
        chosen = dict(kinds or {})
        return fit_reference(frame, columns, bins=bins, kinds=chosen, keep_sample=keep_sample)

    key = (model, version, bins, tuple(columns), tuple(predicates), keep_sample)
    return cache.get(key, build)
