"""Load a runbook from YAML and validate it strictly: every error names file, line and key."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runbooks.spec.model import PARAM_TYPES, STEP_TYPES, Parameter, Runbook, Step
from runbooks.spec.schema import (
    BASELINE_FIELDS,
    COMMON,
    CONDITION_FIELDS,
    INCLUDE_FIELDS,
    PARAMETER_FIELDS,
    STEP_FIELDS,
    TOP_FIELDS,
    TRIGGER_FIELDS,
)
from runbooks.spec.templating import (
    PATTERN,
    TemplateError,
    malformed,
    parse_duration,
    references,
)

KeyPath = tuple[str, ...]
BUILTINS: tuple[str, ...] = ("context", "run_id", "runbook")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
MAX_INCLUDE_DEPTH = 3
MODEL_FREE: frozenset[str] = frozenset({"wait", "notify", "confirm", "annotate"})


class RunbookError(Exception):
    """A malformed runbook: the message names the file, the line and the key."""


def library_dir() -> Path:
    """The folder of bundled runbooks."""
    return Path(__file__).resolve().parent.parent / "library"


def load_runbook(path: Path, *, library: Path | None = None) -> Runbook:
    """Read and validate a runbook file."""
    return load_runbook_text(_read(path), str(path), library=library)


def _read(path: Path) -> str:
    """A runbook file's text, within the YAML limits; a read failure names the file."""
    from backends.safe_yaml import YamlRefused, read_text

    try:
        return read_text(path)
    except YamlRefused as error:
        where = f"{path}:{error.line}" if error.line is not None else str(path)
        raise RunbookError(f"{where}: cannot read: {error}") from None


def load_runbook_text(
    text: str, source: str = "<runbook>", *, library: Path | None = None
) -> Runbook:
    """Parse and validate runbook text; `source` names it in errors."""
    return _Loader(text, source, library or library_dir(), ()).load()


