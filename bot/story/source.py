"""YAML reading that remembers where every value came from.

PyYAML builds plain dicts and lists and forgets line numbers; authors need `file:line` on
every problem, so mappings and sequences are built as subclasses that carry the line of
themselves and of each of their entries. Duplicate mapping keys, which PyYAML silently
overwrites, are reported instead.

A story file is the author's, not ours: budgets keep a hostile or careless one from costing
the process more than a fraction of a second and a few megabytes before it is refused (values
built, values repeated by aliases, digits in a number).
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


class LineDict(dict[Any, Any]):
    """A mapping that knows its own line and the line of each key."""

    line: int
    key_lines: dict[Any, int]
    value_lines: dict[Any, int]


class LineList(list[Any]):
    """A sequence that knows its own line and the line of each item."""

    line: int
    item_lines: list[int]


#: libyaml's parser when PyYAML was built with it (several times faster), else the pure one.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAPPING_TAG = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG
_SEQUENCE_TAG = yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG
_INT_TAG = "tag:yaml.org,2002:int"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"

#: The most values one file may build, aliases counted at each use (the 2,001-scene story of
#: bench/story.py has 175,000).
VALUE_BUDGET = 250_000
#: The most values aliases may repeat in one file (a nested-alias "YAML bomb" repeats
#: billions; an author's anchors for shared effects, a few dozen).
ALIAS_BUDGET = 10_000
#: The largest story file read (far past any story written by hand).
FILE_BUDGET = 8_000_000
#: Files up to this size are composed at once (50,000 values at most, a few MB); larger ones
#: have their values counted first, so that a dense one is refused before it fills memory.
COMPOSE_DIRECTLY = 100_000
#: The most digits of a number anywhere in a story (well inside SQLite's and JSON's integers).
DIGIT_LIMIT = 15


_TOO_MANY_VALUES = (
    f"more than {VALUE_BUDGET:,} values in one file; split the story into several files"
)


def number_problem(text: str) -> str | None:
    """Why an integer literal is too long for a story, or None when it fits."""
    body = text.lstrip("+-")
    if body[:2].lower() in ("0x", "0o", "0b"):
        body = body[2:]
    digits = sum(c.isalnum() for c in body)
    if digits <= DIGIT_LIMIT:
        return None
    shown = text if len(text) <= 20 else text[:20] + "…"
    return f"the number {shown} has {digits} digits; a story's numbers have at most {DIGIT_LIMIT}"


class _LineBuilder:
    """Turns composed YAML nodes into LineDict/LineList values, scalars by PyYAML's own
    safe constructors. Refuses duplicate keys, unhashable keys, foreign tags, aliases that
    contain themselves, and files past the budgets."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.open: set[int] = set()
        self.scalars = loader.yaml_constructors
        self.built = 0
        self.seen: set[int] = set()
        self.repeated = 0
        #: The line that used the alias being expanded (an anchor's own line would mislead).
        self.alias_site: int | None = None

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag == _INT_TAG:
            problem = number_problem(str(node.value))
            if problem is not None:
                raise ConstructorError(None, None, problem, node.start_mark)
        construct = self.scalars.get(node.tag)
        if construct is None:  # an unknown tag: PyYAML's safe loader refuses it
            return self.loader.construct_object(node, deep=True)
        try:
            return construct(self.loader, node)
        except ValueError as exc:  # a timestamp that is no date (2024-02-30)
            what = "a date" if node.tag == _TIMESTAMP_TAG else "a number"
            message = f"{node.value} reads as {what} but is not one ({exc}): put it in quotes"
            raise ConstructorError(None, None, message, node.start_mark) from exc

    def build(self, node: Node, site: int) -> Any:
        """The value of `node`, used at line `site`, charged to the budgets."""
        self.built += 1
        if self.built > VALUE_BUDGET:
            raise _OverBudget(_TOO_MANY_VALUES, site)
        if id(node) in self.seen:
            return self._repeat(node, site)
        self.seen.add(id(node))
        return self._build(node)

    def _repeat(self, node: Node, site: int) -> Any:
        """A node built before: an alias, whose every value counts against ALIAS_BUDGET."""
        self.repeated += 1
        if self.repeated > ALIAS_BUDGET:
            raise _OverBudget(
                f"aliases here expand to more than {ALIAS_BUDGET:,} values;"
                " write the values out or use fewer aliases",
                self.alias_site or site,
            )
        if self.alias_site is not None:
            return self._build(node)
        self.alias_site = site
        try:
            return self._build(node)
        finally:
            self.alias_site = None

    def _build(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            return self._scalar(node)
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
        line = node.start_mark.line + 1
        result = LineList(self.build(child, line) for child in node.value)
        result.line = line
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
            key_line = key_node.start_mark.line + 1
            key = self.build(key_node, key_line)
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
            result[key] = self.build(value_node, key_line)
            result.key_lines[key] = key_line
            # A block scalar's text starts on the line after its `|` or `>` indicator.
            block = isinstance(value_node, ScalarNode) and value_node.style in ("|", ">")
            result.value_lines[key] = value_node.start_mark.line + 1 + int(block)
        return result


#: What YAML counts as a line break (its line numbers count these).
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class _OverBudget(Exception):
    """A file past one of the budgets, at the line that crossed it."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class YamlError(Exception):
    """A file that is not valid YAML, located."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_yaml(path: Path, display: str) -> Any:
    """Parse one YAML file into LineDict/LineList values; raise YamlError with its location."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlError(Problem(display, 1, f"cannot read file: {exc}")) from exc
    if len(raw) > FILE_BUDGET:
        message = f"{len(raw):,} bytes; a story file is at most {FILE_BUDGET:,}: split it"
        raise YamlError(Problem(display, 1, message))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_and_column(raw[: exc.start].decode("utf-8"))
        message = (
            f"column {column}: byte 0x{raw[exc.start]:02x} is not UTF-8; save the file as UTF-8"
        )
        raise YamlError(Problem(display, line, message)) from exc
    loader = _SafeLoader(text)
    try:
        if len(raw) > COMPOSE_DIRECTLY:
            _count_values(_SafeLoader(text))
        node = loader.get_single_node()
        return None if node is None else _LineBuilder(loader).build(node, 1)
    except _OverBudget as exc:
        raise YamlError(Problem(display, exc.line, f"YAML error: {exc}")) from exc
    except RecursionError as exc:
        raise YamlError(Problem(display, 1, "YAML error: nested too deeply")) from exc
    except yaml.MarkedYAMLError as exc:
        raise YamlError(_marked_problem(display, text, exc)) from exc
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a control code)
        raise YamlError(_reader_problem(display, text, exc)) from exc
    except yaml.YAMLError as exc:
        raise YamlError(Problem(display, 1, f"YAML error: {exc}")) from exc
    finally:
        loader.dispose()


def _line_and_column(before: str) -> tuple[int, int]:
    """The line and column (from 1) of the character that follows `before`."""
    breaks = list(_LINE_BREAK.finditer(before))
    start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, len(before) - start + 1


def _reader_problem(display: str, text: str, exc: yaml.reader.ReaderError) -> Problem:
    """A character YAML refuses, at its line and column."""
    if isinstance(exc.character, int):  # libyaml: a byte offset into the UTF-8 text
        before = text.encode("utf-8")[: exc.position].decode("utf-8", errors="ignore")
        character = chr(exc.character)
    else:
        before, character = text[: exc.position], exc.character
    line, column = _line_and_column(before)
    message = f"column {column}: character U+{ord(character):04X} is not allowed in YAML"
    return Problem(display, line, f"{message} ({exc.reason})")


def _count_values(loader: Any) -> None:
    """Refuse a file with more values than the budget before composing it (composing keeps
    every value of the file in memory at once, a few hundred bytes each)."""
    try:
        values = 0
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, _VALUE_EVENTS):
                values += 1
                if values > VALUE_BUDGET:
                    mark = event.start_mark
                    raise _OverBudget(_TOO_MANY_VALUES, mark.line + 1 if mark else 1)
    finally:
        loader.dispose()


_VALUE_EVENTS = (
    yaml.ScalarEvent,
    yaml.MappingStartEvent,
    yaml.SequenceStartEvent,
    yaml.AliasEvent,
)


def _marked_problem(display: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    """A YAML error at the line an author should look at, with advice where PyYAML has none."""
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or exc.context or "invalid YAML"
    context = exc.context or ""
    if context.startswith("while scanning a quoted scalar") and exc.context_mark is not None:
        mark = exc.context_mark
        what = f"the quoted value that starts here is never closed ({what})"
    elif what.startswith("mapping values are not allowed"):
        what += " (a ': ' inside a value starts a mapping: put the value in quotes)"
    # At the end of a file with no final line break, libyaml's mark is one line past it.
    last = len(_LINE_BREAK.findall(text)) + 1
    line = min(mark.line + 1, last) if mark is not None else 1
    return Problem(display, line, f"YAML error: {what}")


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
