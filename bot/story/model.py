"""The story format as validated data: what a YAML file may say, checked by pydantic.

Every model refuses unknown keys and values of the wrong type (strict mode), and remembers
the line it was read from so that later checks can point at it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    model_validator,
)

from .source import LineDict

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
COLOUR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")

#: Discord's limits that shape the content.
TITLE_LIMIT = 256
LABEL_LIMIT = 80
DESCRIPTION_LIMIT = 4096
#: The summary opens the start message (content, 2,000 at most) with the title and a line.
SUMMARY_LIMIT = 1500
CHOICE_LIMIT = 25
#: A pitch is one line in the advocate's voice, shown under the vote's tally.
PITCH_LIMIT = 200

Value = int | bool | str


def _check_id(value: str) -> str:
    if not ID_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid id: use lowercase letters, digits, '-' and '_', "
            "starting with a letter or digit"
        )
    return value


def _check_colour(value: str) -> str:
    if not COLOUR_PATTERN.fullmatch(value):
        raise ValueError(f'{value!r} is not a colour: write "#rrggbb", quoted')
    return value


def _one_result_line(value: str) -> str:
    lines = value.rstrip("\n").count("\n") + 1
    if lines > 1:
        raise ValueError(f"a result is one line; this one has {lines}")
    return value


Id = Annotated[str, AfterValidator(_check_id)]
Title = Annotated[str, Field(min_length=1, max_length=TITLE_LIMIT)]
Label = Annotated[str, Field(min_length=1, max_length=LABEL_LIMIT)]
Text = Annotated[str, Field(min_length=1)]


def _one_line(value: str) -> str:
    if "\n" in value.strip():
        raise ValueError("a pitch is one line: write it without line breaks")
    return value.strip()


Pitch = Annotated[str, Field(min_length=1, max_length=PITCH_LIMIT), AfterValidator(_one_line)]


class Node(BaseModel):
    """A piece of a story that remembers the lines it came from."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    _line: int = PrivateAttr(default=1)
    _key_lines: dict[str, int] = PrivateAttr(default_factory=dict)
    _value_lines: dict[str, int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_lines(cls, data: Any, handler: Any) -> Any:
        node = handler(data)
        if isinstance(data, LineDict):
            node._line = data.line
            node._key_lines = data.key_lines
            node._value_lines = data.value_lines
        return node

    @property
    def line(self) -> int:
        """The line where this item starts."""
        return self._line

    def line_of(self, key: str) -> int:
        """The line of `key` in this item, or the item's own line if the key is absent."""
        return self._key_lines.get(key, self._line)

    def value_line_of(self, key: str) -> int:
        """The line where the value of `key` starts (the text of a `|` block)."""
        return self._value_lines.get(key, self.line_of(key))


class StoryMeta(Node):
    id: Id
    title: Title
    summary: Annotated[str, Field(min_length=1, max_length=SUMMARY_LIMIT)]
    start: Id


class CrewMember(Node):
    id: Id
    name: Annotated[str, Field(min_length=1, max_length=TITLE_LIMIT)]
    role: Annotated[str, Field(min_length=1, max_length=100)]
    colour: Annotated[str, AfterValidator(_check_colour)]


class KeyProblem(ValueError):
    """A check over several keys of one item that is the fault of one of them: the loader
    reports it at that key's line, not at the item's."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class Variable(Node):
    type: Literal["int", "bool", "text"]
    initial: Value
    min: int | None = None
    max: int | None = None
    label: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    unit: Annotated[str, Field(max_length=10)] = ""
    show: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Variable:
        expected = {"int": int, "bool": bool, "text": str}[self.type]
        if type(self.initial) is not expected:
            message = f"initial value {self.initial!r} is not of type {self.type}"
            raise KeyProblem("initial", message)
        if self.type == "int":
            if self.min is None or self.max is None:
                raise ValueError("an int variable needs both min and max")
            if self.min > self.max:
                raise KeyProblem("min", f"min {self.min} is greater than max {self.max}")
            if not self.min <= self.initial <= self.max:  # type: ignore[operator]
                message = f"initial value {self.initial} is outside {self.min}..{self.max}"
                raise KeyProblem("initial", message)
        elif self.min is not None or self.max is not None:
            key = "min" if self.min is not None else "max"
            raise KeyProblem(key, f"min and max only apply to int variables, not {self.type}")
        return self


class ConditionalEffects(Node):
    """Effects that apply only when a condition holds (read after the vote and the effects
    before them, so a close vote can cost something)."""

    if_: Annotated[str, Field(min_length=1)] = Field(alias="if")
    add: dict[str, int] = Field(default_factory=dict)
    set_: dict[str, Value] = Field(default_factory=dict, alias="set")


class Effects(Node):
    add: dict[str, int] = Field(default_factory=dict)
    set_: dict[str, Value] = Field(default_factory=dict, alias="set")
    when: list[ConditionalEffects] = Field(default_factory=list)


class Roll(Node):
    odds: float | str
    success: Id
    failure: Id


class Outcome(Node):
    """Where a decision leads: effects, an optional line of result, and a target or a roll."""

    effects: Effects = Field(default_factory=Effects)
    result: Annotated[str, Field(min_length=1), AfterValidator(_one_result_line)] | None = None
    goto: Id | None = None
    roll: Roll | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Outcome:
        if (self.goto is None) == (self.roll is None):
            raise ValueError("needs exactly one of 'goto' or 'roll'")
        return self

    def targets(self) -> tuple[str, ...]:
        """Every scene or ending this outcome can lead to."""
        if self.roll is not None:
            return (self.roll.success, self.roll.failure)
        assert self.goto is not None
        return (self.goto,)


class Choice(Outcome):
    id: Id
    label: Label
    by: Id
    pitch: Pitch | None = None
    if_: Annotated[str, Field(min_length=1)] | None = Field(default=None, alias="if")


class Scene(Node):
    id: Id
    title: Title
    speaker: Id | None = None
    text: Text
    choices: Annotated[list[Choice], Field(min_length=1, max_length=CHOICE_LIMIT)]
    no_decision: Outcome | None = None


class Ending(Node):
    """Where a story stops. Its effects apply on arrival, so the ship line shown with it is
    the state after them; `ship` replaces that line (a text) or hides it (`false`)."""

    id: Id
    title: Title
    speaker: Id | None = None
    text: Text
    effects: Effects = Field(default_factory=Effects)
    ship: Annotated[str, Field(min_length=1, max_length=1024)] | Literal[False] | None = None


class StoryFile(Node):
    """One YAML file of a story; the files of a folder are merged."""

    _name_lines: dict[str, dict[str, int]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_name_lines(cls, data: Any, handler: Any) -> Any:
        node = handler(data)
        for section in ("variables", "define"):
            table = data.get(section) if isinstance(data, LineDict) else None
            if isinstance(table, LineDict):
                node._name_lines[section] = table.key_lines
        return node

    def variable_line(self, name: str) -> int:
        """The line where variable `name` is declared."""
        return self._name_lines.get("variables", {}).get(name, self.line_of("variables"))

    def define_line(self, name: str) -> int:
        """The line where definition `name` is written."""
        return self._name_lines.get("define", {}).get(name, self.line_of("define"))

    story: StoryMeta | None = None
    crew: list[CrewMember] = Field(default_factory=list)
    variables: dict[str, Variable] = Field(default_factory=dict)
    define: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    scenes: list[Scene] = Field(default_factory=list)
    endings: list[Ending] = Field(default_factory=list)
