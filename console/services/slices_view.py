"""The slices screen's data: the worst slices of a model's window, and the requests of one slice.

The table comes from `console.analysis.slices.worst_slices` with the options
`vigil slices` uses (the model's features and `version` as candidate columns,
2 predicates, support ≥ 30, top 15), so the screen and
`vigil slices --model M --window W --json` agree number for number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from console.analysis.context import Sources
from console.services.analysis_window import AnalysisWindow, twin_command

if TYPE_CHECKING:
    import pandas as pd

    from console.analysis.slices import Predicate, SliceMetric, SliceTable

MAX_PREDICATES = 2
MIN_SUPPORT = 30
TOP = 15
BASE_METRICS: tuple[str, ...] = ("accuracy", "error_rate", "mean_score")
REQUEST_COLUMNS: tuple[str, ...] = ("ts", "request_id", "version", "score", "prediction", "label")


@dataclass(frozen=True)
class SliceMetricChoice:
    """A metric the screen can rank by: `accuracy`, or `latency` of one `<stage>_ms` column."""

    metric: str
    column: str | None = None

    @property
    def label(self) -> str:
        """`accuracy`, `latency feature_fetch_ms`."""
        return self.metric if self.column is None else f"{self.metric} {self.column}"

    def cli_args(self) -> list[str]:
        """`--metric latency --metric-column feature_fetch_ms`."""
        column = ["--metric-column", self.column] if self.column else []
        return ["--metric", self.metric, *column]


@dataclass(frozen=True)
class SlicesView:
    """The worst slices of one window for one metric, optionally against a baseline window."""

    window: AnalysisWindow
    choice: SliceMetricChoice
    table: SliceTable
    rows: int
    baseline: tuple[datetime, datetime] | None
    twin: str
    stage_columns: tuple[str, ...] = ()


def metric_choices(
    stage_columns: Sequence[str], task: str = "binary-classification"
) -> tuple[SliceMetricChoice, ...]:
    """Accuracy, error rate (not for a regression), mean score, then each stage's latency."""
    metrics = BASE_METRICS if task != "regression" else ("mean_score",)
    return (
        *(SliceMetricChoice(metric) for metric in metrics),
        *(SliceMetricChoice("latency", column) for column in stage_columns),
    )


def suited_choice(choice: SliceMetricChoice, task: str) -> SliceMetricChoice:
    """The choice, or the mean score for a regression (exact equality is no accuracy there)."""
    if task == "regression" and choice.metric in ("accuracy", "error_rate"):
        return SliceMetricChoice("mean_score")
    return choice


def previous_window(window: AnalysisWindow) -> tuple[datetime, datetime]:
    """The window of the same length just before `window`: the default baseline."""
    length = window.end - window.start
    return window.start - length, window.start


def interval_text(span: tuple[datetime, datetime]) -> str:
    """`START/END` as `--baseline-window` takes it, as short as exact allows."""
    return f"{instant_text(span[0])}/{instant_text(span[1])}"


def instant_text(moment: datetime) -> str:
    """`2026-11-18T00:00Z`, with seconds only when they are not zero."""
    if moment.microsecond:
        return moment.isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ" if moment.second else "%Y-%m-%dT%H:%MZ")


def compute_slices(
    source: Sources,
    window: AnalysisWindow,
    choice: SliceMetricChoice,
    baseline: tuple[datetime, datetime] | None = None,
) -> SlicesView:
    """Rank the window's slices (by change against `baseline` when given); InputError if empty."""
    from backends.contracts import STAGES
    from console.analysis.inputs import InputError
    from console.analysis.slices import worst_slices

    model = window.model
    frame = source.inference_log.window(model.name, window.start, window.end)
    if frame.empty:
        raise InputError(f"no requests logged for {model.name} in {window.label()}")
    previous = None
    if baseline is not None:
        previous = source.inference_log.window(model.name, baseline[0], baseline[1])
        if previous.empty:
            raise InputError(f"no requests logged for {model.name} in the baseline window")
    features = [spec.name for spec in model.features]
    columns = features + (["version"] if "version" in frame else [])
    table = worst_slices(
        frame,
        label="label",
        prediction="prediction",
        metric=choice.metric,
        metric_column=choice.column,
        columns=columns,
        max_predicates=MAX_PREDICATES,
        min_support=MIN_SUPPORT,
        top=TOP,
        baseline=previous,
    )
    extra = choice.cli_args()
    if baseline is not None:
        extra += ["--baseline-window", interval_text(baseline)]
    return SlicesView(
        window=window,
        choice=choice,
        table=table,
        rows=len(frame),
        baseline=baseline,
        twin=twin_command("slices", window, *extra),
        stage_columns=tuple(f"{stage}_ms" for stage in STAGES if f"{stage}_ms" in frame),
    )


