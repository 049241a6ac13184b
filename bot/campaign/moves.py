"""How a closed vote moves the story on, as pure functions: the one-by-one close
(closing.py) and the batch close of the overdue votes at start (backlog.py)
play a close the same way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain import CampaignStatus, CloseHow, NewDecision
from bot.story import Story, StoryRuntimeError, StoryState, Turn, VoteInfo

#: How the story reads each way of closing (`vote_how` in its expressions).
STORY_HOW = {
    CloseHow.TIMER: "majority",
    CloseHow.SKIP: "majority",
    CloseHow.TIE: "tie",
    CloseHow.DECIDE: "decided",
    CloseHow.NO_QUORUM: "majority",
    CloseHow.NO_DECISION: "no_decision",
}


@dataclass
class Move:
    """What playing a close did: the turn (None when the story refused), the idle scenes
    run through after it, the state reached, and what the campaign becomes."""

    turn: Turn | None
    state: StoryState
    status: CampaignStatus
    next_decision: NewDecision | None
    paused_reason: str | None
    extra: list[Turn] = field(default_factory=list)


@dataclass
class IdleRun:
    """What running through the idle scenes found: the turns taken, why the story is stuck
    (None if it is not), and the choice ids the scene reached offers, in button order."""

    turns: list[Turn]
    stuck: str | None
    offered: tuple[str, ...] = ()


def run_idle_scenes(story: Story, state: StoryState) -> IdleRun:
    """Take the no-decision outcome of scenes that offer no choice at all, so every vote
    that opens has something to vote on; say so if the story is stuck there (nothing open,
    no outcome)."""
    turns: list[Turn] = []
    for _ in range(100):
        if state.ended:
            return IdleRun(turns, None)
        offered = tuple(choice.id for choice in story.offered(state))
        if offered:
            return IdleRun(turns, None, offered)
        if story.scenes[state.scene].no_decision is None:
            return IdleRun(turns, f"scene '{state.scene}' offers no choice and has no way on.")
        turns.append(story.play_no_decision(state, VoteInfo({}, "no_decision")))
    return IdleRun(turns, "the story kept skipping scenes that offer no choice.")


def new_decision(
    story: Story,
    state: StoryState,
    vote_seconds: int,
    now: datetime,
    offered: tuple[str, ...] | None = None,
) -> NewDecision:
    """The vote that opens on the state's scene, with a whole vote's time from `now`
    (`offered`: the scene's choice ids when the caller has just read them)."""
    if offered is None:
        offered = tuple(choice.id for choice in story.offered(state))
    return NewDecision(
        scene_id=state.scene,
        choices=offered,
        opened_at=now,
        deadline=now + timedelta(seconds=vote_seconds),
    )


def advance(
    story: Story,
    state: StoryState,
    scene_id: str,
    outcome: str | None,
    how: CloseHow,
    tally: Mapping[str, int],
    *,
    vote_seconds: int,
    now: datetime,
) -> Move:
    """Play a close on `state` (which it changes: pass a copy of a state kept elsewhere):
    the outcome (or the scene's no-decision outcome), the idle scenes after it, and the
    vote that opens next (none when the story ended or got stuck, which pauses the
    campaign). When the story refuses (`turn` None), the state is no use."""
    played = state
    vote = VoteInfo({c: n for c, n in tally.items() if n}, STORY_HOW[how])
    try:
        if outcome is None:
            turn = story.play_no_decision(played, vote)
        else:
            turn = story.play(played, outcome, vote)
        idle = run_idle_scenes(story, played)
    except StoryRuntimeError as exc:
        reason = f"the story could not go on from '{scene_id}' ({exc})."
        return Move(None, state, CampaignStatus.PAUSED, None, reason)
    if played.ended:
        return Move(turn, played, CampaignStatus.ENDED, None, idle.stuck, idle.turns)
    if idle.stuck is not None:
        return Move(turn, played, CampaignStatus.PAUSED, None, idle.stuck, idle.turns)
    following = new_decision(story, played, vote_seconds, now, idle.offered)
    return Move(turn, played, CampaignStatus.RUNNING, following, None, idle.turns)
