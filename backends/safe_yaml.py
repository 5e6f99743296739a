"""Safe YAML for every file Vigil reads: size, depth and alias limits, duplicate keys refused.

It lives in `backends`, the bottom layer, so the config (console), the runbook
loader (runbooks) and local_serving can all share it without a wrong arrow.
Every refusal is a `YamlRefused` carrying the 1-based line it is about.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str, ...]


class YamlRefused(ValueError):
    """A document that cannot be read, parsed or that passes a limit; `line` says where.

    `line` is None when the refusal is about the whole file (unreadable, too large).
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        """Keep the reason and the line it is about."""
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Limits:
    """How big a document may be: bytes on disk, nodes after alias expansion, nesting depth."""

    max_bytes: int = 1_000_000
    max_nodes: int = 100_000
    max_depth: int = 64


DEFAULT_LIMITS = Limits()
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_text(path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """The text of a YAML file within the size limit: UTF-8, or UTF-16/32 with a BOM."""
    if path.is_dir():
        raise YamlRefused("is a directory, not a YAML file")
    if path.exists() and not path.is_file():
        raise YamlRefused("is not a regular file")
    try:
        with path.open("rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except OSError as error:
        raise YamlRefused(f"cannot read: {error.strerror or error}") from None
    if len(data) > limits.max_bytes:
        raise YamlRefused(f"larger than the {limits.max_bytes:,}-byte limit")
    return decode(data)


def decode(data: bytes) -> str:
    """Bytes as text: a BOM picks UTF-16 or UTF-32, anything else must be UTF-8."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise YamlRefused(
            f"not {encoding.upper().removesuffix('-SIG')} text (byte {data[error.start]:#04x} "
            "cannot be decoded; save the file as UTF-8)",
            line,
        ) from None


def load_with_lines(text: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, dict[KeyPath, int]]:
    """Parse one document safely; also map each key path to its 1-based line."""
    if len(text) > limits.max_bytes:
        raise YamlRefused(f"larger than the {limits.max_bytes:,}-character limit")
    loader: _LimitedLoader | None = None
    try:
        loader = _LimitedLoader(text, limits)
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: dict[KeyPath, int] = {}
        _Walk(limits, lines).node(node, (), 1, node.start_mark.line + 1)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = error.problem or error.context or "invalid"
        raise YamlRefused(f"not valid YAML: {problem}", line) from None
    except yaml.reader.ReaderError as error:
        line = text[: error.position].count("\n") + 1
        character = chr(error.character) if isinstance(error.character, int) else error.character
        message = f"not valid YAML: character {character!r} is not allowed"
        raise YamlRefused(message, line) from None
    except yaml.YAMLError as error:
        raise YamlRefused(f"not valid YAML: {error}", 1) from None
    finally:
        if loader is not None:
            loader.dispose()


def key_line(lines: Mapping[KeyPath, int], path: KeyPath) -> int:
    """The line of `path`, or of its nearest recorded parent, or 1."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1


class _LimitedLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that refuses nesting deeper than the limit while composing."""

    def __init__(self, text: str, limits: Limits) -> None:
        """Parse `text` under `limits`."""
        super().__init__(text)
        self.limits = limits
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, counting how deep the composition has gone."""
        self.depth += 1
        try:
            if self.depth > self.limits.max_depth:
                line = self.peek_event().start_mark.line + 1
                raise YamlRefused(f"nested deeper than {self.limits.max_depth} levels", line)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Walk:
    """One pass over the node graph: alias expansion and depth bounded, duplicates and lines."""

    def __init__(self, limits: Limits, lines: dict[KeyPath, int]) -> None:
        """Count expanded nodes against `limits`; record key lines into `lines`."""
        self.limits = limits
        self.lines = lines
        self.nodes = 0
        self.open: set[int] = set()
        self.seen: set[int] = set()

    def node(self, node: yaml.Node, path: KeyPath, depth: int, line: int) -> None:
        """Visit `node` at `path` as often as aliases repeat it; `line` is where it is used."""
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise YamlRefused(
                f"expands to more than {self.limits.max_nodes:,} nodes (aliases repeat too much)",
                line,
            )
        if depth > self.limits.max_depth:
            raise YamlRefused(f"nested deeper than {self.limits.max_depth} levels", line)
        if id(node) in self.open:
            raise YamlRefused("an alias refers to the node that contains it", line)
        self.open.add(id(node))
        self.seen.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                self._mapping(node, path, depth)
            elif isinstance(node, yaml.SequenceNode):
                for index, item in enumerate(node.value):
                    item_path = (*path, str(index))
                    item_line = line if id(item) in self.seen else item.start_mark.line + 1
                    self.lines.setdefault(item_path, item_line)
                    self.node(item, item_path, depth + 1, item_line)
        finally:
            self.open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: KeyPath, depth: int) -> None:
        """Visit a mapping's keys and values; the same key twice is refused."""
        seen: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = (key_node.tag, str(key_node.value))
                if key in seen:
                    raise YamlRefused(
                        f"duplicate key {key_node.value!r} (first on line {seen[key]})", line
                    )
                seen[key] = line
            label = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            key_path = (*path, label)
            self.lines.setdefault(key_path, line)
            self.node(key_node, key_path, depth + 1, line)
            self.node(value_node, key_path, depth + 1, line)
