"""Where a story's choices lead: the odds of each ending, exactly where the story is small enough.

The simulator samples runs; an author balancing a story wants the odds themselves. A run
is a Markov chain over (scene, state): at each decision the channel takes a choice (the
strategy's, else uniformly random among those offered, or the scene's no-decision outcome
as often as the simulator takes it), the vote on it is one of the tallies the simulator can
invent (each with its probability, `simulate.vote_odds`), and a roll goes either way with
its odds. `analyse` walks that chain layer by layer, one layer per decision, merging states
that no condition, odds or effect can tell apart: the variables and the `visits()` that
logic reads, and, where a scene's conditions read the vote that led in, the choices it
leaves open. `turn` is the layer
itself, so loops are followed up to the step limit, and the mass still moving there is
reported as loops, as the simulator reports them. Texts are not read: they change no odds.

A state graph larger than the budget is sampled instead, with Wilson intervals. The chain's
moves are worked out in `chain`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .chain import AnalysisError as AnalysisError  # re-exported: callers catch it from here
from .chain import branches_of, choices_in, what_logic_reads
from .model import Value
from .runtime import Story
from .simulate import (
    DEFAULT_STEP_LIMIT,
    RANDOM,
    Strategy,
    simulate,
)
from .state import StoryState

#: Most (decision, state) pairs an exact analysis explores before it samples instead.
DEFAULT_BUDGET = 100_000
#: Runs sampled when the state graph is over the budget.
DEFAULT_SAMPLE_RUNS = 10_000
#: The outcome of a run still going at the step limit.
LOOP = "(loop)"
#: The exact walk stops once less than this share of runs is still going.
NEGLIGIBLE = 1e-12
#: z for a 95% interval.
Z95 = 1.959964


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a share: sound near 0 and 1, unlike the normal one."""
    if trials == 0:
        return (0.0, 1.0)
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    return (max(0.0, centre - half / denominator), min(1.0, centre + half / denominator))


@dataclass(frozen=True)
class ChoiceOdds:
    """A choice under the strategy: how often runs take it, and where those runs end."""

    scene: str
    choice: str
    taken: float
    endings: dict[str, float]


@dataclass
class Analysis:
    """The odds a strategy gives: exact, or sampled with 95% intervals when too big."""

    story_id: str
    strategy: Strategy
    exact: bool
    budget: int
    #: (decision, state) pairs explored; for a sampled analysis, how far it got.
    states: int
    step_limit: int
    #: Runs sampled (0 when exact).
    runs: int = 0
    endings: dict[str, float] = field(default_factory=dict)
    decisions: dict[int, float] = field(default_factory=dict)
    variables: dict[str, dict[Value, float]] = field(default_factory=dict)
    #: Per variable, per value: the share of each ending among the runs finishing with it.
    variable_endings: dict[str, dict[Value, dict[str, float]]] = field(default_factory=dict)
    choices: list[ChoiceOdds] = field(default_factory=list)
    #: Exact only: the share of runs still going when the walk stopped, under NEGLIGIBLE.
    dropped: float = 0.0
    #: Sampled only: 95% Wilson interval of each ending's share.
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)

    def interval(self, share: float) -> tuple[float, float] | None:
        """The 95% interval of a sampled share (None when exact)."""
        if self.exact:
            return None
        return wilson(round(share * self.runs), self.runs)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready (`python -m bot analyse --json`)."""
        return {
            "story": self.story_id,
            "strategy": [f"{s}:{c}" if s else c for s, c in self.strategy.prefer],
            "unanimous": self.strategy.unanimous,
            "method": "exact" if self.exact else "sampled",
            "budget": self.budget,
            "states": self.states,
            "step_limit": self.step_limit,
            "runs": self.runs,
            "dropped": self.dropped,
            "endings": self.endings,
            "intervals": {k: list(v) for k, v in self.intervals.items()},
            "decisions": {str(n): p for n, p in sorted(self.decisions.items())},
            "variables": {
                name: {_json_key(v): p for v, p in values.items()}
                for name, values in self.variables.items()
            },
            "choices": [
                {"scene": c.scene, "choice": c.choice, "taken": c.taken, "endings": c.endings}
                for c in self.choices
            ],
        }


def _json_key(value: Value) -> str:
    """A value as a JSON object key: booleans as `true`/`false`, as JSON writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_variables(story: Story, names: Sequence[str]) -> None:
    """Refuse a `--state` name that is not one of the story's variables."""
    for name in names:
        if name not in story.variables:
            known = ", ".join(story.variables)
            raise AnalysisError(f"--state {name}: no variable '{name}' (variables: {known})")


