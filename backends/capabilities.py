"""Which optional capabilities a backend offers now: the one check the console and runbooks share.

A capability protocol (`SupportsTrafficSplit`, ...) says a class has the
methods; whether an instance can use them may depend on the system behind it
(a KServe V2 client against a server without Vigil's admin API only reads).
A backend that knows says so in `capabilities()`; `supports` asks it, and
falls back to the protocol check for a backend that does not declare.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from backends.contracts import (
    SupportsBinCounts,
    SupportsBucketCounts,
    SupportsCompareAndSet,
    SupportsGroupCounts,
    SupportsLoad,
    SupportsLogWrite,
    SupportsMetricWrite,
    SupportsOnlineFeatures,
    SupportsRegister,
    SupportsRollback,
    SupportsStaleEvents,
    SupportsTrafficSplit,
    SupportsWindowCounts,
    SupportsWindowCoverage,
)

OPTIONAL: tuple[type, ...] = (
    SupportsRegister,
    SupportsMetricWrite,
    SupportsLogWrite,
    SupportsBinCounts,
    SupportsWindowCounts,
    SupportsWindowCoverage,
    SupportsGroupCounts,
    SupportsBucketCounts,
    SupportsStaleEvents,
    SupportsOnlineFeatures,
    SupportsTrafficSplit,
    SupportsCompareAndSet,
    SupportsRollback,
    SupportsLoad,
)


@runtime_checkable
class DeclaresCapabilities(Protocol):
    """A backend whose instances say which optional capabilities they offer."""

    def capabilities(self) -> frozenset[type]:
        """The capability protocols this instance can use now."""
        ...


def supports(backend: object, capability: type) -> bool:
    """True when `backend` has `capability`'s methods and, if it declares, offers it now."""
    if backend is None or not isinstance(backend, capability):
        return False
    if isinstance(backend, DeclaresCapabilities):
        return capability in backend.capabilities()
    return True


def capabilities(backend: object) -> frozenset[type]:
    """Every optional capability `backend` offers now."""
    return frozenset(capability for capability in OPTIONAL if supports(backend, capability))


def names(backend: object) -> list[str]:
    """The offered capabilities by name (`SupportsRollback`, ...), sorted, for JSON and docs."""
    return sorted(capability.__name__ for capability in capabilities(backend))
