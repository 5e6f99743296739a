"""The slices screen's data: the worst slices of a model's window, and the requests of one slice.

`read_slices` is what both `vigil slices --model M` and the screen call, with
the same defaults (the model's features and `version` as candidate columns,
2 predicates, support ≥ 30, top 15), so they agree number for number. On a
log that computes grouped counts (the `sql` log) the table is built from the
engine's counts (`console.analysis.slices.worst_from_counts`) and a slice's
requests are filtered by the engine; on any other log, from the window's
rows (`worst_slices`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, cast

from backends.contracts import Model
from console.analysis.context import Sources
from console.services.analysis_window import AnalysisWindow, twin_command

if TYPE_CHECKING:
    import pandas as pd

    from backends.contracts import SupportsGroupCounts
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


@dataclass(frozen=True)
class SliceOptions:
    """How to look for slices: candidate columns (default: the features and `version`), limits."""

    columns: tuple[str, ...] | None = None
    max_predicates: int = MAX_PREDICATES
    min_support: int = MIN_SUPPORT
    top: int = TOP
    version: str | None = None


@dataclass(frozen=True)
class SliceRead:
    """A window's worst slices and what was read for them: rows counted, the log's columns."""

    table: SliceTable
    rows: int
    columns: tuple[str, ...]
    pushed_down: bool
    frame: pd.DataFrame | None = None


def read_slices(
    source: Sources,
    model: Model,
    span: tuple[datetime, datetime],
    choice: SliceMetricChoice,
    baseline: tuple[datetime, datetime] | None = None,
    options: SliceOptions | None = None,
) -> SliceRead:
    """The worst slices of a window, by grouped counts where the log computes them, else from rows.

    A log with SupportsGroupCounts (the SQL log) answers with counts only:
    Vigil never receives its rows. Any other log's window is read and sliced
    here. InputError when a window holds no request.
    """
    from backends.capabilities import supports
    from backends.contracts import SupportsGroupCounts

    options = options or SliceOptions()
    log = source.inference_log
    if supports(log, SupportsGroupCounts):
        return _counted(source, model, span, choice, baseline, options)
    return _from_rows(source, model, span, choice, baseline, options)


def _candidates(model: Model, present: Sequence[str], options: SliceOptions) -> list[str]:
    """The candidate columns: the asked ones, else the features and `version` (unless filtered)."""
    if options.columns is not None:
        return list(options.columns)
    features = [spec.name for spec in model.features]
    return features + (["version"] if "version" in present and not options.version else [])


def _from_rows(
    source: Sources,
    model: Model,
    span: tuple[datetime, datetime],
    choice: SliceMetricChoice,
    baseline: tuple[datetime, datetime] | None,
    options: SliceOptions,
) -> SliceRead:
    """Read the window's rows (and the baseline's) and slice them."""
    from console.analysis.inputs import InputError
    from console.analysis.slices import worst_slices

    log = source.inference_log
    frame = window_rows(source, model, span, options.version)
    previous = None
    if baseline is not None:
        previous = log.window(model.name, baseline[0], baseline[1], version=options.version)
        if previous.empty:
            raise InputError(f"no requests logged for {model.name} in the baseline window")
    table = worst_slices(
        frame,
        label="label",
        prediction="prediction",
        metric=choice.metric,
        metric_column=choice.column,
        columns=_candidates(model, list(frame.columns), options),
        max_predicates=options.max_predicates,
        min_support=options.min_support,
        top=options.top,
        baseline=previous,
    )
    return SliceRead(table, len(frame), tuple(frame.columns), False, frame)


def _counted(
    source: Sources,
    model: Model,
    span: tuple[datetime, datetime],
    choice: SliceMetricChoice,
    baseline: tuple[datetime, datetime] | None,
    options: SliceOptions,
) -> SliceRead:
    """Slices from the log's grouped counts: a profile, then one GROUPING SETS query per window."""
    from console.analysis.inputs import InputError
    from console.analysis.slices import worst_from_counts
    from console.analysis.slices.counted import (
        counted_windows,
        grouping_sets,
        plan_keys,
        quantile_points,
        row_value,
    )

    log = cast("SupportsGroupCounts", source.inference_log)
    present = tuple(source.inference_log.window(model.name, span[0], span[0]).columns)
    candidates = _candidates(model, present, options)
    missing = [c for c in candidates if c not in present]
    if missing:
        raise InputError(f"column(s) not found: {', '.join(missing)}")
    kinds = _kinds(model, candidates)
    value = row_value(choice.metric, choice.column)
    spans = [span] if baseline is None else [span, baseline]
    profile = log.group_profile(
        model.name, spans, kinds, value, quantile_points(), version=options.version
    )
    if not profile.rows[0]:
        raise InputError(f"no requests logged for {model.name} in {_span_text(span)}")
    if baseline is not None and not profile.rows[1]:
        raise InputError(f"no requests logged for {model.name} in the baseline window")
    keys = plan_keys(profile, kinds)
    sets = grouping_sets(keys, options.max_predicates)
    answers = [
        log.grouped_counts(model.name, start, end, keys, sets, value, version=options.version)
        for start, end in spans
    ]
    windows = counted_windows(keys, profile, sets, answers)
    table = worst_from_counts(
        windows, profile.rows, choice.metric, min_support=options.min_support, top=options.top
    )
    return SliceRead(table, profile.rows[0], present, True)