class _Loader:
    """One validation pass over one document, remembering key lines for errors."""

    def __init__(self, text: str, source: str, library: Path, stack: tuple[str, ...]) -> None:
        """Hold the text, where it came from and the include chain that led here."""
        self.text = text
        self.source = source
        self.library = library
        self.stack = stack
        self.lines: dict[KeyPath, int] = {}

    def fail(self, where: KeyPath, message: str) -> RunbookError:
        """An error naming the file, the line of `where` and the dotted key."""
        from backends.safe_yaml import key_line

        dotted = ".".join(where) or "(top level)"
        return RunbookError(f"{self.source}:{key_line(self.lines, where)}: {dotted}: {message}")

    def load(self) -> Runbook:
        """Validate the whole document and build the Runbook."""
        document = self._parse()
        if not isinstance(document, dict):
            raise self.fail((), "a runbook must be a mapping with name, description, risk, steps")
        top = self._fields((), document, TOP_FIELDS)
        name = str(top["name"])
        if not _NAME.match(name):
            raise self.fail(("name",), f"not a valid name: {name!r} (letters, digits, - and _)")
        parameters = self._parameters(top.get("parameters") or {})
        steps = self._steps("steps", top["steps"], parameters)
        if not steps:
            raise self.fail(("steps",), "a runbook needs at least one step")
        on_failure = self._steps("on_failure", top.get("on_failure") or [], parameters)
        known = {s.name for s in steps}
        for index, step in enumerate(on_failure):
            if step.name in known:
                raise self.fail(("on_failure", str(index)), f"step name {step.name!r} reused")
        self._check_references(steps, on_failure, parameters)
        return Runbook(
            name=name,
            description=str(top["description"]),
            risk=top["risk"],
            parameters=parameters,
            steps=tuple(steps),
            on_failure=tuple(on_failure),
            source=self.source,
            text=self.text,
            nonprod_only=bool(top.get("nonprod_only", False)),
            doc=str(top.get("doc", "")),
        )

    def _parse(self) -> Any:
        """Parse YAML within the shared limits; a refusal becomes a RunbookError with its line."""
        from backends.safe_yaml import YamlRefused, load_with_lines

        try:
            document, self.lines = load_with_lines(self.text)
        except YamlRefused as error:
            raise RunbookError(f"{self.source}:{error.line or 1}: (yaml): {error}") from None
        return document

    def _fields(
        self, where: KeyPath, body: Mapping[Any, Any], spec: Mapping[str, tuple[str, bool]]
    ) -> dict[str, Any]:
        """Check keys against `spec` (unknown, missing) and each value's kind."""
        out: dict[str, Any] = {}
        for key, value in body.items():
            key_s = str(key)
            if key_s not in spec:
                raise self.fail((*where, key_s), f"unknown key {key_s!r}{_suggest(key_s, spec)}")
            out[key_s] = self._value(spec[key_s][0], value, (*where, key_s))
        for key_s, (_kind, required) in spec.items():
            if required and key_s not in out:
                raise self.fail(where, f"missing required key {key_s!r}")
        return out

    def _value(self, kind: str, value: Any, where: KeyPath) -> Any:
        """Check one value against its kind; templated strings pass and are checked at run time."""
        templated = isinstance(value, str) and PATTERN.search(value) is not None
        if kind == "any":
            return value
        if kind == "str":
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise self.fail(where, f"must be a string, not {_kind(value)}")
            return str(value)
        if templated:
            return value
        if kind.startswith("choice:"):
            choices = kind.split(":", 1)[1].split("|")
            if value not in choices:
                raise self.fail(
                    where,
                    f"must be one of {', '.join(choices)}, not {value!r}"
                    f"{_suggest(str(value), choices)}",
                )
            return value
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise self.fail(where, f"must be a whole number ≥ 0, not {value!r}")
            return value
        if kind == "num":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(where, f"must be a number, not {value!r}")
            if not math.isfinite(value):
                raise self.fail(where, f"must be a finite number, not {value!r}")
            return float(value)
        if kind == "bool":
            if not isinstance(value, bool):
                raise self.fail(where, f"must be true or false, not {value!r}")
            return value
        if kind == "duration":
            try:
                parse_duration(value)
            except TemplateError as error:
                raise self.fail(where, str(error)) from None
            return value
        if kind == "mapping":
            if not isinstance(value, dict):
                raise self.fail(where, f"must be a mapping, not {_kind(value)}")
            return {str(k): v for k, v in value.items()}
        if kind == "list":
            if not isinstance(value, list):
                raise self.fail(where, f"must be a list, not {_kind(value)}")
            return value
        if kind == "weights":
            return self._weights(value, where)
        if kind == "conditions":
            return self._conditions(value, where)
        if kind == "triggers":
            return self._triggers(value, where)
        raise self.fail(where, f"unknown field kind {kind}")

    def _weights(self, value: Any, where: KeyPath) -> Any:
        """`start` (the weights before the run) or version → whole percent summing to 100."""
        if value == "start":
            return value
        if not isinstance(value, dict) or not value:
            raise self.fail(where, "weights must be `start` or a mapping of version → percent")
        weights: dict[str, Any] = {}
        for version, weight in value.items():
            key = (*where, str(version))
            if isinstance(weight, str) and PATTERN.search(weight):
                weights[str(version)] = weight
                continue
            if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
                raise self.fail(key, f"a weight is a whole percent 0-100, not {weight!r}")
            weights[str(version)] = weight
        numbers = [w for w in weights.values() if isinstance(w, int)]
        if len(numbers) == len(weights) and sum(numbers) != 100:
            raise self.fail(where, f"weights must sum to 100, not {sum(numbers)}")
        return weights

    def _conditions(self, value: Any, where: KeyPath) -> list[dict[str, Any]]:
        """A list of metric / quantile / drift conditions, each with max and/or min."""
        if not isinstance(value, list) or not value:
            raise self.fail(where, "conditions must be a non-empty list")
        out = []
        for index, item in enumerate(value):
            key = (*where, str(index))
            if not isinstance(item, dict):
                raise self.fail(key, f"a condition must be a mapping, not {_kind(item)}")
            spec = {k: (kind, False) for k, kind in CONDITION_FIELDS.items()}
            condition = self._fields(key, item, spec)
            sources = [k for k in ("metric", "histogram", "drift") if k in condition]
            if len(sources) != 1:
                raise self.fail(key, "a condition needs exactly one of metric, histogram, drift")
            if "per" in condition and "metric" not in condition:
                raise self.fail((*key, "per"), "per divides a metric: it needs metric")
            if ("histogram" in condition) != ("quantile" in condition):
                raise self.fail(key, "histogram and quantile go together")
            if "max" not in condition and "min" not in condition:
                raise self.fail(key, "a condition needs a threshold: max and/or min")
            if "baseline" in condition:
                base = {k: (kind, False) for k, kind in BASELINE_FIELDS.items()}
                condition["baseline"] = self._fields(
                    (*key, "baseline"), condition["baseline"], base
                )
            out.append(condition)
        return out

    def _triggers(self, value: Any, where: KeyPath) -> list[dict[str, Any]]:
        """Retraining triggers in the seed's format: metric, threshold, window, features."""
        if not isinstance(value, list) or not value:
            raise self.fail(where, "triggers must be a non-empty list")
        out = []
        for index, item in enumerate(value):
            key = (*where, str(index))
            if not isinstance(item, dict):
                raise self.fail(key, f"a trigger must be a mapping, not {_kind(item)}")
            spec = {k: (kind, k in ("metric", "threshold")) for k, kind in TRIGGER_FIELDS.items()}
            trigger = self._fields(key, item, spec)
            features = trigger.get("features", [])
            if not all(isinstance(f, str) for f in features):
                raise self.fail((*key, "features"), "features must be a list of names")
            out.append(trigger)
        return out

    def _parameters(self, body: Mapping[str, Any]) -> dict[str, Parameter]:
        """Typed parameters, each required or with a default of its type."""
        out: dict[str, Parameter] = {}
        for name, spec in body.items():
            where = ("parameters", name)
            if not _NAME.match(name) or name in BUILTINS or name == "steps":
                raise self.fail(where, f"not a usable parameter name: {name!r}")
            if not isinstance(spec, dict):
                raise self.fail(where, "a parameter is a mapping with type and required/default")
            fields = self._fields(
                where, spec, {k: (v, k == "type") for k, v in PARAMETER_FIELDS.items()}
            )
            kind = fields["type"]
            if kind not in PARAM_TYPES:
                raise self.fail(
                    (*where, "type"), f"unknown type {kind!r}{_suggest(kind, PARAM_TYPES)}"
                )
            required = bool(fields.get("required", "default" not in fields))
            default = fields.get("default")
            if "default" in fields:
                try:
                    default = coerce(kind, default)
                except TemplateError as error:
                    raise self.fail((*where, "default"), str(error)) from None
            choices = tuple(str(c) for c in fields.get("choices", []))
            if choices and "default" in fields and str(default) not in choices:
                raise self.fail(
                    (*where, "default"), f"default {default!r} is not one of the choices"
                )
            description = str(fields.get("description", ""))
            out[name] = Parameter(name, kind, required, default, description, choices)

        return out

    def _steps(self, section: str, body: Any, params: Mapping[str, Parameter]) -> list[Step]:
        """Validate a step list, expanding `include:` steps into the included runbook's steps."""
        steps: list[Step] = []
        for index, item in enumerate(body):
            where = (section, str(index))
            if not isinstance(item, dict):
                raise self.fail(where, f"a step must be a mapping, not {_kind(item)}")
            if "include" in item and "type" not in item:
                steps.extend(self._include(where, item, params))
                continue
            kind = item.get("type")
            if kind not in STEP_TYPES:
                hint = _suggest(str(kind), STEP_TYPES) if kind is not None else ""
                message = (
                    f"unknown step type {kind!r}{hint}" if kind else "missing required key 'type'"
                )
                raise self.fail((*where, "type") if kind else where, message)
            fields = self._fields(where, item, {**COMMON, **STEP_FIELDS[kind]})
            if kind not in MODEL_FREE and "model" not in fields and "model" not in params:
                raise self.fail(where, f"a {kind} step needs `model:` or a `model` parameter")
            if kind == "check" and ("conditions" in fields) == ("triggers" in fields):
                raise self.fail(where, "a check needs either conditions or triggers")
            if kind == "notify" and fields.get("channel") == "webhook" and "url" not in fields:
                raise self.fail(where, "a webhook notification needs url")
            name = str(fields.pop("name", f"{len(steps) + 1}-{kind}"))
            if any(s.name == name for s in steps):
                raise self.fail((*where, "name"), f"step name {name!r} used twice")
            fields.pop("type")
            line = self.lines.get(where, 1)
            steps.append(Step(name=name, type=kind, fields=fields, line=line))
        return steps

    def _include(
        self, where: KeyPath, item: Mapping[str, Any], params: Mapping[str, Parameter]
    ) -> list[Step]:
        """Expand another runbook's steps in place, binding its parameters from `with`."""
        fields = self._fields(where, item, INCLUDE_FIELDS)
        target = fields["include"]
        if not _NAME.match(target):
            raise self.fail((*where, "include"), f"not a runbook name: {target!r}")
        if target in self.stack or len(self.stack) >= MAX_INCLUDE_DEPTH:
            raise self.fail((*where, "include"), f"include loop or too deep: {target!r}")
        path = self.library / f"{target}.yaml"
        if not path.is_file():
            raise self.fail((*where, "include"), f"no bundled runbook {target!r}")
        inner_loader = _Loader(_read(path), str(path), self.library, (*self.stack, target))
        inner = inner_loader.load()
        bound: dict[str, Any] = {}
        given = fields.get("with", {})
        for key in given:
            if key not in inner.parameters:
                hint = _suggest(key, inner.parameters)
                raise self.fail((*where, "with", key), f"{target} has no parameter {key!r}{hint}")
        for name, param in inner.parameters.items():
            if name in given:
                bound[name] = given[name]
            elif param.required:
                raise self.fail((*where, "with"), f"{target} needs parameter {name!r}")
            else:
                bound[name] = param.default
        prefix = str(fields.get("name", target))
        inner_names = {s.name for s in inner.steps}
        return [
            Step(
                name=f"{prefix}.{step.name}",
                type=step.type,
                fields=_rebind(step.fields, bound, prefix, inner_names),
                line=self.lines.get(where, 1),
            )
            for step in inner.steps
        ]

    def _check_references(
        self, steps: list[Step], on_failure: list[Step], params: Mapping[str, Parameter]
    ) -> None:
        """Every `${name}` names a parameter, a built-in or an output of an earlier step."""
        names = [*params, *BUILTINS]
        seen: list[str] = []
        for section, group in (("steps", steps), ("on_failure", on_failure)):
            for index, step in enumerate(group):
                for key, text in malformed(dict(step.fields)):
                    raise self.fail(
                        (section, str(index), *key),
                        f"{text!r} is not a reference: write ${{name}}, closing the brace",
                    )
                for ref in references(dict(step.fields)):
                    if ref in names:
                        continue
                    if ref.startswith("steps.") and any(
                        ref.startswith(f"steps.{s}.") for s in seen
                    ):
                        continue
                    hint = _suggest(ref, names + [f"steps.{s}" for s in seen])
                    raise self.fail(
                        (section, str(index)),
                        f"step {step.name!r}: unknown reference ${{{ref}}}{hint}",
                    )
                seen.append(step.name)


