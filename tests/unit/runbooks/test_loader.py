"""The runbook loader: bundled runbooks load; every rejection names file, line and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runbooks.library import names, path_of
from runbooks.spec import RunbookError, load_runbook, load_runbook_text
from runbooks.spec.model import PARAM_TYPES

GOOD = """\
name: tiny
description: set a split
risk: low
parameters:
  model: {type: string, required: true}
  share: {type: integer, default: 10}
steps:
  - name: split
    type: set_weights
    weights: {champion: 90, challenger: 10}
  - name: wait
    type: wait
    duration: 5s
"""
WHERE = re.compile(r"^<runbook>:\d+: ")


def reject(text: str) -> str:
    """The message of the RunbookError the text raises."""
    with pytest.raises(RunbookError) as caught:
        load_runbook_text(text)
    return str(caught.value)


def test_every_bundled_runbook_loads() -> None:
    assert set(names()) >= {
        "rollback",
        "canary",
        "promote",
        "set-traffic",
        "retrain-on-drift",
        "fire-drill",
    }
    for name in names():
        path = path_of(name)
        assert path is not None
        book = load_runbook(path)
        assert book.name == name and book.doc and book.description


def test_the_good_runbook_loads_with_typed_parameters() -> None:
    book = load_runbook_text(GOOD)
    assert [s.name for s in book.steps] == ["split", "wait"]
    assert book.parameters["share"].default == 10 and book.parameters["model"].required
    assert book.steps[0].mutating and not book.steps[1].mutating


def test_unknown_key_names_line_key_and_suggestion() -> None:
    message = reject(GOOD.replace("    duration: 5s", "    duratoin: 5s"))
    assert message.startswith("<runbook>:13: steps.1.duratoin: unknown key 'duratoin'")
    assert "did you mean 'duration'" in message


def test_unknown_step_type_is_named() -> None:
    message = reject(GOOD.replace("type: wait", "type: wiat"))
    assert message.startswith("<runbook>:12: steps.1.type: unknown step type 'wiat'")
    assert "did you mean 'wait'" in message


def test_weights_must_sum_to_100() -> None:
    message = reject(GOOD.replace("challenger: 10}", "challenger: 20}"))
    assert message.startswith("<runbook>:10: steps.0.weights: weights must sum to 100, not 110")


def test_missing_required_top_level_key() -> None:
    message = reject(GOOD.replace("risk: low\n", ""))
    assert message.startswith("<runbook>:1: (top level): missing required key 'risk'")


def test_bad_risk_and_bad_duration() -> None:
    assert "must be one of low, medium, high" in reject(GOOD.replace("risk: low", "risk: huge"))
    assert "not a duration: '5 parsecs'" in reject(GOOD.replace("5s", "5 parsecs"))


def test_unknown_reference_is_named_with_a_suggestion() -> None:
    text = GOOD + "  - type: notify\n    message: 'to ${modle}'\n"
    message = reject(text)
    assert message.startswith("<runbook>:14: steps.2: step '3-notify': unknown reference ${modle}")
    assert "did you mean 'model'" in message


def test_step_outputs_must_come_from_an_earlier_step() -> None:
    later = (
        GOOD
        + "  - type: notify\n    message: '${steps.later.x}'\n"
        + "  - name: later\n    type: wait\n    duration: 1s\n"
    )
    assert "unknown reference ${steps.later.x}" in reject(later)
    earlier = GOOD + "  - type: notify\n    message: '${steps.split.seconds}'\n"
    assert load_runbook_text(earlier).steps[-1].fields["message"] == "${steps.split.seconds}"


def test_invalid_yaml_names_the_line() -> None:
    message = reject("name: x\nsteps: [\n  - a\n description: :")
    assert re.match(r"<runbook>:\d+: \(yaml\): not valid YAML", message)


def test_a_step_needs_a_model() -> None:
    text = GOOD.replace("  model: {type: string, required: true}\n", "")
    assert "a set_weights step needs `model:` or a `model` parameter" in reject(text)


def test_include_expands_the_canary_and_checks_its_parameters() -> None:
    path = path_of("retrain-on-drift")
    assert path is not None
    book = load_runbook(path)
    names_ = [s.name for s in book.steps]
    assert names_[3:5] == ["canary.load", "canary.weight-5"]
    weights = book.steps[4].fields["weights"]
    assert weights == {"${champion}": 95, "${steps.retrain.new_version}": 5}
    bad = "name: x\ndescription: d\nrisk: low\nsteps:\n  - include: canary\n    with: {modle: m}\n"
    message = reject(bad)
    assert message.startswith("<runbook>:6: steps.0.with.modle: canary has no parameter 'modle'")


def test_a_file_that_cannot_be_read_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RunbookError, match="cannot read"):
        load_runbook(tmp_path / "missing.yaml")


def _bomb(levels: int) -> str:
    """A billion-laughs document: each anchor's list repeats the previous one nine times."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(30)
