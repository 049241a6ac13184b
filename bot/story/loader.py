"""Reading a story folder: YAML files in, a checked `Story` or a list of located problems out.

One broken story never stops the others: `load_stories` returns every story that passed and
the problems of every one that did not.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import hashlib
import logging
import os
import typing
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from . import model
from .checker import build_story
from .runtime import Story
from .source import LineDict, LineList, Problem, YamlError, line_at, read_yaml

_log = logging.getLogger(__name__)


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


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models a field's annotation holds (through lists, dicts, unions, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def _keys_at(loc: tuple[Any, ...]) -> list[str] | None:
    """The keys the format allows at `loc` (a path into a story file), or None when the
    path does not lead to one model."""
    current: type[BaseModel] = model.StoryFile
    pending = False  # inside a list or dict of `current`: the next step is an index or a name
    for step in loc:
        if pending:
            pending = False
            continue
        fields = {info.alias or name: info for name, info in current.model_fields.items()}
        info = fields.get(str(step))
        if info is None:
            return None
        models = _models_in(info.annotation)
        if len(models) != 1:
            return None
        origin = typing.get_origin(info.annotation)
        pending = origin in (list, dict)
        current = models[0]
    if pending:
        return None
    return [info.alias or name for name, info in current.model_fields.items()]


def _unknown_key(loc: tuple[Any, ...]) -> str:
    key = str(loc[-1])
    parent = _where(loc[:-1])
    allowed = _keys_at(loc[:-1])
    message = f"unknown key '{key}'"
    hint = difflib.get_close_matches(key, [k for k in allowed or () if k != key], n=1)
    if hint:
        message += f" (did you mean '{hint[0]}'?)"
    if parent:
        message += f" in {parent}"
    if allowed and not hint:
        message += f" (keys here: {', '.join(allowed)})"
    return message


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
    grouped: dict[tuple[Any, ...], list[ErrorDetails]] = defaultdict(list)
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
        # A check over several keys names the one at fault (model.KeyProblem).
        fault = item.get("ctx", {}).get("error")
        if isinstance(fault, model.KeyProblem) and _has(node, fault.key):
            kept.append(fault.key)
        grouped[tuple(kept)].append(item)
    problems = []
    for loc, items in grouped.items():
        line = line_at(data, loc, 1)
        where = _where(loc)
        first = items[0]
        if first["type"] == "extra_forbidden":
            message = _unknown_key(loc)
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


def _too_short(item: ErrorDetails, loc: tuple[Any, ...]) -> str:
    if loc and loc[-1] == "choices":
        return "a scene needs at least one choice (a scene with no way out is an ending)"
    return f"needs at least {item['ctx']['min_length']} item(s)"


def _too_long(item: ErrorDetails, loc: tuple[Any, ...]) -> str:
    limit = item["ctx"]["max_length"]
    if loc and loc[-1] == "choices":
        return f"{item['ctx']['actual_length']} choices; Discord shows at most {limit} buttons"
    return f"{item['ctx']['actual_length']} items; at most {limit} allowed"


def _string_too_long(item: ErrorDetails, loc: tuple[Any, ...]) -> str:
    return f"{len(item['input'])} characters; Discord allows at most {item['ctx']['max_length']}"


_FRIENDLY: dict[str, Callable[[ErrorDetails, tuple[Any, ...]], str]] = {
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
    checked = _checked(path)
    return checked.story, checked.problems


@dataclass
class _Checked:
    """One story folder's check, with where its id is written (to refuse a second story
    under the same id)."""

    story: Story | None
    problems: list[Problem]
    id_at: tuple[str, int] | None = None


def _checked(path: Path) -> _Checked:
    with _no_cyclic_gc():
        return _check_story(path)


def _check_story(path: Path) -> _Checked:
    display = display_path(path)
    if not path.exists():
        return _Checked(None, [Problem(display, 1, "no such story file or folder")])
    files = story_files(path)
    if not files:
        return _Checked(None, [Problem(display, 1, "no .yaml files in this story folder")])
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
        return _Checked(None, sorted(problems))
    story, problems = build_story(parsed, digest.hexdigest(), display)
    id_at = next(((f, s.story.line_of("id")) for f, s in parsed if s.story is not None), None)
    return _Checked(story, sorted(problems), id_at)


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


def check_stories(folders: list[Path]) -> dict[Path, tuple[Story | None, list[Problem]]]:
    """Check several story folders: each one's story (or None) and problems, in order.

    Two stories with one id are both refused, each pointing at the other: which one a
    moderator meant cannot be guessed. Whatever goes wrong checking one story is that
    story's problem; the others are checked all the same.
    """
    checked: dict[Path, _Checked] = {}
    for folder in folders:
        try:
            checked[folder] = _checked(folder)
        except Exception as exc:  # a checker bug must not stop the other stories
            message = (
                f"the checker failed on this story ({type(exc).__name__}: {exc}); please report it"
            )
            checked[folder] = _Checked(None, [Problem(display_path(folder), 1, message)])
    by_id: dict[str, list[Path]] = defaultdict(list)
    for folder, result in checked.items():
        if result.story is not None:
            by_id[result.story.id].append(folder)
    for story_id, same in by_id.items():
        for folder in same if len(same) > 1 else ():
            others = ", ".join(display_path(other) for other in same if other != folder)
            file, line = checked[folder].id_at or (display_path(folder), 1)
            message = f"story id '{story_id}' is also the id of {others} (story ids must be unique)"
            checked[folder] = _Checked(None, [Problem(file, line, message)])
    return {folder: (result.story, result.problems) for folder, result in checked.items()}


def load_stories(content_dir: Path) -> LoadResult:
    """Load every story under `content_dir`; a broken one is reported and left out."""
    result = LoadResult()
    for folder, (story, problems) in check_stories(story_folders(content_dir)).items():
        if story is None:
            result.problems[display_path(folder)] = problems
        else:
            result.stories[story.id] = story
    return result
