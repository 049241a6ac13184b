"""Reading a story folder: YAML files in, a checked `Story` or a list of located problems out.

One broken story never stops the others: `load_stories` returns every story that passed and
the problems of every one that did not.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import hashlib
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import model
from .checker import build_story
from .runtime import Story
from .source import LineDict, LineList, Problem, YamlError, line_at, read_yaml


class StoryError(Exception):
    """A story that failed its check; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class LoadResult:
    """Every story that loaded, and the problems of those that did not."""

    stories: dict[str, Story] = field(default_factory=dict)
    problems: dict[str, list[Problem]] = field(default_factory=dict)


def _known_keys() -> set[str]:
    keys: set[str] = set()
    for item in vars(model).values():
        if isinstance(item, type) and issubclass(item, BaseModel):
            for name, info in item.model_fields.items():
                keys.add(info.alias or name)
    return keys


_KNOWN_KEYS = frozenset(_known_keys())


def display_path(path: Path) -> str:
    """A path as an author would click it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def story_files(path: Path) -> list[Path]:
    """The YAML files of a story folder in name order (or the file itself)."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def _has(node: Any, step: Any) -> bool:
    if isinstance(node, LineDict):
        return step in node
    return isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node)


def _validation_problems(display: str, data: Any, error: ValidationError) -> list[Problem]:
    grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for item in error.errors():
        loc = tuple(item["loc"])
        # Keep the part of the location that exists in the data (unions add type tags).
        kept: list[Any] = []
        node = data
        for step in loc:
            if _has(node, step):
                node = node[step]
            elif not (item["type"] in ("missing", "extra_forbidden") and step == loc[-1]):
                break
            kept.append(step)
        grouped[tuple(kept)].append(item)
    problems = []
    for loc, items in grouped.items():
        line = line_at(data, loc, 1)
        where = _where(loc)
        first = items[0]
        if first["type"] == "extra_forbidden":
            key = loc[-1]
            hint = difflib.get_close_matches(str(key), _KNOWN_KEYS, n=1)
            message = f"unknown key '{key}'" + (f" (did you mean '{hint[0]}'?)" if hint else "")
            if where.rsplit(".", 1)[0] != str(key):
                message += f" in {where.rsplit('.', 1)[0]}"
        elif first["type"] == "missing":
            message = f"missing key '{loc[-1]}'" + (f" in {_where(loc[:-1])}" if loc[:-1] else "")
        elif first["type"] in _FRIENDLY:
            message = f"{where}: " + _FRIENDLY[first["type"]](first, loc)
        elif len(items) > 1:
            message = f"{where}: {first['input']!r} is not a valid value here"
        else:
            text = first["msg"].removeprefix("Value error, ").removeprefix("Input ")
            if first["type"] == "string_type" and isinstance(first["input"], bool):
                text += " (YAML reads yes/no/on/off/true/false as a boolean: put it in quotes)"
            message = f"{where}: {text}" if where else text
        problems.append(Problem(display, line, message))
    return problems


def _too_short(item: dict[str, Any], loc: tuple[Any, ...]) -> str:
    if loc and loc[-1] == "choices":
        return "a scene needs at least one choice (a scene with no way out is an ending)"
    return f"needs at least {item['ctx']['min_length']} item(s)"


def _too_long(item: dict[str, Any], loc: tuple[Any, ...]) -> str:
    limit = item["ctx"]["max_length"]
    if loc and loc[-1] == "choices":
        return f"{item['ctx']['actual_length']} choices; Discord shows at most {limit} buttons"
    return f"{item['ctx']['actual_length']} items; at most {limit} allowed"


def _string_too_long(item: dict[str, Any], loc: tuple[Any, ...]) -> str:
    return f"{len(item['input'])} characters; Discord allows at most {item['ctx']['max_length']}"


_FRIENDLY = {
    "too_short": _too_short,
    "too_long": _too_long,
    "string_too_long": _string_too_long,
    "string_too_short": lambda item, loc: "must not be empty",
}


def _where(loc: tuple[Any, ...]) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _read_file(path: Path) -> tuple[model.StoryFile | None, list[Problem]]:
    display = display_path(path)
    try:
        data = read_yaml(path, display)
    except YamlError as exc:
        return None, [exc.problem]
    if data is None:
        return None, [Problem(display, 1, "the file is empty")]
    if not isinstance(data, LineDict):
        return None, [Problem(display, getattr(data, "line", 1), "a story file must be a mapping")]
    try:
        return model.StoryFile.model_validate(data), []
    except ValidationError as exc:
        return None, _validation_problems(display, data, exc)


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a story is built.

    Building a story allocates hundreds of thousands of small objects that all stay alive;
    each allocation burst makes the collector rescan the growing heap, which costs four
    times the parsing itself. Nothing built here is garbage, so the pause loses nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_story(path: Path) -> tuple[Story | None, list[Problem]]:
    """Read and check one story folder: the story if it passes, and every problem found."""
    with _no_cyclic_gc():
        return _check_story(path)


def _check_story(path: Path) -> tuple[Story | None, list[Problem]]:
    display = display_path(path)
    if not path.exists():
        return None, [Problem(display, 1, "no such story file or folder")]
    files = story_files(path)
    if not files:
        return None, [Problem(display, 1, "no .yaml files in this story folder")]
    parsed: list[tuple[str, model.StoryFile]] = []
    problems: list[Problem] = []
    digest = hashlib.sha256()
    for file in files:
        with contextlib.suppress(OSError):  # _read_file reports an unreadable file
            digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
        story_file, file_problems = _read_file(file)
        problems.extend(file_problems)
        if story_file is not None:
            parsed.append((display_path(file), story_file))
    if problems:
        return None, sorted(problems)
    story, problems = build_story(parsed, digest.hexdigest(), display)
    return story, sorted(problems)


def load_story(path: Path) -> Story:
    """Load one story folder; raise StoryError with every problem when it fails its check."""
    story, problems = check_story(path)
    if story is None or problems:
        raise StoryError(problems)
    return story


def story_folders(content_dir: Path) -> list[Path]:
    """Each story under a content folder: its sub-folders holding YAML files."""
    if not content_dir.is_dir():
        return []
    return sorted(p for p in content_dir.iterdir() if p.is_dir() and story_files(p))


def load_stories(content_dir: Path) -> LoadResult:
    """Load every story under `content_dir`; a broken one is reported and left out."""
    result = LoadResult()
    for folder in story_folders(content_dir):
        story, problems = check_story(folder)
        if story is not None and story.id in result.stories:
            problems = [
                Problem(display_path(folder), 1, f"story id '{story.id}' is used by another story")
            ]
            story = None
        if story is None:
            result.problems[display_path(folder)] = problems
        else:
            result.stories[story.id] = story
    return result