def _kinds(model: Model, columns: Sequence[str]) -> dict[str, Literal["numeric", "categorical"]]:
    """Each column's kind: the model's feature spec; the score and `<stage>_ms` are numeric."""
    declared: dict[str, Literal["numeric", "categorical"]] = {
        spec.name: spec.kind for spec in model.features
    }
    for column in columns:
        if column not in declared:
            numeric = column == "score" or column.endswith("_ms")
            declared[column] = "numeric" if numeric else "categorical"
    return {column: declared[column] for column in columns}


def read_by_column(
    source: Sources,
    model: Model,
    span: tuple[datetime, datetime],
    choice: SliceMetricChoice,
    column: str,
    version: str | None = None,
) -> SliceRead:
    """The metric for every value (or decile) of one column, from grouped counts where possible."""
    from backends.capabilities import supports
    from backends.contracts import RowValue, SupportsGroupCounts
    from console.analysis.inputs import InputError
    from console.analysis.slices import metric_by_column, row_values
    from console.analysis.slices.counted import by_from_counts, by_key, quantile_points, row_value
    from console.analysis.slices.metrics import BY_BINS

    if not supports(source.inference_log, SupportsGroupCounts):
        frame = window_rows(source, model, span, version)
        values = row_values(frame, choice.metric, column=choice.column)
        table = metric_by_column(frame, column, values, choice.metric)
        return SliceRead(table, len(frame), tuple(frame.columns), False, frame)
    log = cast("SupportsGroupCounts", source.inference_log)
    present = tuple(source.inference_log.window(model.name, span[0], span[0]).columns)
    if column not in present:
        raise InputError(f"column {column!r} not found")
    kinds = _kinds(model, [column])
    every = log.group_profile(
        model.name, [span], kinds, RowValue("rows"), quantile_points(BY_BINS), version=version
    )
    if not every.rows[0]:
        raise InputError(f"no requests logged for {model.name} in {_span_text(span)}")
    key = by_key(every, column, kinds[column])
    value = row_value(choice.metric, choice.column)
    start, end = span
    frames = log.grouped_counts(model.name, start, end, [key], [(), (column,)], value, version)
    table = by_from_counts(key, every, frames, choice.metric)
    return SliceRead(table, every.rows[0], present, True)


def _span_text(span: tuple[datetime, datetime]) -> str:
    """`[start, end)` in ISO form."""
    return f"[{span[0].isoformat()}, {span[1].isoformat()})"


def window_rows(
    source: Sources, model: Model, span: tuple[datetime, datetime], version: str | None = None
) -> pd.DataFrame:
    """A window's logged rows (for the per-value table); InputError when it holds none."""
    from console.analysis.inputs import InputError

    frame = source.inference_log.window(model.name, span[0], span[1], version=version)
    if frame.empty:
        raise InputError(f"no requests logged for {model.name} in {_span_text(span)}")
    return frame


def compute_slices(
    source: Sources,
    window: AnalysisWindow,
    choice: SliceMetricChoice,
    baseline: tuple[datetime, datetime] | None = None,
) -> SlicesView:
    """Rank the window's slices (by change against `baseline` when given); InputError if empty."""
    from backends.contracts import STAGES

    read = read_slices(source, window.model, (window.start, window.end), choice, baseline)
    extra = choice.cli_args()
    if baseline is not None:
        extra += ["--baseline-window", interval_text(baseline)]
    return SlicesView(
        window=window,
        choice=choice,
        table=read.table,
        rows=read.rows,
        baseline=baseline,
        twin=twin_command("slices", window, *extra),
        stage_columns=tuple(f"{stage}_ms" for stage in STAGES if f"{stage}_ms" in read.columns),
    )


def slice_requests(
    source: Sources, window: AnalysisWindow, predicates: Sequence[Predicate]
) -> pd.DataFrame:
    """A slice's logged requests in the window, oldest first: ids, outcome, the slice's columns.

    A log with SupportsGroupCounts filters in the engine, so only the slice's
    rows cross; any other log's window is read and masked here.
    """
    from backends.capabilities import supports
    from backends.contracts import SupportsGroupCounts

    log = source.inference_log
    if supports(log, SupportsGroupCounts):
        where = [(p.column, p.op, p.value) for p in predicates]
        chosen = cast("SupportsGroupCounts", log).slice_rows(
            window.model.name, window.start, window.end, where
        )
    else:
        frame = log.window(window.model.name, window.start, window.end)
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