def coerce(kind: str, value: Any) -> Any:
    """A parameter value (from YAML or the command line) as its declared type."""
    text = str(value).strip()
    if kind in ("string", "version"):
        if value is None or isinstance(value, bool | list | dict):
            raise TemplateError(f"expected a {kind}, not {value!r}")
        return text
    if kind == "integer":
        if isinstance(value, bool):
            raise TemplateError(f"expected a whole number, not {value!r}")
        try:
            return int(text)
        except ValueError:
            raise TemplateError(f"expected a whole number, not {value!r}") from None
    if kind == "number":
        if isinstance(value, bool):
            raise TemplateError(f"expected a number, not {value!r}")
        try:
            return float(text)
        except ValueError:
            raise TemplateError(f"expected a number, not {value!r}") from None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if text.lower() in ("true", "yes", "1", "on"):
            return True
        if text.lower() in ("false", "no", "0", "off"):
            return False
        raise TemplateError(f"expected true or false, not {value!r}")
    if kind == "duration":
        parse_duration(value)
        return value
    if kind == "list":
        return _as_list(value)
    if kind == "weights":
        return _as_weights(value)
    raise TemplateError(f"unknown parameter type {kind!r}")


def _as_list(value: Any) -> list[str]:
    """A list of names from a YAML list or a comma-separated string."""
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = [part for part in value.split(",") if part.strip()]
    else:
        raise TemplateError(f"expected a list or a,b,c, not {value!r}")
    if not all(isinstance(item, str | int | float) for item in items):
        raise TemplateError(f"expected a list of names, not {value!r}")
    return [str(item).strip() for item in items]


