"""Playing a story: a state that moves through scenes as choices are taken.

The state is plain data that round-trips through JSON (the store keeps it). Playing is
deterministic for a given seed and sequence of choices: a chance roll draws from a random
generator seeded by the campaign's seed and the turn number, so a replay rolls the same.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .compiled import CompiledChoice, CompiledEnding, CompiledOutcome, CompiledScene
from .expressions import Template, new_evaluator
from .model import CrewMember, Value, Variable
from .state import NoOutcome, NotOffered, StoryOver, StoryRuntimeError, StoryState
from .views import Change, ChoiceView, RollResult, SceneView, StatusItem, Turn
from .votes import (
    HOW_DECIDED,
    HOW_MAJORITY,
    HOW_NO_DECISION,
    HOW_START,
    HOW_TIE,
    KIND_CLEAR,
    KIND_NARROW,
    KIND_UNANIMOUS,
    KIND_UNITED,
    NARROW_MARGIN_SHARE,
    SAMPLE_VOTES,
    START_VOTE,
    UNITED_SHARE,
    VOTE_KINDS,
    OddsCase,
    VoteInfo,
    vote_kind,
)

# The names callers import from here: playing a story's records live in their own modules.
__all__ = [
    "HOW_DECIDED",
    "HOW_MAJORITY",
    "HOW_NO_DECISION",
    "HOW_START",
    "HOW_TIE",
    "KIND_CLEAR",
    "KIND_NARROW",
    "KIND_UNANIMOUS",
    "KIND_UNITED",
    "NARROW_MARGIN_SHARE",
    "SAMPLE_VOTES",
    "START_VOTE",
    "UNITED_SHARE",
    "VOTE_KINDS",
    "Change",
    "ChoiceView",
    "CompiledChoice",
    "CompiledEnding",
    "CompiledOutcome",
    "CompiledScene",
    "NoOutcome",
    "NotOffered",
    "OddsCase",
    "RollResult",
    "SceneView",
    "StatusItem",
    "Story",
    "StoryOver",
    "StoryRuntimeError",
    "StoryState",
    "Turn",
    "VoteInfo",
    "vote_kind",
]


class Story:
    """A loaded, checked story, ready to play. Built by the loader; immutable once built."""

    def __init__(
        self,
        *,
        id: str,
        title: str,
        summary: str,
        start: str,
        crew: Mapping[str, CrewMember],
        variables: Mapping[str, Variable],
        scenes: Mapping[str, CompiledScene],
        endings: Mapping[str, CompiledEnding],
        content_hash: str,
        files: tuple[str, ...],
    ) -> None:
        self.id = id
        self.title = title
        self.summary = summary
        self.start = start
        self.crew = crew
        self.variables = variables
        self.scenes = scenes
        self.endings = endings
        self.content_hash = content_hash
        self.files = files
        self._shown = tuple(name for name, var in variables.items() if var.show)
        self._evaluator = new_evaluator()

    def __repr__(self) -> str:
        return f"<Story {self.id} scenes={len(self.scenes)} endings={len(self.endings)}>"

    # -- state ----------------------------------------------------------------------------

    def new_state(self, seed: int) -> StoryState:
        """A fresh playthrough at the first scene."""
        return StoryState(
            story_id=self.id,
            seed=seed,
            scene=self.start,
            vars={name: var.initial for name, var in self.variables.items()},
            visits={self.start: 1},
        )

    def check_state(self, state: StoryState) -> None:
        """Refuse a state that does not fit this story (a story edited under a campaign)."""
        if state.story_id != self.id:
            raise StoryRuntimeError(f"state belongs to story '{state.story_id}', not '{self.id}'")
        if state.scene not in self.scenes and state.scene not in self.endings:
            raise StoryRuntimeError(f"scene '{state.scene}' no longer exists in '{self.id}'")
        for name, var in self.variables.items():
            state.vars.setdefault(name, var.initial)

    # -- evaluation -----------------------------------------------------------------------

    def _bind(self, state: StoryState) -> Any:
        evaluator = self._evaluator
        names = dict(state.vars)
        names.update(state.last_vote)
        names["turn"] = state.turn
        evaluator.names = names
        visits = state.visits
        evaluator.functions["visits"] = lambda scene: visits.get(scene, 0)
        return evaluator

    def _odds(self, outcome: CompiledOutcome, evaluator: Any) -> float | None:
        odds = outcome.odds
        if odds is None:
            return None
        value = odds if isinstance(odds, float) else odds.evaluate(evaluator)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise StoryRuntimeError(f"roll odds {value!r} are not a number between 0 and 1")
        return float(value)

    def _is_open(self, choice: CompiledChoice, state: StoryState) -> bool:
        return choice.condition is None or bool(choice.condition.evaluate(self._bind(state)))

    def offered(self, state: StoryState) -> list[CompiledChoice]:
        """The choices open in this state, in the scene's order."""
        scene = self.scenes.get(state.scene)
        if scene is None:
            return []
        evaluator = self._bind(state)
        return [
            choice
            for choice in scene.choices
            if choice.condition is None or choice.condition.evaluate(evaluator)
        ]

    # -- views ----------------------------------------------------------------------------

    def status(self, state: StoryState) -> tuple[StatusItem, ...]:
        """The values marked `show`, for a compact status line."""
        return tuple(
            StatusItem(
                name,
                self.variables[name].label or name,
                state.vars[name],
                self.variables[name].unit,
            )
            for name in self._shown
        )

    def render_text(self, state: StoryState) -> str:
        """The current scene's or ending's text with its substitutions."""
        place = self.endings.get(state.scene) or self.scenes[state.scene]
        evaluator = self._bind(state)
        return place.text.render(lambda e: e.evaluate(evaluator))

    def check_text(self, state: StoryState, rendered: set[tuple[Any, ...]]) -> None:
        """Render the current text unless the same values were rendered before.

        A text's output depends only on the values it reads, so a simulation that has
        rendered a place with those values has nothing more to learn from it.
        """
        place = self.endings.get(state.scene) or self.scenes[state.scene]
        template = place.text
        values = state.vars
        last_vote = state.last_vote
        key = (
            state.scene,
            *[
                values[name] if name in values else last_vote.get(name, state.turn)
                for name in template.names
            ],
            *[state.visits.get(scene, 0) for scene in template.visits],
        )
        if key not in rendered:
            self.render_text(state)
            rendered.add(key)

    def view(self, state: StoryState) -> SceneView:
        """The current scene or ending, rendered: text, speaker, offered choices, status."""
        evaluator = self._bind(state)
        status = self.status(state)
        if state.scene in self.endings:
            ending = self.endings[state.scene]
            ship = ending.ship
            return SceneView(
                id=state.scene,
                title=ending.source.title,
                text=ending.text.render(lambda e: e.evaluate(evaluator)),
                speaker=ending.speaker,
                choices=(),
                status=status,
                ending=True,
                has_no_decision=False,
                ship=ship.render(lambda e: e.evaluate(evaluator))
                if isinstance(ship, Template)
                else ship,
            )
        scene = self.scenes[state.scene]
        text = scene.text.render(lambda e: e.evaluate(evaluator))
        choices = tuple(self._choice_view(state, c) for c in self.offered(state))
        return SceneView(
            id=state.scene,
            title=scene.source.title,
            text=text,
            speaker=scene.speaker,
            choices=choices,
            status=status,
            ending=False,
            has_no_decision=scene.no_decision is not None,
        )

    def _choice_view(self, state: StoryState, choice: CompiledChoice) -> ChoiceView:
        cases = self.odds_cases(state, choice.outcome)
        odds = cases[-1].low if cases else None  # the clear majority's
        return ChoiceView(
            choice.index, choice.id, choice.label, choice.by, odds, choice.pitch, cases
        )

    def odds_cases(self, state: StoryState, outcome: CompiledOutcome) -> tuple[OddsCase, ...]:
        """The odds `outcome` rolls if taken now, after each kind of vote (`VOTE_KINDS`
        order), computed after its own effects exactly as `play` computes them."""
        if outcome.odds is None:
            return ()
        if not outcome.reads_vote:
            value = self._odds_after(state, outcome, SAMPLE_VOTES[KIND_CLEAR][0])
            return tuple(OddsCase(kind, value, value) for kind in VOTE_KINDS)
        cases = []
        for kind in VOTE_KINDS:
            values = [self._odds_after(state, outcome, vote) for vote in SAMPLE_VOTES[kind]]
            cases.append(OddsCase(kind, min(values), max(values)))
        return tuple(cases)

    def _odds_after(self, state: StoryState, outcome: CompiledOutcome, vote: VoteInfo) -> float:
        trial = replace(
            state,
            vars=dict(state.vars),
            last_vote=vote.summary(state.last_vote.get("vote_turnout", 0)),
        )
        self._apply(trial, outcome)
        odds = self._odds(outcome, self._bind(trial))
        assert odds is not None
        return odds

    # -- playing --------------------------------------------------------------------------

    def play(
        self,
        state: StoryState,
        choice_id: str,
        vote: VoteInfo | None = None,
        *,
        roll: bool | None = None,
    ) -> Turn:
        """Take `choice_id` in the current scene. `roll` forces a chance roll's result."""
        scene = self._current(state)
        choice = scene.by_id.get(choice_id)
        if choice is None or not self._is_open(choice, state):
            raise NotOffered(f"'{choice_id}' is not offered in scene '{scene.source.id}'")
        how = vote.how if vote is not None else HOW_MAJORITY
        return self._advance(state, scene, choice.id, choice.outcome, vote, how, roll)

    def play_offered(
        self, state: StoryState, choice: CompiledChoice, vote: VoteInfo | None = None
    ) -> Turn:
        """Take a choice just returned by `offered(state)`, without checking it again."""
        scene = self._current(state)
        how = vote.how if vote is not None else HOW_MAJORITY
        return self._advance(state, scene, choice.id, choice.outcome, vote, how, None)

    def play_no_decision(
        self, state: StoryState, vote: VoteInfo | None = None, *, roll: bool | None = None
    ) -> Turn:
        """Take the scene's no-decision outcome (a vote that ended without a result)."""
        scene = self._current(state)
        if scene.no_decision is None:
            raise NoOutcome(f"scene '{scene.source.id}' has no no_decision outcome")
        return self._advance(state, scene, None, scene.no_decision, vote, HOW_NO_DECISION, roll)

    def _current(self, state: StoryState) -> CompiledScene:
        if state.ended or state.scene in self.endings:
            raise StoryOver(f"the story has ended at '{state.scene}'")
        scene = self.scenes.get(state.scene)
        if scene is None:
            raise StoryRuntimeError(f"scene '{state.scene}' does not exist in '{self.id}'")
        return scene

    def _advance(
        self,
        state: StoryState,
        scene: CompiledScene,
        choice_id: str | None,
        outcome: CompiledOutcome,
        vote: VoteInfo | None,
        how: str,
        forced_roll: bool | None,
    ) -> Turn:
        counts = vote.counts if vote is not None else {}
        state.last_vote = VoteInfo(counts, how).summary(state.last_vote.get("vote_turnout", 0))
        changes = self._apply(state, outcome)
        # Bind the evaluator only when something reads the state after the effects.
        evaluator = self._bind(state) if outcome.odds is not None or outcome.result else None
        rolled: RollResult | None = None
        source_roll = outcome.source.roll
        if source_roll is not None:
            odds = self._odds(outcome, evaluator)
            assert odds is not None
            drawn = random.Random(f"{state.seed}:{state.turn}").random()
            success = drawn < odds if forced_roll is None else forced_roll
            rolled = RollResult(odds, drawn, success)
            target = source_roll.success if success else source_roll.failure
        else:
            assert outcome.source.goto is not None
            target = outcome.source.goto
        result = None
        if outcome.result is not None:
            result = outcome.result.render(lambda e: e.evaluate(evaluator))
        state.scene = target
        state.visits[target] = state.visits.get(target, 0) + 1
        state.turn += 1
        state.ended = target in self.endings
        ending = self.endings.get(target)
        if ending is not None and ending.effects is not None:
            changes += self._apply(state, ending.effects)
        state.path.append(
            {
                "scene": scene.source.id,
                "choice": choice_id,
                "how": how,
                "counts": dict(counts),
                "roll": None if rolled is None else rolled.success,
                "to": target,
            }
        )
        return Turn(scene.source.id, choice_id, how, result, changes, rolled, target, state.ended)

    def _apply(self, state: StoryState, outcome: CompiledOutcome) -> tuple[Change, ...]:
        changes: list[Change] = []
        self._apply_block(state.vars, outcome.adds, outcome.sets, changes)
        for condition, adds, sets in outcome.when:
            if condition.evaluate(self._bind(state)):
                self._apply_block(state.vars, adds, sets, changes)
        return tuple(changes)

    @staticmethod
    def _apply_block(
        values: dict[str, Value],
        adds: tuple[tuple[str, int, int, int], ...],
        sets: tuple[tuple[str, Value], ...],
        changes: list[Change],
    ) -> None:
        for name, delta, low, high in adds:
            before = values[name]
            after = min(high, max(low, before + delta))  # type: ignore[operator]
            values[name] = after
            changes.append(Change(name, before, after))
        for name, value in sets:
            changes.append(Change(name, values[name], value))
            values[name] = value
