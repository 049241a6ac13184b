"""Playing a story: a state that moves through scenes as choices are taken.

The state is plain data that round-trips through JSON (the store keeps it). Playing is
deterministic for a given seed and sequence of choices: a chance roll draws from a random
generator seeded by the campaign's seed and the turn number, so a replay rolls the same.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .expressions import VOTE_NAMES, Expression, Template, format_value, new_evaluator
from .model import CrewMember, Ending, Outcome, Scene, Value, Variable

#: How a decision was reached, as stories read it in `vote_how`.
HOW_START = "start"
HOW_MAJORITY = "majority"
HOW_TIE = "tie"
HOW_DECIDED = "decided"
HOW_NO_DECISION = "no_decision"


class StoryRuntimeError(Exception):
    """Playing a story went wrong: a choice not offered, a bad state, odds out of range."""


class NotOffered(StoryRuntimeError):
    """The choice is not one the current scene offers in this state."""


class StoryOver(StoryRuntimeError):
    """The story has reached an ending; nothing more can be played."""


class NoOutcome(StoryRuntimeError):
    """The scene declares no no-decision outcome, so a vote without result must be settled."""


#: The shares a story should read votes by (docs/content-format.md gives the thresholds).
UNITED_SHARE = 0.9
NARROW_MARGIN_SHARE = 0.1


@dataclass(frozen=True)
class VoteInfo:
    """How the channel voted on one decision: ballots per choice and how it was settled."""

    counts: Mapping[str, int] = field(default_factory=dict)
    how: str = HOW_MAJORITY

    @property
    def turnout(self) -> int:
        """Ballots cast."""
        return sum(self.counts.values())

    def summary(self, previous_turnout: int = 0) -> dict[str, Any]:
        """What a story can read of this vote: counts, shares that scale with the channel,
        unanimity and how it was settled. `previous_turnout` is the last vote's ballots."""
        ranked = [*sorted(self.counts.values(), reverse=True), 0, 0]
        turnout = self.turnout
        margin = ranked[0] - ranked[1]
        share = ranked[0] / turnout if turnout else 0.0
        margin_share = margin / turnout if turnout else 0.0
        return {
            "vote_turnout": turnout,
            "vote_margin": margin,
            "vote_share": share,
            "vote_margin_share": margin_share,
            "vote_turnout_ratio": turnout / previous_turnout if previous_turnout else 1.0,
            "vote_unanimous": turnout >= 2 and ranked[0] == turnout,
            "vote_united": turnout >= 2 and share >= UNITED_SHARE,
            "vote_narrow": self.how == HOW_TIE
            or (
                self.how == HOW_MAJORITY
                and turnout >= 3
                and (margin <= 1 or margin_share <= NARROW_MARGIN_SHARE)
            ),
            "vote_how": self.how,
        }


#: The kinds of vote a shown percentage distinguishes, most agreed first. A story whose odds
#: read the vote only through `vote_unanimous`, `vote_united` and `vote_narrow` shows exactly
#: the odds it rolls.
KIND_UNANIMOUS = "unanimous"
KIND_UNITED = "united"
KIND_NARROW = "narrow"
KIND_CLEAR = "clear"
VOTE_KINDS = (KIND_UNANIMOUS, KIND_UNITED, KIND_NARROW, KIND_CLEAR)


def vote_kind(summary: Mapping[str, Any]) -> str:
    """Which kind of vote a `VoteInfo.summary()` describes, for the odds shown before it."""
    if summary["vote_unanimous"]:
        return KIND_UNANIMOUS
    if summary["vote_united"]:
        return KIND_UNITED
    if summary["vote_narrow"]:
        return KIND_NARROW
    return KIND_CLEAR


def _sample_votes() -> dict[str, tuple[VoteInfo, ...]]:
    """Votes of each kind won by choice "x", in small and large channels."""
    tie = HOW_TIE
    votes = {
        KIND_UNANIMOUS: (VoteInfo({"x": 2}), VoteInfo({"x": 10}), VoteInfo({"x": 200})),
        KIND_UNITED: (VoteInfo({"x": 9, "y": 1}), VoteInfo({"x": 190, "y": 6, "z": 4})),
        KIND_NARROW: (
            VoteInfo({"x": 2, "y": 1}),
            VoteInfo({"x": 16, "y": 14}),
            VoteInfo({"x": 1, "y": 1}, tie),
            VoteInfo({"x": 30, "y": 30}, tie),
        ),
        KIND_CLEAR: (VoteInfo({"x": 1}), VoteInfo({"x": 3, "y": 1}), VoteInfo({"x": 70, "y": 30})),
    }
    for kind, samples in votes.items():
        assert all(vote_kind(v.summary()) == kind for v in samples), kind
    return votes


SAMPLE_VOTES = _sample_votes()


@dataclass(frozen=True)
class OddsCase:
    """The odds a choice rolls after one kind of vote (low == high unless the vote's exact
    split matters beyond its kind)."""

    kind: str
    low: float
    high: float


START_VOTE: dict[str, Any] = VoteInfo({}, HOW_START).summary()


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


@dataclass(frozen=True)
class ChoiceView:
    """A choice as offered: its position in the scene, label, who argues for it, its odds.

    `odds` is what a clear majority for it would roll; `odds_cases` has the odds after each
    kind of vote, computed after the choice's own effects (empty without a roll)."""

    index: int
    id: str
    label: str
    by: CrewMember
    odds: float | None
    pitch: str | None = None
    odds_cases: tuple[OddsCase, ...] = ()

    def odds_for(self, kind: str) -> OddsCase | None:
        """The odds shown for a vote of `kind`, or None without a roll."""
        return next((case for case in self.odds_cases if case.kind == kind), None)


@dataclass(frozen=True)
class StatusItem:
    """One value on a scene's compact status line."""

    name: str
    label: str
    value: Value
    unit: str

    def __str__(self) -> str:
        return f"{self.label} {format_value(self.value)}{self.unit}"


@dataclass(frozen=True)
class SceneView:
    """What to show for the current point of the story."""

    id: str
    title: str
    text: str
    speaker: CrewMember | None
    choices: tuple[ChoiceView, ...]
    status: tuple[StatusItem, ...]
    ending: bool
    has_no_decision: bool
    #: An ending's own ship line: None shows `status`, "" hides the line.
    ship: str | None = None


@dataclass(frozen=True)
class Change:
    """One variable moved by an effect."""

    name: str
    before: Value
    after: Value


@dataclass(frozen=True)
class RollResult:
    """A chance roll: the odds, the number drawn and whether it succeeded."""

    odds: float
    drawn: float
    success: bool


@dataclass(frozen=True)
class Turn:
    """What one decision did: the choice, effects, roll and where the story went."""

    scene: str
    choice: str | None
    how: str
    result: str | None
    changes: tuple[Change, ...]
    roll: RollResult | None
    to: str
    ended: bool


@dataclass(frozen=True)
class CompiledOutcome:
    """An outcome with its expressions compiled."""

    source: Outcome
    result: Template | None
    odds: Expression | float | None
    #: Effects flattened for play: (name, delta, min, max) to add, (name, value) to set.
    adds: tuple[tuple[str, int, int, int], ...] = ()
    sets: tuple[tuple[str, Value], ...] = ()
    #: `when:` blocks: (condition, adds, sets), each checked after the effects before it.
    when: tuple[
        tuple[Expression, tuple[tuple[str, int, int, int], ...], tuple[tuple[str, Value], ...]], ...
    ] = ()

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

    def check_text(self, state: StoryState, rendered: set[tuple]) -> None:
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