class _OverBudget(Exception):
    """The reachable state graph has more (decision, state) pairs than the budget."""


def analyse(
    story: Story,
    strategy: Strategy = RANDOM,
    track: Sequence[str] = (),
    *,
    step_limit: int = DEFAULT_STEP_LIMIT,
    budget: int = DEFAULT_BUDGET,
    runs: int = DEFAULT_SAMPLE_RUNS,
    seed: int = 0,
) -> Analysis:
    """The odds of each ending, decision count, tracked variable and choice under `strategy`.

    Exact when at most `budget` (decision, state) pairs are reachable; else `runs` sampled
    runs from `seed`, as `simulate` plays them."""
    check_variables(story, track)
    try:
        return _exact(story, strategy, track, step_limit, budget)
    except _OverBudget:
        return _sampled(story, strategy, track, step_limit, budget, runs, seed)


def _exact(
    story: Story, strategy: Strategy, track: Sequence[str], step_limit: int, budget: int
) -> Analysis:
    reads = what_logic_reads(story, track)
    endings = story.endings
    outcomes = [*endings, LOOP]
    where = {ending: index for index, ending in enumerate(outcomes)}

    def key(state: StoryState) -> tuple[Any, ...]:
        return (
            state.scene,
            tuple(state.vars[n] for n in reads.variables),
            tuple(state.visits.get(s, 0) for s in reads.visits),
            # The vote that led in matters only through which choices it leaves open.
            tuple(c.id for c in story.offered(state)) if reads.scene_votes.get(state.scene) else (),
            state.last_vote.get("vote_turnout") if reads.history else None,
        )

    start = story.new_state(0)
    # Per decision: the states' masses and their moves (probability, choice, next index or
    # ending id). Layer t holds the states after t decisions; turn == t in all of them.
    states = [start]
    masses = [1.0]
    layers: list[list[list[tuple[float, tuple[str, str] | None, int | str]]]] = []
    explored = 1
    # Masses, not counts: a share of the runs each.
    finished: defaultdict[tuple[str, int], float] = defaultdict(float)
    finals: dict[str, defaultdict[tuple[Value, str], float]] = {
        name: defaultdict(float) for name in track
    }
    for step in range(step_limit):
        next_layer: dict[tuple[Any, ...], int] = {}
        next_states: list[StoryState] = []
        next_masses: list[float] = []
        moves_of: list[list[tuple[float, tuple[str, str] | None, int | str]]] = []
        for state, mass in zip(states, masses, strict=True):
            moves: list[tuple[float, tuple[str, str] | None, int | str]] = []
            scene_id = state.scene
            for p_choice, choice, vote in choices_in(story, state, strategy, reads):
                pair = None if choice is None else (scene_id, choice.id)
                for p_branch, after in branches_of(story, state, choice, vote):
                    probability = p_choice * p_branch
                    if after.scene in endings:
                        finished[(after.scene, step + 1)] += mass * probability
                        for name, counter in finals.items():
                            counter[(after.vars[name], after.scene)] += mass * probability
                        moves.append((probability, pair, after.scene))
                        continue
                    k = key(after)
                    index = next_layer.get(k)
                    if index is None:
                        index = next_layer[k] = len(next_states)
                        next_states.append(after)
                        next_masses.append(0.0)
                        explored += 1
                        if explored > budget:
                            raise _OverBudget
                    next_masses[index] += mass * probability
                    moves.append((probability, pair, index))
            moves_of.append(moves)
        layers.append(moves_of)
        states, masses = next_states, next_masses
        if sum(masses) < NEGLIGIBLE:
            break
    # What is left after the last layer is still going: at the step limit, loops; else a
    # share too small to matter, which is said rather than spread over the endings.
    left = sum(masses)
    at_limit = len(layers) == step_limit
    analysis = Analysis(story.id, strategy, True, budget, explored, step_limit)
    analysis.dropped = 0.0 if at_limit else left
    loop_mass = left if at_limit else 0.0
    ending_mass: defaultdict[str, float] = defaultdict(float)
    decisions: defaultdict[int, float] = defaultdict(float)
    for (ending, n), p in finished.items():
        ending_mass[ending] += p
        decisions[n] += p
    analysis.endings = {e: ending_mass.get(e, 0.0) for e in endings}
    if loop_mass > 0:
        analysis.endings[LOOP] = loop_mass
    analysis.decisions = dict(sorted(decisions.items()))
    _fill_variables(analysis, finals, 1.0)
    analysis.choices = _choice_odds(story, layers, len(states), at_limit, outcomes, where)
    return analysis