def slice_requests(
    source: Sources, window: AnalysisWindow, predicates: Sequence[Predicate]
) -> pd.DataFrame:
    """A slice's logged requests in the window, oldest first: ids, outcome, the slice's columns."""
    frame = source.inference_log.window(window.model.name, window.start, window.end)
    mask = None
    for predicate in predicates:
        selected = predicate.mask(frame)
        mask = selected if mask is None else mask & selected
    chosen = frame if mask is None else frame[mask]
    own = [p.column for p in predicates if p.column not in REQUEST_COLUMNS]
    first = [c for c in (*REQUEST_COLUMNS, *dict.fromkeys(own)) if c in chosen]
    rest = [c for c in chosen.columns if c not in first]
    return chosen[first + rest].reset_index(drop=True)


def equality_predicates(predicates: Sequence[Predicate]) -> tuple[tuple[str, str], ...]:
    """The `column == value` predicates of a slice, as the drift view's `COL=VALUE` pairs."""
    return tuple((p.column, p.value) for p in predicates if p.op == "==")


def short_predicate(predicate: Predicate) -> str:
    """`device_type=tablet`, `amount≥90.48`, `age<163`, `amount∈[10, 20)`, `label missing`."""
    if predicate.op == "==":
        return f"{predicate.column}={predicate.value}"
    if predicate.op == "is":
        return f"{predicate.column} missing"
    low, _, high = predicate.value.strip("[()]").partition(",")
    low, high = low.strip(), high.strip()
    if high == "inf":
        return f"{predicate.column}≥{low}"
    if low == "-inf":
        return f"{predicate.column}<{high}"
    return f"{predicate.column}∈{predicate.value}"


def slice_label(predicates: Sequence[Predicate]) -> str:
    """A slice's predicates joined by `&`, shortest form first readable at 80 columns."""
    return " & ".join(short_predicate(p) for p in predicates) or "(all)"


def number(value: float | None) -> str:
    """A metric as `vigil slices` prints it: 4 significant digits, `-` when absent."""
    return "-" if value is None or value != value else f"{value:.4g}"


def slice_headers(compared: bool, wide: bool = True) -> tuple[str, ...]:
    """Column titles; against a baseline, the metric before and the change (and z when wide)."""
    if not compared:
        return ("SLICE", "SUPPORT", "SHARE", "METRIC", "DELTA", "95% CI")
    if not wide:
        return ("SLICE", "SUPPORT", "METRIC", "BEFORE", "CHANGE", "95% CI")
    return ("SLICE", "SUPPORT", "SHARE", "METRIC", "BEFORE", "CHANGE", "95% CI", "Z")


def slice_cells(row: SliceMetric, compared: bool, wide: bool = True) -> tuple[str, ...]:
    """One slice's row: every number formatted as `vigil slices` prints it."""
    ci = f"{row.ci_low:.3g}–{row.ci_high:.3g}"
    label, support, share = slice_label(row.predicates), f"{row.support:,}", f"{row.share:.1%}"
    metric = number(row.metric)
    if not compared:
        return (label, support, share, metric, _signed(row.delta), ci)
    before, change = number(row.baseline_metric), _signed(row.change)
    if not wide:
        return (label, support, metric, before, change, ci)
    return (label, support, share, metric, before, change, ci, number(row.score))


def _signed(value: float | None) -> str:
    """`+0.0123` / `-0.2936`, 4 significant digits."""
    return "-" if value is None else f"{value:+.4g}"


def overall_text(view: SlicesView) -> str:
    """`accuracy overall 0.9259 over 63,563 rows (7,774 without a value left out)`."""
    table = view.table
    if table.n == 0:
        return f"{view.choice.label}: no row has a value (labels arrive late): try mean_score"
    note = f" · {table.note}" if table.note else ""
    overall = number(table.overall)
    return f"{view.choice.label}: overall {overall} over {table.n:,} logged requests{note}"


def fit_first_column(
    headers: Sequence[str], rows: Sequence[Sequence[str]], width: int, padding: int = 2
) -> list[tuple[str, ...]]:
    """Cut the first cell of each row (with `…`) so every column fits in `width` cells."""
    others = sum(
        max([len(headers[i]), *(len(row[i]) for row in rows)]) + padding
        for i in range(1, len(headers))
    )
    room = max(12, width - others - padding)
    return [(row[0] if len(row[0]) <= room else row[0][: room - 1] + "…", *row[1:]) for row in rows]
