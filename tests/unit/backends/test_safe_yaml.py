"""The shared safe YAML loader: limits, encodings, duplicate keys, and nothing but YamlRefused."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends.safe_yaml import (
    DEFAULT_LIMITS,
    Limits,
    YamlRefused,
    decode,
    load_with_lines,
    read_text,
)


def refusal(text: str, limits: Limits = DEFAULT_LIMITS) -> YamlRefused:
    """The YamlRefused that loading `text` raises."""
    with pytest.raises(YamlRefused) as caught:
        load_with_lines(text, limits)
    return caught.value


def test_lines_are_recorded_and_aliases_are_plain_values() -> None:
    document, lines = load_with_lines("a: &x {b: 1}\nc: *x\nd:\n  - 1\n  - e: 2\n")
    assert document == {"a": {"b": 1}, "c": {"b": 1}, "d": [1, {"e": 2}]}
    assert lines[("a", "b")] == 1 and lines[("c",)] == 2 and lines[("d", "1", "e")] == 5


def test_merge_keys_may_override_without_counting_as_duplicates() -> None:
    document, _ = load_with_lines("base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  a: 3\n")
    assert document["x"] == {"a": 3, "b": 2}


def test_duplicate_keys_name_both_lines() -> None:
    error = refusal("a: 1\nb: 2\na: 3\n")
    assert (str(error), error.line) == ("duplicate key 'a' (first on line 1)", 3)


@pytest.mark.timeout(20)
def test_alias_expansion_is_bounded_and_fast() -> None:
    lines = ["l0: &l0 [" + ", ".join(["x"] * 10) + "]"]
    lines += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]" for n in range(1, 10)]
    started = time.monotonic()
    error = refusal("\n".join(lines), Limits(max_nodes=5_000))
    assert "expands to more than 5,000 nodes" in str(error)
    assert time.monotonic() - started < 5


def test_a_self_containing_alias_is_refused() -> None:
    assert "refers to the node that contains it" in str(refusal("a: &a [1, *a]\n"))


@pytest.mark.parametrize("text", ["a: " + "[" * 5000, "a: " + "{a: " * 3000, "- " * 5000 + "x"])
def test_deep_nesting_is_refused_without_a_recursion_error(text: str) -> None:
    assert "nested deeper than 10 levels" in str(refusal(text, Limits(max_depth=10)))


def test_size_limit_on_text_and_file(tmp_path: Path) -> None:
    assert "larger than the 10-character limit" in str(refusal("a: 12345678\n", Limits(10)))
    path = tmp_path / "x.yaml"
    path.write_text("a: 12345678\n")
    with pytest.raises(YamlRefused, match="larger than the 10-byte limit") as caught:
        read_text(path, Limits(max_bytes=10))
    assert caught.value.line is None


def test_encodings_utf8_and_bom_marked_utf16_and_utf32_only() -> None:
    assert decode("é: 1".encode()) == "é: 1"
    assert decode("é: 1".encode("utf-8-sig")) == "é: 1"
    assert decode("é: 1".encode("utf-16")) == "é: 1"
    assert decode("é: 1".encode("utf-32")) == "é: 1"
    with pytest.raises(YamlRefused, match=r"not UTF-8 text \(byte 0xe9") as caught:
        decode("a: 1\nb: é\n".encode("latin-1"))
    assert caught.value.line == 2


def test_unsafe_tags_and_nul_characters_are_refused_with_a_line() -> None:
    assert "could not determine a constructor" in str(refusal("a: !!python/name:os.system\n"))
    error = refusal("a: 1\nb: \x00\n")
    assert (error.line, "not allowed" in str(error)) == (2, True)


def test_a_directory_is_not_a_yaml_file(tmp_path: Path) -> None:
    with pytest.raises(YamlRefused, match="is a directory"):
        read_text(tmp_path)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#\n ,?<%@0\t\x00é")), max_size=80))
def test_fuzz_only_yaml_refused_ever_escapes(text: str) -> None:
    try:
        load_with_lines(text, Limits(max_nodes=200, max_depth=8))
    except YamlRefused as error:
        assert error.line is None or error.line >= 1
