"""A story's places as the checker compiles them: expressions and templates ready to play."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from .expressions import VOTE_NAMES, Expression, Template
from .model import CrewMember, Ending, Outcome, Scene, Value

#: Effects flattened for play: (name, delta, min, max) to add, (name, value) to set.
Adds = tuple[tuple[str, int, int, int], ...]
Sets = tuple[tuple[str, Value], ...]
#: `when:` blocks: (condition, adds, sets), each checked after the effects before it.
WhenBlocks = tuple[tuple[Expression, Adds, Sets], ...]


@dataclass(frozen=True)
class CompiledOutcome:
    """An outcome with its expressions compiled."""

    source: Outcome
    result: Template | None
    odds: Expression | float | None
    adds: Adds = ()
    sets: Sets = ()
    when: WhenBlocks = ()

    @functools.cached_property
    def reads_vote(self) -> bool:
        """Whether the roll's odds, or the effects before it, depend on how the vote went."""
        names: set[str] = set()
        if isinstance(self.odds, Expression):
            names |= self.odds.names
        for condition, _adds, _sets in self.when:
            names |= condition.names
        return not names.isdisjoint(VOTE_NAMES)


@dataclass(frozen=True)
class CompiledChoice:
    """A choice with its condition compiled."""

    index: int
    id: str
    label: str
    by: CrewMember
    condition: Expression | None
    outcome: CompiledOutcome
    pitch: str | None = None


@dataclass(frozen=True)
class CompiledScene:
    """A scene with its text and choices compiled."""

    source: Scene
    text: Template
    speaker: CrewMember | None
    choices: tuple[CompiledChoice, ...]
    by_id: Mapping[str, CompiledChoice]
    no_decision: CompiledOutcome | None


@dataclass(frozen=True)
class CompiledEnding:
    """An ending with its text compiled."""

    source: Ending
    text: Template
    speaker: CrewMember | None
    #: The ending's effects, applied on arrival, and its ship line (a text, or "" to hide).
    effects: CompiledOutcome | None = None
    ship: Template | str | None = None