def _as_weights(value: Any) -> dict[str, int]:
    """Version → percent from a mapping or `2=90,3=10`, summing to 100."""
    if isinstance(value, str):
        pairs: list[tuple[str, Any]] = []
        for part in value.split(","):
            key, sep, weight = part.partition("=")
            if not sep or not key.strip():
                raise TemplateError(f"expected weights as version=percent,..., not {value!r}")
            pairs.append((key.strip(), weight.strip()))
    elif isinstance(value, dict):
        pairs = [(str(k), v) for k, v in value.items()]
    else:
        raise TemplateError(f"expected weights as version=percent,..., not {value!r}")
    weights: dict[str, int] = {}
    for key, weight in pairs:
        try:
            number = int(str(weight))
        except ValueError:
            raise TemplateError(f"weight of {key} is not a whole percent: {weight!r}") from None
        if not 0 <= number <= 100 or isinstance(weight, bool):
            raise TemplateError(f"weight of {key} must be 0-100, not {weight!r}")
        weights[key] = number
    if sum(weights.values()) != 100:
        raise TemplateError(f"weights must sum to 100, not {sum(weights.values())}")
    return weights


def _rebind(value: Any, bound: Mapping[str, Any], prefix: str, inner_steps: set[str]) -> Any:
    """Substitute an included runbook's parameters, leaving other references in place."""
    if isinstance(value, str):
        whole = PATTERN.fullmatch(value)
        if whole and whole.group(1) in bound:
            return bound[whole.group(1)]

        def replace(match: re.Match[str]) -> str:
            ref = match.group(1)
            if ref in bound:
                return str(bound[ref])
            parts = ref.split(".")
            if len(parts) >= 3 and parts[0] == "steps" and parts[1] in inner_steps:
                return "${steps." + prefix + "." + ".".join(parts[1:]) + "}"
            return match.group(0)

        return PATTERN.sub(replace, value)
    if isinstance(value, Mapping):
        return {
            _rebind(k, bound, prefix, inner_steps): _rebind(v, bound, prefix, inner_steps)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rebind(item, bound, prefix, inner_steps) for item in value]
    return value


def _kind(value: Any) -> str:
    """A short name of a YAML value's kind, for messages."""
    if value is None:
        return "empty"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _suggest(word: str, choices: Any) -> str:
    """`(did you mean 'x'?)` for the closest choice, or nothing."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