def _choice_odds(
    story: Story,
    layers: list[list[list[tuple[float, tuple[str, str] | None, int | str]]]],
    left: int,
    at_limit: bool,
    outcomes: list[str],
    where: dict[str, int],
) -> list[ChoiceOdds]:
    """Per choice: the chance a run takes it at least once, and where those runs end.

    Backwards over the layers: `ends[i]` is where a run from state i ends; `through[i][c]`
    the chance it takes c at some point and ends at each outcome."""
    size = len(outcomes)
    loop = [0.0] * size
    if at_limit:  # the runs still going are loops; else they are the dropped few
        loop[where[LOOP]] = 1.0
    ends: list[list[float]] = [loop] * left
    through: list[dict[tuple[str, str], list[float]]] = [{} for _ in range(left)]
    for moves_of in reversed(layers):
        new_ends: list[list[float]] = []
        new_through: list[dict[tuple[str, str], list[float]]] = []
        for moves in moves_of:
            end = [0.0] * size
            taken: dict[tuple[str, str], list[float]] = {}
            for probability, pair, target in moves:
                if isinstance(target, str):
                    target_end = [0.0] * size
                    target_end[where[target]] = 1.0
                    target_through: dict[tuple[str, str], list[float]] = {}
                else:
                    target_end = ends[target]
                    target_through = through[target]
                for i, p in enumerate(target_end):
                    end[i] += probability * p
                for other, shares in target_through.items():
                    if other == pair:
                        continue
                    row = taken.setdefault(other, [0.0] * size)
                    for i, p in enumerate(shares):
                        row[i] += probability * p
                if pair is not None:
                    row = taken.setdefault(pair, [0.0] * size)
                    for i, p in enumerate(target_end):
                        row[i] += probability * p
            new_ends.append(end)
            new_through.append(taken)
        ends, through = new_ends, new_through
    odds: list[ChoiceOdds] = []
    for scene_id, scene in story.scenes.items():
        for choice in scene.choices:
            reached = through[0].get((scene_id, choice.id))
            if reached is None:
                continue
            total = sum(reached)
            ending_shares = {
                outcomes[i]: p / total for i, p in enumerate(reached) if p > NEGLIGIBLE
            }
            odds.append(ChoiceOdds(scene_id, choice.id, total, ending_shares))
    return odds


def _fill_variables(
    analysis: Analysis, finals: Mapping[str, Mapping[tuple[Value, str], float]], total: float
) -> None:
    """Each tracked variable's final values, overall and by ending."""
    for name, counter in finals.items():
        values: dict[Value, float] = {}
        by_ending: dict[Value, dict[str, float]] = {}
        for (value, ending), weight in counter.items():
            values[value] = values.get(value, 0.0) + weight
            by_ending.setdefault(value, {})[ending] = weight
        order = sorted(values, key=lambda v: (str(type(v)), v))
        analysis.variables[name] = {v: values[v] / total for v in order}
        analysis.variable_endings[name] = {
            v: {e: w / values[v] for e, w in sorted(by_ending[v].items(), key=lambda x: -x[1])}
            for v in order
        }


# -- sampling ------------------------------------------------------------------------------


def _sampled(
    story: Story,
    strategy: Strategy,
    track: Sequence[str],
    step_limit: int,
    budget: int,
    runs: int,
    seed: int,
) -> Analysis:
    report = simulate(story, runs, seed, step_limit=step_limit, strategy=strategy, track=track)
    if report.errors or report.dead_ends:
        first = (report.errors or report.dead_ends)[0]
        raise AnalysisError(f"seed {first.seed} at scene '{first.scene}': {first.message}")
    analysis = Analysis(story.id, strategy, False, budget, budget, step_limit, runs=runs)
    analysis.endings = {e: report.endings.get(e, 0) / runs for e in story.endings}
    if report.loops:
        analysis.endings[LOOP] = len(report.loops) / runs
    analysis.intervals = {
        e: wilson(round(share * runs), runs) for e, share in analysis.endings.items()
    }
    analysis.decisions = {n: c / runs for n, c in sorted(report.decisions.items())}
    _fill_variables(analysis, report.finals, runs)
    for scene_id, scene in story.scenes.items():
        for choice in scene.choices:
            counter = report.choice_endings.get((scene_id, choice.id))
            if counter:
                total = sum(counter.values())
                shares = {e: c / total for e, c in counter.most_common()}
                odds = ChoiceOdds(scene_id, choice.id, total / runs, shares)
                analysis.choices.append(odds)
    return analysis
