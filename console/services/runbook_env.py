"""The runbook engine's Environment for a context: one builder for the CLI and the console.

`vigil runbook run` and a console action build their Environment here, so
both reach the backends through the same engine, gate, confirmation by risk
and audit log; only the human (a terminal prompt or a modal) and where the
progress lines go differ.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.services.clock import Clock, utc_now

if TYPE_CHECKING:
    from console.config import Context
    from runbooks.engine import Confirmer, Environment


def runbook_environment(
    context: Context,
    *,
    confirmer: Confirmer,
    out: Callable[[str], None],
    assume_yes: bool = False,
    sleep: Callable[[float], None] | None = None,
    checkpoint: Callable[[], None] | None = None,
    clock: Clock = utc_now,
) -> Environment:
    """Backends, state folder, drift and quality readings, the human, and the progress sink.

    The drift and quality readings end at `clock()` (or the last logged
    request, when the log stops earlier): now live, the instant in a replay.
    """
    from console.analysis.samples import DEFAULT_MIN_SAMPLES
    from runbooks.engine import Environment

    env = Environment(
        context=context.name,
        read_only=context.read_only,
        read_only_reason=str(getattr(context, "read_only_reason", "")),
        backend=backend_getter(context),
        state_dir=state_dir(context),
        confirmer=confirmer,
        assume_yes=assume_yes,
        drift=_drift_function(context, clock),
        quality=_quality_function(context, clock),
        min_samples=DEFAULT_MIN_SAMPLES,
        out=out,
    )
    if sleep is not None:
        env.sleep = sleep
    if checkpoint is not None:
        env.checkpoint = checkpoint
    return env


def state_dir(context: Context) -> Path:
    """Where runs are persisted: the workspace, else the data folder of the context."""
    from console.config import data_home

    if context.workspace is not None:
        return Path(context.workspace) / "runbook_runs"
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in context.name)
    return data_home() / "runs" / safe


def backend_getter(context: Context) -> Callable[[str], Any]:
    """A role → backend function whose configuration problems read as BackendError."""
    from backends.contracts import BackendError
    from backends.discovery import BackendUnavailable
    from console.config import ConfigError

    def get(role: str) -> Any:
        try:
            return context.backend(role)
        except (ConfigError, BackendUnavailable) as error:
            raise BackendError(str(error)) from error

    return get


def _log_end(context: Context, model: str, clock: Clock) -> Any:
    """The end of the data: `clock()`, or the last logged request when the log stops earlier."""
    from datetime import timedelta

    now = clock()
    span = backend_getter(context)("inference_log").time_range(model)
    if span is None:
        return now
    return min(now, span[1] + timedelta(microseconds=1))


def _quality_function(context: Context, clock: Clock) -> Any:
    """Accuracy of the logged predictions against their labels over the last window of data."""

    def quality(model: str, metric: str, window_s: float) -> float | None:
        from datetime import timedelta

        from console.analysis.samples import DEFAULT_MIN_SAMPLES

        if metric != "accuracy":
            return None
        end = _log_end(context, model, clock)
        start = end - timedelta(seconds=window_s)
        log = backend_getter(context)("inference_log")
        rows = log.window(model, start, end, columns=["prediction", "label"])
        rows = rows.dropna(subset=["prediction", "label"])
        if len(rows) < DEFAULT_MIN_SAMPLES:
            return None  # the minimum-sample rule: too few labelled rows to judge
        return float((rows["prediction"].astype(float) == rows["label"].astype(float)).mean())

    return quality


def _drift_function(context: Context, clock: Clock) -> Any:
    """PSI of a feature (or, for None, the prediction score) over the last window of data."""

    def drift(model: str, feature: str | None, window_s: float) -> float | None:
        from datetime import timedelta

        from console.analysis.drift import drift_table

        column = feature or "score"
        end = _log_end(context, model, clock)
        start = end - timedelta(seconds=window_s)
        get = backend_getter(context)
        log = get("inference_log")
        current = log.window(model, start, end, columns=[column])
        if feature is None:
            reference = log.window(model, start - timedelta(seconds=window_s), start, [column])
        else:
            reference = get("features").reference(model)
        if column not in current or column not in reference or current.empty or reference.empty:
            return None
        table = drift_table(reference[[column]], current[[column]], [column], exact=False)
        return table.features[0].psi if table.features else None

    return drift
