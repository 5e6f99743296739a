"""Drift: PSI in two named modes, KS, Jensen–Shannon, chi-square, Wasserstein, severity bands."""

from __future__ import annotations

from console.analysis.drift.bands import PROFILES, Profile, get_profile
from console.analysis.drift.cache import REFERENCE_CACHE, ReferenceCache, reference_fit
from console.analysis.drift.psi import (
    DEFAULT_EPSILON,
    js_distance,
    js_divergence,
    kl_divergence,
    psi,
    psi_from_counts,
    psi_terms,
)
from console.analysis.drift.reference import (
    FeatureFit,
    ReferenceProfile,
    bin_window,
    fit_reference,
)
from console.analysis.drift.table import (
    DriftTable,
    FeatureDrift,
    drift_against,
    drift_from_counts,
    drift_table,
)

__all__ = [
    "DEFAULT_EPSILON",
    "PROFILES",
    "REFERENCE_CACHE",
    "DriftTable",
    "FeatureDrift",
    "FeatureFit",
    "Profile",
    "ReferenceCache",
    "ReferenceProfile",
    "bin_window",
    "drift_against",
    "drift_from_counts",
    "drift_table",
    "fit_reference",
    "get_profile",
    "js_distance",
    "js_divergence",
    "kl_divergence",
    "psi",
    "psi_from_counts",
    "psi_terms",
    "reference_fit",
]
