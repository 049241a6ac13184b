"""Random playthroughs of a story, to find what authors cannot see by reading: scenes and
choices no run reaches, endings that are too rare, loops, and runtime errors.

Like ChoiceScript's randomtest: each run starts fresh with its own seed and picks uniformly
among the offered choices; where a scene has a no-decision outcome, that is taken now and
then too, as a channel that does not vote would.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .compiled import CompiledChoice
from .model import Value
from .runtime import Story
from .state import StoryRuntimeError
from .votes import VoteInfo

#: A run longer than this many decisions is reported as a loop.
DEFAULT_STEP_LIMIT = 200
#: How often a simulated channel fails to decide, where the scene allows it.
NO_DECISION_RATE = 0.1


#: The tallies a simulated vote can have: the winner's ballots are 1 to this many.
MOST_BALLOTS = 6
#: How often a simulated vote has a runner-up drawn from the offered choices.
RUNNER_UP_RATE = 0.7
#: Ballots in a unanimous vote for a strategy's preferred choice.
UNANIMOUS_BALLOTS = 5


class StrategyError(ValueError):
    """A strategy names a choice or a scene the story does not have."""


@dataclass(frozen=True)
class Strategy:
    """How a channel plays: the preferred choices, taken whenever offered (the first listed
    wins when a scene offers several); uniformly random like the simulator otherwise."""

    #: (scene id or None for any scene, choice id), in order of preference.
    prefer: tuple[tuple[str | None, str], ...] = ()
    #: The channel votes as one for its preferred choices (else the simulator's tallies).
    unanimous: bool = False

    def vote(self, choice_id: str) -> VoteInfo:
        """The vote of a channel of one mind: every ballot for the preferred choice."""
        return VoteInfo({choice_id: UNANIMOUS_BALLOTS})

    @classmethod
    def parse(cls, story: Story, items: Sequence[str], *, unanimous: bool = False) -> Strategy:
        """`choice` (in any scene that has it) or `scene:choice`; refuse unknown ids."""
        prefer: list[tuple[str | None, str]] = []
        for item in items:
            scene_id, _, choice_id = item.rpartition(":")
            if scene_id and scene_id not in story.scenes:
                raise StrategyError(f"--prefer {item}: the story has no scene '{scene_id}'")
            scenes = [story.scenes[scene_id]] if scene_id else story.scenes.values()
            if not any(choice_id in scene.by_id for scene in scenes):
                where = f"scene '{scene_id}'" if scene_id else "any scene"
                raise StrategyError(f"--prefer {item}: no choice '{choice_id}' in {where}")
            prefer.append((scene_id or None, choice_id))
        return cls(tuple(prefer), unanimous)

    def pick(self, scene_id: str, offered: Sequence[CompiledChoice]) -> CompiledChoice | None:
        """The preferred choice among `offered`, or None to play at random."""
        by_id = {choice.id: choice for choice in offered}
        for where, choice_id in self.prefer:
            if (where is None or where == scene_id) and choice_id in by_id:
                return by_id[choice_id]
        return None

    def __str__(self) -> str:
        if not self.prefer:
            return "uniformly random"
        names = ", ".join(f"{s}:{c}" if s else c for s, c in self.prefer)
        how = " (voted unanimously)" if self.unanimous else ""
        return f"prefer {names}{how}, random otherwise"


RANDOM = Strategy()


@dataclass(frozen=True)
class RunError:
    """A run that broke: the seed that reproduces it and what went wrong."""

    seed: int
    scene: str
    message: str


@dataclass
class SimulationReport:
    """What many random runs found."""

    story_id: str
    runs: int
    seed: int
    endings: Counter[str] = field(default_factory=Counter)
    scenes: Counter[str] = field(default_factory=Counter)
    choices: Counter[tuple[str, str]] = field(default_factory=Counter)
    lengths: list[int] = field(default_factory=list)
    loops: list[int] = field(default_factory=list)
    dead_ends: list[RunError] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)
    unreached_scenes: list[str] = field(default_factory=list)
    unreached_endings: list[str] = field(default_factory=list)
    unreached_choices: list[tuple[str, str]] = field(default_factory=list)
    #: Per choice, the endings of the runs that took it at least once.
    choice_endings: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    #: Per tracked variable, finished runs by (final value, ending).
    finals: dict[str, Counter[tuple[Value, str]]] = field(default_factory=dict)
    #: Texts already rendered, by place and the values they read: no need to render twice.
    rendered: set[tuple[Any, ...]] = field(default_factory=set, repr=False)

    @property
    def failed(self) -> bool:
        """Errors or dead ends make a simulation fail (the CLI exits 1)."""
        return bool(self.errors or self.dead_ends)

    @property
    def longest(self) -> int:
        """Decisions in the longest finished run."""
        return max(self.lengths, default=0)

    @property
    def average(self) -> float:
        """Average decisions per finished run."""
        return sum(self.lengths) / len(self.lengths) if self.lengths else 0.0

    @property
    def decisions(self) -> Counter[int]:
        """Finished runs by their number of decisions."""
        return Counter(self.lengths)

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON-ready object (`python -m bot simulate --json`)."""
        return {
            "story": self.story_id,
            "runs": self.runs,
            "seed": self.seed,
            "finished": len(self.lengths),
            "endings": dict(self.endings),
            "decisions": {str(n): runs for n, runs in sorted(self.decisions.items())},
            "average_decisions": round(self.average, 3),
            "longest": self.longest,
            "choices": [
                {
                    "scene": scene_id,
                    "choice": choice_id,
                    "runs": sum(endings.values()),
                    "endings": {
                        ending: round(count / sum(endings.values()), 4)
                        for ending, count in endings.most_common()
                    },
                }
                for (scene_id, choice_id), endings in self.choice_endings.items()
            ],
            "loops": len(self.loops),
            "dead_ends": [vars(dead) for dead in self.dead_ends],
            "errors": [vars(error) for error in self.errors],
            "unreached_scenes": self.unreached_scenes,
            "unreached_endings": self.unreached_endings,
            "unreached_choices": [list(pair) for pair in self.unreached_choices],
        }