def test_a_yaml_bomb_is_refused_quickly() -> None:
    message = reject(GOOD + "doc: &top\n  " + _bomb(9).replace("\n", "\n  ") + "\n")
    assert re.match(r"<runbook>:\d+: \(yaml\): expands to more than 100,000 nodes", message)


def test_an_alias_that_contains_itself_is_refused() -> None:
    assert "alias refers to the node that contains it" in reject(GOOD + "doc: &a [*a]\n")


def test_deep_nesting_is_refused_with_the_limit() -> None:
    message = reject(GOOD + "doc: " + "[" * 2000 + "]" * 2000 + "\n")
    assert re.match(r"<runbook>:14: \(yaml\): nested deeper than 64 levels", message), message


def test_a_runbook_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(GOOD + "doc: |\n" + ("  " + "x" * 99 + "\n") * 11_000)
    with pytest.raises(RunbookError, match=r"big.yaml: cannot read: larger than the 1,000,000"):
        load_runbook(path)


def test_a_duplicate_key_is_refused_at_its_line() -> None:
    text = GOOD.replace("    duration: 5s\n", "    duration: 5s\n    duration: 10m\n")
    message = reject(text)
    assert message.startswith("<runbook>:14: (yaml): duplicate key 'duration' (first on line 13)")


@pytest.mark.parametrize("field", ["'${model'", "'restore ${model now'", "'${}'", "'${ model }'"])
def test_an_unclosed_or_empty_reference_is_an_error(field: str) -> None:
    message = reject(GOOD + f"  - type: notify\n    message: {field}\n")
    assert message.startswith("<runbook>:15: steps.2.message: "), message
    assert "not a reference" in message


@pytest.mark.parametrize("duration", [".inf", ".nan", "-1"])
def test_a_wait_that_never_ends_is_refused(duration: str) -> None:
    message = reject(GOOD.replace("duration: 5s", f"duration: {duration}"))
    assert message.startswith("<runbook>:13: steps.1.duration: a duration is a finite number")


@pytest.mark.parametrize("threshold", [".nan", ".inf", "-.inf"])
def test_a_threshold_that_no_reading_can_cross_is_refused(threshold: str) -> None:
    check = (
        f"  - type: check\n    conditions:\n      - {{metric: errors_total, max: {threshold}}}\n"
    )
    message = reject(GOOD + check)
    assert message.startswith("<runbook>:16: steps.2.conditions.0.max: must be a finite number")


def test_a_runbook_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.replace("set a split", "caf\xe9").encode("latin-1"))
    with pytest.raises(RunbookError, match=r"latin1.yaml:2: cannot read: not UTF-8 text"):
        load_runbook(path)


def test_a_utf16_runbook_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_bytes(GOOD.encode("utf-16"))
    assert load_runbook(path).name == "tiny"


def test_a_directory_is_not_a_runbook(tmp_path: Path) -> None:
    with pytest.raises(RunbookError, match="cannot read: is a directory"):
        load_runbook(tmp_path)


