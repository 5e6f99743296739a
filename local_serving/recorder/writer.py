"""Batches sampled requests into the inference log and rolls metrics up per minute.

The request path appends one tuple to a deque (thread-safe, no I/O, no lock); a
background thread drains it every `flush_interval_s`, writes sampled rows to the
workspace's inference log, and writes per-minute stage quantiles and request and
error counts to its metric store so the embedded console shows live numbers.
Requests refused (a client error, or a 503 when no version can take them) are
counted per minute apart, as `rejected_total` {model, code}, the twin of
`vigil_rejected_requests_total`, so a canary's `errors_total` stays the server's own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from local_serving.metrics.serving import ServingMetrics
    from local_serving.source import InputLayout, Workspace

log = logging.getLogger("local_serving.recorder")
QUANTILES = ("0.5", "0.95", "0.99")
# Rows become a frame this many at a time: pandas holds the GIL while it converts a
# list of dicts, and a sampled batch of 36,000 rows in one go stalled requests ~80 ms.
FRAME_ROWS = 2000
# A minute is written once it ended this long before a flush began: a request
# stamped just before the minute's end may reach the queue after that flush's
# drain, and would otherwise start the same minute again (two rollups of one minute).
CLOSE_AFTER_S = 2.0
# Rollup points kept for the next flush when the metric store refuses a write.
MAX_UNWRITTEN = 100_000


@dataclass(frozen=True)
class Sample:
    """A sampled request's inputs and outputs (one row per batch row).

    `rate` is the share of such requests that are logged (`--sample-rate`, or a
    shadow's percentage); each row carries it as `sample_rate`, so a window that
    spans rows logged at different rates can weigh them alike.
    """

    request_id: str
    layout: InputLayout
    inputs: np.ndarray
    scores: np.ndarray
    predictions: np.ndarray
    rate: float = 1.0


@dataclass
class _Minute:
    """What one minute of one version accumulated."""

    seconds: list[tuple[float, ...]] = field(default_factory=list)
    requests: int = 0
    errors: int = 0
    client: dict[str, list[float]] = field(default_factory=dict)


class Recorder:
    """A background writer for the inference log and the metric rollups."""

    def __init__(
        self,
        workspace: Workspace,
        metrics: ServingMetrics,
        stages: tuple[str, ...],
        *,
        flush_interval_s: float = 1.0,
        max_pending: int = 100_000,
    ) -> None:
        """Create the queue; `start` launches the thread."""
        self._workspace = workspace
        self._metrics = metrics
        self._stages = stages
        self._interval = flush_interval_s
        self._max_pending = max_pending
        self._pending: deque[tuple[Any, ...]] = deque()
        self._minutes: dict[tuple[int, str, str], _Minute] = {}
        self._refused: deque[tuple[float, str, int]] = deque()
        self._rejected: dict[tuple[int, str, int], int] = {}
        self._unwritten: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._flushed = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(
        self,
        model: str,
        version: str,
        seconds: tuple[float, ...],
        error: bool,
        sample: Sample | None,
        client: tuple[tuple[str, float], ...] = (),
    ) -> None:
        """Queue one request's record; drops (and counts) when the writer is far behind.

        `client` holds stage times the client measured (Vigil-Client-Timing), in seconds.
        """
        if len(self._pending) >= self._max_pending:
            self._metrics.log_dropped.counter(model).inc()
            return
        self._pending.append((time.time(), model, version, seconds, error, sample, client))

    def reject(self, model: str, status: int) -> None:
        """Count one request to `model` refused with HTTP `status` (its minute's rejected_total)."""
        if len(self._refused) >= self._max_pending:
            self._metrics.log_dropped.counter(model).inc()
            return
        self._refused.append((time.time(), model, status))

    def start(self) -> None:
        """Import the write path now (a first flush would stall requests), then start."""
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet

        pa.Table.from_pandas(pd.DataFrame({"warm": [0.0]}), preserve_index=False)
        self._thread = threading.Thread(target=self._loop, name="vigil-recorder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write everything still queued, including the current minute, and stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        try:
            self._flush(final=True)
        except Exception:
            log.exception("final inference log flush failed")
        if self._unwritten:
            log.error(
                "%d metric rollup points could not be written before the server stopped",
                len(self._unwritten),
            )

    def flush(self) -> None:
        """Write what is queued now (before labels are attached to logged requests)."""
        self._flush(final=False)

    def _loop(self) -> None:
        """Flush every interval until stopped."""
        while not self._stop.wait(self._interval):
            try:
                self._flush(final=False)
            except Exception:
                log.exception("inference log flush failed; will retry")

    def _flush(self, *, final: bool) -> None:
        """Drain the queue into log rows and minute aggregates, then write them."""
        with self._flushed:
            began = time.time()
            rows: dict[str, list[dict[str, Any]]] = {}
            while self._pending:
                ts, model, version, seconds, error, sample, client = self._pending.popleft()
                minute = self._minutes.setdefault((int(ts // 60) * 60, model, version), _Minute())
                minute.requests += 1
                if error:
                    minute.errors += 1
                else:
                    minute.seconds.append(seconds)
                for stage, value in client:
                    minute.client.setdefault(stage, []).append(value)
                if sample is not None:
                    timed = (*zip(self._stages, seconds, strict=False), *client)
                    rows.setdefault(model, []).extend(self._rows(ts, version, timed, sample))
            while self._refused:
                ts, model, status = self._refused.popleft()
                key = (int(ts // 60) * 60, model, status)
                self._rejected[key] = self._rejected.get(key, 0) + 1
            for model, model_rows in rows.items():
                if model_rows:
                    self._write_log(model, model_rows)
            self._write_rollups(began, final)

    def _rows(
        self, ts: float, version: str, seconds: tuple[tuple[str, float], ...], sample: Sample
    ) -> list[dict[str, Any]]:
        """One log row per batch row; batch rows get request ids `<id>/<i>`."""
        from datetime import UTC, datetime

        at = datetime.fromtimestamp(ts, UTC)
        timings = {f"{s}_ms": v * 1000.0 for s, v in seconds}
        inputs = sample.inputs.reshape(len(sample.scores), -1).tolist()
        out = []
        for i, (values, score, prediction) in enumerate(
            zip(inputs, sample.scores.tolist(), sample.predictions.tolist(), strict=True)
        ):
            row: dict[str, Any] = {
                "ts": at,
                "request_id": sample.request_id if len(inputs) == 1 else f"{sample.request_id}/{i}",
                "version": version,
            }
            row.update(sample.layout.decode(values))
            row.update(score=score, prediction=prediction, sample_rate=sample.rate, **timings)
            out.append(row)
        return out

    def _write_log(self, model: str, rows: list[dict[str, Any]]) -> None:
        """Append rows to the inference log; a failure is logged and the rows counted dropped."""
        import pandas as pd

        try:
            frame = pd.concat(
                [pd.DataFrame(rows[i : i + FRAME_ROWS]) for i in range(0, len(rows), FRAME_ROWS)],
                ignore_index=True,
            )
            written = self._workspace.append_log(model, frame)
        except Exception as error:
            log.error("inference log append for %s failed: %s", model, error)
            self._metrics.log_dropped.counter(model).inc(len(rows))
            return
        self._metrics.log_rows.counter(model).inc(written)

    def _write_rollups(self, began: float, final: bool) -> None:
        """Write the minutes closed when this flush began (all of them when final).

        Points the metric store refuses are kept, up to MAX_UNWRITTEN, and go with
        the next flush.
        """
        import numpy as np
        import pandas as pd

        points = self._unwritten
        self._unwritten = []
        for key in [key for key in self._minutes if final or _closed(key[0], began)]:
            minute_start, model, version = key
            minute = self._minutes.pop(key)
            labels = {"model": model, "version": version}
            points.append(_point("requests_total", labels, minute_start, minute.requests))
            points.append(_point("errors_total", labels, minute_start, minute.errors))
            columns = dict(
                zip(self._stages, np.asarray(minute.seconds, dtype=np.float64).T, strict=False)
            )
            columns.update((stage, np.asarray(v)) for stage, v in minute.client.items())
            for stage, column in columns.items():
                quantiles = np.quantile(column * 1000.0, [float(q) for q in QUANTILES])
                for q, value in zip(QUANTILES, quantiles.tolist(), strict=True):
                    stage_labels = {**labels, "stage": stage, "quantile": q}
                    points.append(_point("stage_latency_ms", stage_labels, minute_start, value))
        for refused in [key for key in self._rejected if final or _closed(key[0], began)]:
            labels = {"model": refused[1], "code": str(refused[2])}
            points.append(_point("rejected_total", labels, refused[0], self._rejected.pop(refused)))
        if not points:
            return
        try:
            self._workspace.write_points(pd.DataFrame(points))
        except Exception as error:
            lost = max(len(points) - MAX_UNWRITTEN, 0)
            self._unwritten = points[lost:]
            log.error(
                "metric rollup write failed (%d points kept for the next flush, %d dropped): %s",
                len(self._unwritten),
                lost,
                error,
            )


def _closed(minute_start: int, began: float) -> bool:
    """Whether the minute ended at least CLOSE_AFTER_S before the flush began."""
    return minute_start + 60 + CLOSE_AFTER_S <= began


def _point(name: str, labels: dict[str, str], ts: int, value: float) -> dict[str, Any]:
    """One metric point row."""
    return {"name": name, "labels": labels, "ts": ts, "value": float(value)}