def _random_vote(rng: random.Random, winner: str, offered: Sequence[CompiledChoice]) -> VoteInfo:
    """A plausible tally won by `winner`: sometimes unanimous, sometimes close or tied."""
    draw = rng.random
    top = 1 + int(draw() * MOST_BALLOTS)
    counts = {winner: top}
    if len(offered) > 1 and draw() < RUNNER_UP_RATE:
        runner_up = offered[int(draw() * len(offered))].id
        if runner_up != winner:
            counts[runner_up] = int(draw() * (top + 1))
            if counts[runner_up] == top:
                return VoteInfo(counts, "tie")
    return VoteInfo(counts, "majority")


def vote_odds(winner: str, offered: Sequence[str]) -> list[tuple[float, VoteInfo]]:
    """Every tally `_random_vote` can invent for `winner`, with its probability (they sum
    to 1): what an exact analysis plays where the simulator draws one."""
    tallies: list[tuple[float, VoteInfo]] = []
    rivals = [choice for choice in offered if choice != winner]
    with_rival = RUNNER_UP_RATE * len(rivals) / len(offered) if len(offered) > 1 else 0.0
    for top in range(1, MOST_BALLOTS + 1):
        p_top = 1 / MOST_BALLOTS
        tallies.append((p_top * (1 - with_rival), VoteInfo({winner: top}, "majority")))
        for rival in rivals:
            p_rival = p_top * RUNNER_UP_RATE / len(offered) / (top + 1)
            for second in range(top + 1):
                how = "tie" if second == top else "majority"
                tallies.append((p_rival, VoteInfo({winner: top, rival: second}, how)))
    return tallies


def run_once(
    story: Story,
    seed: int,
    report: SimulationReport,
    step_limit: int = DEFAULT_STEP_LIMIT,
    strategy: Strategy = RANDOM,
) -> None:
    """One playthrough from `seed` (random, or as `strategy` prefers), recorded into `report`."""
    rng = random.Random(seed)
    rendered = report.rendered
    state = story.new_state(seed)
    report.scenes[state.scene] += 1
    endings = story.endings
    taken: set[tuple[str, str]] = set()
    try:
        for step in range(step_limit):
            scene = story.scenes[state.scene]
            offered = story.offered(state)
            story.check_text(state, rendered)  # substitutions are played too and must not fail
            preferred = strategy.pick(scene.source.id, offered) if strategy.prefer else None
            if preferred is None and (
                scene.no_decision is not None and (not offered or rng.random() < NO_DECISION_RATE)
            ):
                story.play_no_decision(state, VoteInfo({}, "no_decision"))
            elif offered:
                choice = preferred or rng.choice(offered)
                report.choices[(scene.source.id, choice.id)] += 1
                taken.add((scene.source.id, choice.id))
                if preferred is not None and strategy.unanimous:
                    vote = strategy.vote(choice.id)
                else:
                    vote = _random_vote(rng, choice.id, offered)
                story.play_offered(state, choice, vote)
            else:
                report.dead_ends.append(
                    RunError(seed, state.scene, "no choice is open and no no_decision outcome")
                )
                return
            report.scenes[state.scene] += 1
            if state.scene in endings:
                story.check_text(state, rendered)
                report.endings[state.scene] += 1
                report.lengths.append(step + 1)
                for pair in taken:
                    report.choice_endings.setdefault(pair, Counter())[state.scene] += 1
                for name, counter in report.finals.items():
                    counter[(state.vars[name], state.scene)] += 1
                return
        report.loops.append(seed)
    except StoryRuntimeError as exc:
        report.errors.append(RunError(seed, state.scene, str(exc)))
    except Exception as exc:  # an author's expression may fail in any way
        report.errors.append(RunError(seed, state.scene, f"{type(exc).__name__}: {exc}"))


def simulate(
    story: Story,
    runs: int,
    seed: int = 0,
    *,
    step_limit: int = DEFAULT_STEP_LIMIT,
    progress: Callable[[int], None] | None = None,
    strategy: Strategy = RANDOM,
    track: Sequence[str] = (),
) -> SimulationReport:
    """Play `runs` playthroughs; run i uses seed `seed + i`, so any one can be replayed.

    `track` names variables whose final values are counted in `report.finals`."""
    report = SimulationReport(story.id, runs, seed)
    report.finals = {name: Counter() for name in track}
    for index in range(runs):
        run_once(story, seed + index, report, step_limit, strategy)
        if progress is not None and (index + 1) % 500 == 0:
            progress(index + 1)
    report.unreached_scenes = [s for s in story.scenes if s not in report.scenes]
    report.unreached_endings = [e for e in story.endings if e not in report.endings]
    report.unreached_choices = [
        (scene_id, choice.id)
        for scene_id, scene in story.scenes.items()
        for choice in scene.choices
        if (scene_id, choice.id) not in report.choices
    ]
    return report
