"""What a close did, kept with the close until the channel has been shown it.

A close commits first and is shown after; when showing fails (Discord down, a crash), the
sweep shows it later from the database. The turn the story took cannot be replayed then (the
campaign's state has moved on), so it is written with the close as JSON and read back here.
"""

from __future__ import annotations

import json
from typing import Any

from bot.story import Turn
from bot.story.runtime import Change, RollResult


def view_json(turn: Turn | None, extra: list[Turn], paused_reason: str | None) -> str:
    """The close's turn, the idle scenes it ran through, and why it paused (if it did)."""
    return json.dumps(
        {
            "turn": None if turn is None else _turn_data(turn),
            "extra": [_turn_data(t) for t in extra],
            "paused": paused_reason,
        }
    )


def _turn_data(turn: Turn) -> dict[str, Any]:
    """`dataclasses.asdict(turn)`, spelled out: asdict's deep copy was a third of the time
    of closing the overdue votes at start in batches."""
    roll = turn.roll
    return {
        "scene": turn.scene,
        "choice": turn.choice,
        "how": turn.how,
        "result": turn.result,
        "changes": [{"name": c.name, "before": c.before, "after": c.after} for c in turn.changes],
        "roll": None
        if roll is None
        else {"odds": roll.odds, "drawn": roll.drawn, "success": roll.success},
        "to": turn.to,
        "ended": turn.ended,
    }


def read_view(text: str) -> tuple[Turn | None, tuple[Turn, ...], str | None]:
    """`view_json` read back."""
    data = json.loads(text)
    turn = None if data.get("turn") is None else _turn(data["turn"])
    return turn, tuple(_turn(t) for t in data.get("extra", [])), data.get("paused")


def _turn(data: dict[str, Any]) -> Turn:
    roll = data.get("roll")
    return Turn(
        scene=data["scene"],
        choice=data["choice"],
        how=data["how"],
        result=data["result"],
        changes=tuple(Change(**c) for c in data["changes"]),
        roll=None if roll is None else RollResult(**roll),
        to=data["to"],
        ended=data["ended"],
    )