templates = st.sampled_from(["${model}", "${nope}", "${steps.a.b}", "x ${model} y", "${run_id}"])
yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 200)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | templates,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
step_like = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["set_weights", "wait", "check", "analysis", "rollback", "bogus", "notify"]
        )
    },
    optional={
        "name": st.text(max_size=8),
        "weights": yaml_values,
        "duration": yaml_values,
        "conditions": yaml_values,
        "message": yaml_values,
        "to": yaml_values,
    },
)
document_like = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=10) | st.integers(),
        "description": yaml_values,
        "risk": st.sampled_from(["low", "medium", "high", "nope"]) | yaml_values,
        "parameters": st.dictionaries(
            st.sampled_from(["model", "to", "weights", "x y", "steps"]) | st.text(max_size=8),
            st.fixed_dictionaries(
                {"type": st.sampled_from([*PARAM_TYPES, "bogus"])},
                optional={
                    "default": yaml_values,
                    "required": yaml_values,
                    "choices": yaml_values,
                    "description": yaml_values,
                },
            )
            | yaml_values,
            max_size=3,
        ),
        "steps": st.lists(step_like | yaml_values, max_size=4),
        "on_failure": yaml_values,
        "extra": yaml_values,
    },
)


step_names = st.sampled_from(["a", "b", "a"])
plausible_step = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("set_weights"),
            "weights": st.sampled_from(["start", {"1": 100}, {"1": 60, "2": 40}, {"1": 50}])
            | yaml_values,
        },
        optional={"name": step_names, "model": st.sampled_from(["m", "${model}"])},
    ),
    st.fixed_dictionaries(
        {"type": st.just("wait"), "duration": st.sampled_from(["5s", "1m", 3, "${model}", "x"])},
        optional={"name": step_names},
    ),
    st.fixed_dictionaries(
        {"type": st.just("rollback")},
        optional={
            "name": step_names,
            "to": st.sampled_from(["champion", "${to}"]),
            "model": step_names,
        },
    ),
    st.fixed_dictionaries(
        {"type": st.just("notify"), "message": st.sampled_from(["${steps.a.x}", "${model}"])},
        optional={"name": step_names, "channel": st.sampled_from(["stdout", "webhook", "pager"])},
    ),
    st.fixed_dictionaries(
        {"type": st.just("check"), "model": st.just("m")},
        optional={
            "conditions": st.sampled_from([[{"metric": "m", "max": 1}], [{"drift": "psi"}], 3]),
            "triggers": st.sampled_from([[{"metric": "accuracy", "threshold": 0.05}], []]),
        },
    ),
    st.fixed_dictionaries(
        {"include": st.sampled_from(["canary", "rollback", "nope"])},
        optional={"with": st.sampled_from([{"model": "m"}, {}, {"modle": 1}])},
    ),
)
plausible_document = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["ok", "fine-name", "bad name"]),
        "description": st.just("d"),
        "risk": st.sampled_from(["low", "medium", "high"]),
        "parameters": st.sampled_from(
            [{}, {"model": {"type": "string", "required": True}}, {"to": {"type": "version"}}]
        ),
        "steps": st.lists(plausible_step, min_size=0, max_size=3),
    },
    optional={"on_failure": st.lists(plausible_step, max_size=2), "nonprod_only": st.booleans()},
)


def _accept_or_name_where(text: str) -> None:
    """The loader returns a runbook or a RunbookError naming a line; nothing else escapes."""
    try:
        load_runbook_text(text)
    except RunbookError as error:
        assert WHERE.match(str(error)), str(error)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_fuzz_arbitrary_text_never_crashes(text: str) -> None:
    _accept_or_name_where(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document_like | plausible_document)
def test_fuzz_runbook_shaped_documents_never_crash(document: dict) -> None:
    _accept_or_name_where(yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_fuzz_mutated_bundled_runbooks_never_crash(data: st.DataObject) -> None:
    path = path_of(data.draw(st.sampled_from(names())))
    assert path is not None
    lines = path.read_text().splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    replacement = data.draw(st.text(max_size=30))
    lines[index] = replacement if data.draw(st.booleans()) else lines[index] + replacement
    _accept_or_name_where("\n".join(lines))
