"""A playthrough's state, plain data that round-trips through JSON, and the errors playing
a story raises."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .model import Value
from .votes import START_VOTE


class StoryRuntimeError(Exception):
    """Playing a story went wrong: a choice not offered, a bad state, odds out of range."""


class NotOffered(StoryRuntimeError):
    """The choice is not one the current scene offers in this state."""


class StoryOver(StoryRuntimeError):
    """The story has reached an ending; nothing more can be played."""


class NoOutcome(StoryRuntimeError):
    """The scene declares no no-decision outcome, so a vote without result must be settled."""


@dataclass
class StoryState:
    """Where a playthrough stands. Mutated by `Story.play`; `to_json`/`from_json` persist it."""

    story_id: str
    seed: int
    scene: str
    vars: dict[str, Value]
    visits: dict[str, int]
    turn: int = 0
    ended: bool = False
    last_vote: dict[str, Any] = field(default_factory=lambda: dict(START_VOTE))
    path: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> StoryState:
        """Rebuild a state from `to_json` output; refuse anything malformed."""
        try:
            state = _STATE_ADAPTER.validate_python(data)
        except ValidationError as exc:
            raise StoryRuntimeError(f"invalid story state: {exc}") from exc
        # A state saved before a vote name existed reads it as at the start.
        state.last_vote = {**START_VOTE, **state.last_vote}
        return state

    def copy(self) -> StoryState:
        """An independent copy."""
        return StoryState.from_json(self.to_json())


_STATE_ADAPTER = TypeAdapter(StoryState)
