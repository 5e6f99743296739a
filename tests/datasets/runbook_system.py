"""One model, `fraud-detector`, that the runbook engine acts on, in the in-memory backend.

Versions 1 (champion, all traffic, loaded) and 2 (challenger, unloaded); the
metrics come from a function (the backend's gauge), so a test can script what
each check reads. `RunbookSystem` is the memory backend itself with the views
the engine tests assert on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backends.contracts import (
    AuditRecord,
    FeatureSpec,
    Lineage,
    ModelVersion,
    TimelineEvent,
)
from backends.memory import MemoryBackend
from runbooks.engine import Environment

MODEL = "fraud-detector"
Metric = Callable[[str, Mapping[str, str]], float | None]
FEATURES = (FeatureSpec("amount", "numeric"), FeatureSpec("merchant", "categorical"))
EVER = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))


class RunbookSystem(MemoryBackend):
    """The memory backend holding MODEL, with the split, aliases and journal as plain views.

    Its server has no compare-and-set (as a foreign V2 server), so the engine
    checks a split itself before changing it; CompareAndSetSystem has it.
    """

    set_weights_if = None  # type: ignore[assignment]
    rollback_if = None  # type: ignore[assignment]

    def __init__(
        self,
        weights: Mapping[str, int] | None = None,
        aliases: Mapping[str, str] | None = None,
        versions: Sequence[str] = ("1", "2"),
        loaded: Mapping[str, str] | None = None,
        metric: Metric = lambda name, labels: 0.0,
    ) -> None:
        """Register the versions, point the aliases, set the split, unload what takes no traffic."""
        super().__init__()
        self.upsert_model(MODEL, "binary-classification", features=FEATURES)
        for number in versions:
            lineage = Lineage("c", "d", "f", "e")
            metrics = {"accuracy": 0.95}
            self.register_version(
                ModelVersion(MODEL, number, self.now(), "onnx", "", lineage, metrics=metrics)
            )
        for alias, holder in (aliases or {"champion": "1", "challenger": "2"}).items():
            self.set_alias(MODEL, alias, holder)
        self.set_weights(MODEL, weights or {"1": 100})
        for number, state in (loaded or {"1": "ready", "2": "unloaded"}).items():
            if state == "unloaded" and number not in self.weights:
                self.unload(MODEL, number)
        self.gauge = metric
        self.changes.clear()

    @property
    def weights(self) -> dict[str, int]:
        """MODEL's split as the server holds it."""
        with self._lock:
            return self._split(MODEL)

    @weights.setter
    def weights(self, weights: Mapping[str, int]) -> None:
        """Someone else (another operator) sets the split: a new generation, not journaled."""
        with self._lock:
            self._apply(MODEL, dict(weights))

    @property
    def aliases(self) -> dict[str, str]:
        """MODEL's aliases and the version each points at."""
        with self._lock:
            return dict(self._entry(MODEL).aliases)

    @property
    def metric(self) -> Metric | None:
        """The function every metric query reads."""
        return self.gauge

    @metric.setter
    def metric(self, metric: Metric) -> None:
        """Answer metric queries from `metric` from now on."""
        self.gauge = metric

    @property
    def calls(self) -> list[str]:
        """Every mutating call made through the backend, in order."""
        return self.changes

    @property
    def audit(self) -> list[AuditRecord]:
        """The audit log."""
        return self.audit_log()

    @property
    def events(self) -> list[TimelineEvent]:
        """Every recorded timeline event, oldest first."""
        return self.timeline_events(None, *EVER)


class CompareAndSetSystem(RunbookSystem):
    """The same system on a server with compare-and-set by split generation, as local_serving."""

    set_weights_if = MemoryBackend.set_weights_if  # type: ignore[assignment]
    rollback_if = MemoryBackend.rollback_if  # type: ignore[assignment]


@dataclass
class ScriptedHuman:
    """A confirmer at a terminal that gives the answers it was told to, and records prompts."""

    answers: list[str]
    prompts: list[str] = field(default_factory=list)

    def interactive(self) -> bool:
        """A human is there."""
        return True

    def confirm(self, prompt: str, *, require: str | None = None) -> bool:
        """Answer the next scripted answer."""
        self.prompts.append(prompt)
        answer = self.answers.pop(0) if self.answers else ""
        return answer == require if require is not None else answer.lower() in ("y", "yes")


def environment(
    system: MemoryBackend,
    state_dir: Path,
    *,
    context: str = "staging",
    read_only: bool = False,
    assume_yes: bool = True,
    confirmer: Any = None,
    drift: Any = None,
    sleep: Callable[[float], None] = lambda seconds: None,
) -> tuple[Environment, list[str]]:
    """An Environment whose every role is `system`; returns it and the list its output goes to."""
    lines: list[str] = []
    kwargs: dict[str, Any] = {}
    if confirmer is not None:
        kwargs["confirmer"] = confirmer
    env = Environment(
        context=context,
        read_only=read_only,
        backend=lambda role: system,
        state_dir=state_dir,
        assume_yes=assume_yes,
        drift=drift,
        out=lines.append,
        sleep=sleep,
        **kwargs,
    )
    return env, lines
