"""YAML reading that remembers where every value came from.

PyYAML builds plain dicts and lists and forgets line numbers; authors need `file:line` on
every problem, so mappings and sequences are built as subclasses that carry the line of
themselves and of each of their entries. Duplicate mapping keys, which PyYAML silently
overwrites, are reported instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a story, located in its source."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class LineDict(dict):
    """A mapping that knows its own line and the line of each key."""

    line: int
    key_lines: dict[Any, int]
    value_lines: dict[Any, int]


class LineList(list):
    """A sequence that knows its own line and the line of each item."""

    line: int
    item_lines: list[int]


#: libyaml's parser when PyYAML was built with it (several times faster), else the pure one.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAPPING_TAG = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG
_SEQUENCE_TAG = yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG


class _LineBuilder:
    """Turns composed YAML nodes into LineDict/LineList values, scalars by PyYAML's own
    safe constructors. Refuses duplicate keys, unhashable keys, foreign tags and aliases
    that contain themselves."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.open: set[int] = set()
        self.scalars = loader.yaml_constructors

    def build(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            construct = self.scalars.get(node.tag)
            if construct is None:  # an unknown tag: PyYAML's safe loader refuses it
                return self.loader.construct_object(node, deep=True)
            return construct(self.loader, node)
        if id(node) in self.open:
            raise ConstructorError(None, None, "an alias refers to itself", node.start_mark)
        self.open.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self._sequence(node)
            if isinstance(node, MappingNode):
                return self._mapping(node)
            raise ConstructorError(None, None, "unexpected YAML node", node.start_mark)
        finally:
            self.open.discard(id(node))

    def _sequence(self, node: SequenceNode) -> LineList:
        if node.tag != _SEQUENCE_TAG:
            raise ConstructorError(None, None, f"unsupported tag {node.tag}", node.start_mark)
        result = LineList(self.build(child) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    def _mapping(self, node: MappingNode) -> LineDict:
        if node.tag != _MAPPING_TAG:
            raise ConstructorError(None, None, f"unsupported tag {node.tag}", node.start_mark)
        self.loader.flatten_mapping(node)  # `<<` merge keys
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        result.value_lines = {}
        for key_node, value_node in node.value:
            key = self.build(key_node)
            try:
                hash(key)
            except TypeError as exc:
                raise ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                ) from exc
            if key in result:
                raise ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {result.key_lines[key]})",
                    key_node.start_mark,
                )
            result[key] = self.build(value_node)
            result.key_lines[key] = key_node.start_mark.line + 1
            # A block scalar's text starts on the line after its `|` or `>` indicator.
            block = isinstance(value_node, ScalarNode) and value_node.style in ("|", ">")
            result.value_lines[key] = value_node.start_mark.line + 1 + int(block)
        return result


#: What YAML counts as a line break (its line numbers count these).
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class YamlError(Exception):
    """A file that is not valid YAML, located."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_yaml(path: Path, display: str) -> Any:
    """Parse one YAML file into LineDict/LineList values; raise YamlError with its location."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlError(Problem(display, 1, f"cannot read file: {exc}")) from exc
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _LineBuilder(loader).build(node)
    except RecursionError as exc:
        raise YamlError(Problem(display, 1, "YAML error: nested too deeply")) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # At the end of a file with no final line break, libyaml's mark is one line past it.
        last = len(_LINE_BREAK.findall(text)) + 1
        line = min(mark.line + 1, last) if mark is not None else 1
        what = exc.problem or exc.context or "invalid YAML"
        raise YamlError(Problem(display, line, f"YAML error: {what}")) from exc
    except yaml.YAMLError as exc:
        raise YamlError(Problem(display, 1, f"YAML error: {exc}")) from exc
    finally:
        loader.dispose()


def line_at(data: Any, path: tuple[Any, ...], default: int) -> int:
    """The line of the deepest value along `path` that still exists (for validation errors)."""
    line = getattr(data, "line", default)
    node = data
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line
