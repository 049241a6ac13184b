"""A story's play as a Markov chain over (scene, state), for the exact analysis: the channel's
possible decisions in a state with their probabilities, and each way a decision can go.

Moves are merged wherever nothing the story's logic reads (conditions, odds, `when:`) can
tell them apart, which keeps the chain small enough to walk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .compiled import CompiledChoice, CompiledOutcome
from .expressions import VOTE_NAMES, Expression
from .runtime import Story
from .simulate import NO_DECISION_RATE, Strategy, vote_odds
from .state import StoryState
from .votes import VoteInfo

#: The vote name that reads the vote before the last one.
RATIO_NAME = "vote_turnout_ratio"


class AnalysisError(ValueError):
    """The analysis cannot run: a variable that does not exist, a story that breaks."""


def _outcome_expressions(outcome: CompiledOutcome) -> list[Expression]:
    found = [condition for condition, _, _ in outcome.when]
    if isinstance(outcome.odds, Expression):
        found.append(outcome.odds)
    return found


def _targets(outcome: CompiledOutcome) -> list[str]:
    roll = outcome.source.roll
    if roll is not None:
        return [roll.success, roll.failure]
    assert outcome.source.goto is not None
    return [outcome.source.goto]


@dataclass(frozen=True)
class Reads:
    """What the story's logic (conditions, odds, `when:`) can tell apart in a state."""

    variables: tuple[str, ...]
    visits: tuple[str, ...]
    #: Logic reads `vote_turnout_ratio`: the last vote's turnout is part of the state.
    history: bool
    #: Per scene, the vote names its choices' conditions read (the vote that led in).
    scene_votes: dict[str, tuple[str, ...]]
    #: Per (scene, choice or None), the vote names the vote on it can change anything by.
    outcome_votes: dict[tuple[str, str | None], tuple[str, ...]]
    #: Merged tallies already worked out, by (scene, choice, offered ids).
    tallies: dict[tuple[Any, ...], list[tuple[float, VoteInfo]]] = field(default_factory=dict)


def what_logic_reads(story: Story, track: Sequence[str]) -> Reads:
    logic: list[Expression] = []
    scene_votes: dict[str, tuple[str, ...]] = {}
    for scene_id, scene in story.scenes.items():
        conditions = [c.condition for c in scene.choices if c.condition is not None]
        logic.extend(conditions)
        names = set().union(*(e.names for e in conditions))
        scene_votes[scene_id] = tuple(n for n in VOTE_NAMES if n in names)
    outcome_votes: dict[tuple[str, str | None], tuple[str, ...]] = {}
    for scene_id, scene in story.scenes.items():
        outcomes: list[tuple[str | None, CompiledOutcome]] = [
            (c.id, c.outcome) for c in scene.choices
        ]
        if scene.no_decision is not None:
            outcomes.append((None, scene.no_decision))
        for choice_id, outcome in outcomes:
            expressions = _outcome_expressions(outcome)
            logic.extend(expressions)
            names = set().union(*(e.names for e in expressions))
            for target in _targets(outcome):
                names.update(scene_votes.get(target, ()))
            outcome_votes[(scene_id, choice_id)] = tuple(n for n in VOTE_NAMES if n in names)
    read_names = set().union(*(e.names for e in logic)) | set(track)
    read_visits = set().union(*(e.visits for e in logic))
    history = RATIO_NAME in read_names
    if history:  # each vote's ratio reads the one before it, so every turnout is state
        outcome_votes = {
            k: tuple(n for n in VOTE_NAMES if n in {*v, "vote_turnout"})
            for k, v in outcome_votes.items()
        }
    return Reads(
        history=history,
        variables=tuple(n for n in story.variables if n in read_names),
        visits=tuple(sorted(read_visits)),
        scene_votes=scene_votes,
        outcome_votes=outcome_votes,
    )


def _branch_copy(state: StoryState) -> StoryState:
    """A cheap copy for branching: the path is not needed, so it is not kept."""
    return StoryState(
        story_id=state.story_id,
        seed=state.seed,
        scene=state.scene,
        vars=dict(state.vars),
        visits=dict(state.visits),
        turn=state.turn,
        ended=state.ended,
        last_vote=dict(state.last_vote),
    )


def merged_votes(
    reads: Reads,
    scene_id: str,
    choice: CompiledChoice,
    offered: Sequence[CompiledChoice],
    previous_turnout: int,
) -> list[tuple[float, VoteInfo]]:
    """The simulator's tallies for `choice`, merged where nothing read can tell them apart."""
    names = reads.outcome_votes[(scene_id, choice.id)]
    if not names:
        return [(1.0, VoteInfo({choice.id: 1}))]
    cache_key = (scene_id, choice.id, tuple(c.id for c in offered), previous_turnout)
    cached = reads.tallies.get(cache_key)
    if cached is not None:
        return cached
    tallies = vote_odds(choice.id, cache_key[2])
    merged: dict[tuple[Any, ...], list[Any]] = {}
    for probability, vote in tallies:
        summary = vote.summary(previous_turnout)
        key = tuple(summary[name] for name in names)
        if key in merged:
            merged[key][0] += probability
        else:
            merged[key] = [probability, vote]
    result = reads.tallies[cache_key] = [(p, vote) for p, vote in merged.values()]
    return result


def choices_in(
    story: Story, state: StoryState, strategy: Strategy, reads: Reads
) -> list[tuple[float, CompiledChoice | None, VoteInfo]]:
    """The channel's possible decisions in `state`, with their probabilities."""
    scene = story.scenes[state.scene]
    scene_id = scene.source.id
    offered = story.offered(state)
    preferred = strategy.pick(scene_id, offered) if strategy.prefer else None
    frozen = VoteInfo({}, "no_decision")
    if preferred is not None:
        picks: list[tuple[float, CompiledChoice | None]] = [(1.0, preferred)]
    elif scene.no_decision is not None and not offered:
        picks = [(1.0, None)]
    elif not offered:
        raise AnalysisError(f"dead end at scene '{scene_id}': no choice is open")
    elif scene.no_decision is not None:
        share = (1 - NO_DECISION_RATE) / len(offered)
        picks = [(NO_DECISION_RATE, None), *((share, c) for c in offered)]
    else:
        picks = [(1 / len(offered), c) for c in offered]
    moves: list[tuple[float, CompiledChoice | None, VoteInfo]] = []
    for probability, choice in picks:
        if choice is None:
            moves.append((probability, None, frozen))
        elif choice is preferred and strategy.unanimous:
            moves.append((probability, choice, strategy.vote(choice.id)))
        else:
            before = state.last_vote.get("vote_turnout", 0)
            for p_vote, vote in merged_votes(reads, scene_id, choice, offered, before):
                moves.append((probability * p_vote, choice, vote))
    return moves


def branches_of(
    story: Story, state: StoryState, choice: CompiledChoice | None, vote: VoteInfo
) -> list[tuple[float, StoryState]]:
    """Each way the decision can go: one, or a roll's success and failure with their odds."""
    outcome = story.scenes[state.scene].no_decision if choice is None else choice.outcome
    assert outcome is not None
    forced: list[bool | None] = [True, False] if outcome.source.roll is not None else [None]
    branches: list[tuple[float, StoryState]] = []
    for roll in forced:
        after = _branch_copy(state)
        if choice is None:
            turn = story.play_no_decision(after, vote, roll=roll)
        else:
            turn = story.play(after, choice.id, vote, roll=roll)
        if turn.roll is None:
            branches.append((1.0, after))
        else:
            odds = turn.roll.odds if roll else 1 - turn.roll.odds
            if odds > 0:
                branches.append((odds, after))
    return branches
