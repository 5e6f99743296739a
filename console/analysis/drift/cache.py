"""The reference-fit cache: a model version's reference is fitted once and reused per window."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence

import pandas as pd

from console.analysis.drift.reference import DEFAULT_BINS, ReferenceProfile, fit_reference
from console.analysis.inputs import InputError
from console.analysis.slices.metrics import Predicate


class ReferenceCache:
    """A small LRU of reference profiles keyed by (source, model, version, bins, columns, slice).

    The source is the backend the reference is read from, so two workspaces (or contexts)
    with the same model and version names never share a fit; an entry holds its source, so
    the source's id cannot be reused while the entry lives.
    """

    def __init__(self, maxsize: int = 16) -> None:
        """Keep at most `maxsize` profiles."""
        self._maxsize = maxsize
        self._items: OrderedDict[Hashable, tuple[object, ReferenceProfile]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(
        self, source: object, key: Hashable, build: Callable[[], ReferenceProfile]
    ) -> ReferenceProfile:
        """The cached profile of `source` for `key`, building it on a miss."""
        full_key = (id(source), key)
        entry = self._items.get(full_key)
        if entry is not None and entry[0] is source:
            self.hits += 1
            self._items.move_to_end(full_key)
            return entry[1]
        self.misses += 1
        profile = build()
        self._items[full_key] = (source, profile)
        while len(self._items) > self._maxsize:
            self._items.popitem(last=False)
        return profile

    def clear(self) -> None:
        """Forget every profile."""
        self._items.clear()


REFERENCE_CACHE = ReferenceCache()


def reference_fit(
    source: object,
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
    """The fit of a version's reference read from `source`, inside a slice when given, cached.

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
    return cache.get(source, key, build)
