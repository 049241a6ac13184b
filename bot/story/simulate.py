"""Random playthroughs of a story, to find what authors cannot see by reading: scenes and
choices no run reaches, endings that are too rare, loops, and runtime errors.

Like ChoiceScript's randomtest: each run starts fresh with its own seed and picks uniformly
among the offered choices; where a scene has a no-decision outcome, that is taken now and
then too, as a channel that does not vote would.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .runtime import Story, StoryRuntimeError, VoteInfo

#: A run longer than this many decisions is reported as a loop.
DEFAULT_STEP_LIMIT = 200
#: How often a simulated channel fails to decide, where the scene allows it.
NO_DECISION_RATE = 0.1


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
    #: Texts already rendered, by place and the values they read: no need to render twice.
    rendered: set[tuple] = field(default_factory=set, repr=False)

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


def _random_vote(rng: random.Random, winner: str, offered: list) -> VoteInfo:
    """A plausible tally won by `winner`: sometimes unanimous, sometimes close or tied."""
    draw = rng.random
    top = 1 + int(draw() * 6)
    counts = {winner: top}
    if len(offered) > 1 and draw() < 0.7:
        runner_up = offered[int(draw() * len(offered))].id
        if runner_up != winner:
            counts[runner_up] = int(draw() * (top + 1))
            if counts[runner_up] == top:
                return VoteInfo(counts, "tie")
    return VoteInfo(counts, "majority")


def run_once(
    story: Story, seed: int, report: SimulationReport, step_limit: int = DEFAULT_STEP_LIMIT
) -> None:
    """One random playthrough from `seed`, recorded into `report`."""
    rng = random.Random(seed)
    rendered = report.rendered
    state = story.new_state(seed)
    report.scenes[state.scene] += 1
    endings = story.endings
    try:
        for step in range(step_limit):
            scene = story.scenes[state.scene]
            offered = story.offered(state)
            story.check_text(state, rendered)  # substitutions are played too and must not fail
            if scene.no_decision is not None and (not offered or rng.random() < NO_DECISION_RATE):
                story.play_no_decision(state, VoteInfo({}, "no_decision"))
            elif offered:
                choice = rng.choice(offered)
                report.choices[(scene.source.id, choice.id)] += 1
                story.play_offered(state, choice, _random_vote(rng, choice.id, offered))
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
) -> SimulationReport:
    """Play `runs` random playthroughs; run i uses seed `seed + i`, so any one can be replayed."""
    report = SimulationReport(story.id, runs, seed)
    for index in range(runs):
        run_once(story, seed + index, report, step_limit)
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
