"""The author's odds: `analyse` against odds worked out by hand on the example story, its
fallback to sampling, the JSON of `simulate --json` and `analyse --json`, and bad input."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from pydantic import BaseModel, ConfigDict, Field

from bot.cli import main
from bot.story import Story
from bot.story.analyse import LOOP, analyse
from bot.story.simulate import Strategy, _random_vote, vote_odds

from .helpers import EXAMPLE


def test_hacking_the_door_until_it_opens_then_leaving(example: Story) -> None:
    """Prefer hack, leave, go: the airlock's door is hacked until it opens, then straight out.

    By hand: `hack` is offered in the airlock every time, so the channel never freezes there;
    it opens with 0.6 and otherwise leaves the crew in the same airlock, air unchanged (only
    `force` and freezing cost air). So the door opens at attempt k with 0.4^(k-1) * 0.6. In
    the hold `leave` is offered, in the long way back `go` is (no beacon, so `wait` is not),
    with odds min(0.95, 0.35 + 0.1 * 6) = 0.95 on the full six hours. Hence home 0.95, adrift
    0.05, and k + 2 decisions: 3 with 0.6, 4 with 0.24, 5 with 0.096. Air stays 6; salvage 0.
    """
    strategy = Strategy.parse(example, ["hack", "leave", "go"])
    result = analyse(example, strategy, ["oxygen", "salvage"])
    assert result.exact
    assert result.endings["home"] == pytest.approx(0.95)
    assert result.endings["adrift"] == pytest.approx(0.05)
    assert result.endings["rescued"] == 0
    assert LOOP not in result.endings  # the loop is followed until it has (all but) emptied
    assert result.dropped < 1e-12
    assert result.decisions[3] == pytest.approx(0.6)
    assert result.decisions[4] == pytest.approx(0.24)
    assert result.decisions[5] == pytest.approx(0.096)
    assert result.variables["oxygen"] == {6: pytest.approx(1.0)}
    assert result.variables["salvage"] == {0: pytest.approx(1.0)}
    hack = next(c for c in result.choices if c.choice == "hack")
    assert hack.taken == pytest.approx(1.0)
    assert hack.endings == {"home": pytest.approx(0.95), "adrift": pytest.approx(0.05)}
    assert {c.choice for c in result.choices} == {"hack", "leave", "go"}


def test_a_close_vote_to_strip_the_console_leaves_the_mood_torn(example: Story) -> None:
    """Random play: among runs ending with mood greedy or torn, torn is the narrow-vote share.

    By hand: whoever strips the console sets mood greedy, or torn on `vote_narrow` (a tie,
    or a majority of 3+ ballots won by at most one ballot or 10% of them). The bridge always
    offers the same two buttons (light, strip), so a vote for strip has the winner's t
    ballots (t = 1..6, each 1/6) and, with 0.7 * 1/2 = 0.35, a runner-up `light` with c
    ballots (c = 0..t, each 1/(t+1)). Alone, it is never narrow. With a runner-up: c = t is a
    tie (any t); c = t - 1 is a majority by one of 2t - 1 ballots, 3+ when t >= 2; a margin of
    2+ is never 10% of at most 11 ballots. So a strip is torn with
    0.35/6 * (sum over t = 1..6 of 1/(t+1) + sum over t = 2..6 of 1/(t+1))
    = 0.35/6 * (1/2 + 2 * 459/420) = 0.156667.
    Lighting the beacon closes the bridge, so the last strip (if no light follows) decides
    greedy against torn, and every strip's vote is drawn afresh: torn / (greedy + torn) is
    exactly that, whatever else the run did.
    """
    result = analyse(example, Strategy(), ["mood"])
    assert result.exact
    mood = result.variables["mood"]
    assert mood["torn"] / (mood["torn"] + mood["greedy"]) == pytest.approx(
        0.35 / 6 * (1 / 2 + 2 * 459 / 420)
    )
    assert sum(result.endings.values()) + result.dropped == pytest.approx(1.0)


def test_over_the_budget_it_samples_and_the_intervals_hold_the_exact_odds(
    example: Story,
) -> None:
    exact = analyse(example)
    sampled = analyse(example, budget=50, runs=3000, seed=7)
    assert exact.exact and not sampled.exact
    assert sampled.runs == 3000
    for ending, odds in exact.endings.items():
        low, high = sampled.intervals[ending]
        assert low <= odds <= high, ending
    # A sampled strategy keeps to its preferences: hack is always taken.
    strategy = Strategy.parse(example, ["hack", "leave", "go"])
    hacked = analyse(example, strategy, budget=5, runs=500)
    assert not hacked.exact
    assert {c.choice for c in hacked.choices} == {"hack", "leave", "go"}


def test_the_vote_odds_are_the_tallies_the_simulator_draws() -> None:
    offered = ["a", "b", "c"]
    odds = vote_odds("a", offered)
    assert sum(p for p, _ in odds) == pytest.approx(1.0)
    expected: Counter[tuple] = Counter()
    for p, vote in odds:
        expected[tuple(sorted(vote.summary().items()))] += p

    class Offered:
        def __init__(self, id: str) -> None:
            self.id = id

    rng = random.Random(3)
    draws = 60_000
    seen = Counter(
        tuple(sorted(_random_vote(rng, "a", [Offered(o) for o in offered]).summary().items()))
        for _ in range(draws)
    )
    assert set(seen) <= set(expected)
    for summary, p in expected.items():
        assert seen[summary] / draws == pytest.approx(p, abs=0.005), summary


# -- the JSON --------------------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RunError(Strict):
    seed: int
    scene: str
    message: str


class ChoiceEndings(Strict):
    scene: str
    choice: str
    runs: int = Field(ge=1)
    endings: dict[str, float]


class SimulateJson(Strict):
    """What `python -m bot simulate --json` prints."""

    story: str
    runs: int
    seed: int
    finished: int
    endings: dict[str, int]
    decisions: dict[str, int]
    average_decisions: float
    longest: int
    choices: list[ChoiceEndings]
    loops: int
    dead_ends: list[RunError]
    errors: list[RunError]
    unreached_scenes: list[str]
    unreached_endings: list[str]
    unreached_choices: list[list[str]]


class ChoiceOdds(Strict):
    scene: str
    choice: str
    taken: float
    endings: dict[str, float]


class AnalyseJson(Strict):
    """What `python -m bot analyse --json` prints."""

    story: str
    strategy: list[str]
    unanimous: bool
    method: str = Field(pattern="^(exact|sampled)$")
    budget: int
    states: int
    step_limit: int
    runs: int
    dropped: float
    endings: dict[str, float]
    intervals: dict[str, list[float]]
    decisions: dict[str, float]
    variables: dict[str, dict[str, float]]
    choices: list[ChoiceOdds]


def test_simulate_json_has_runs_endings_decisions_and_each_choices_endings(capsys) -> None:
    assert main(["simulate", str(EXAMPLE), "--runs", "300", "--json"]) == 0
    data = SimulateJson.model_validate(json.loads(capsys.readouterr().out))
    assert data.runs == 300
    assert sum(data.endings.values()) == data.finished == 300
    assert sum(data.decisions.values()) == 300
    assert all(int(n) >= 1 for n in data.decisions)
    assert {(c.scene, c.choice) for c in data.choices} == {
        (scene, choice)
        for scene, choice in [
            ("airlock", "force"),
            ("airlock", "hack"),
            ("hold", "tag"),
            ("hold", "bridge"),
            ("hold", "leave"),
            ("bridge", "light"),
            ("bridge", "strip"),
            ("leaving", "go"),
            ("leaving", "wait"),
        ]
    }
    for choice in data.choices:
        assert sum(choice.endings.values()) == pytest.approx(1.0, abs=1e-3)
    wait = next(c for c in data.choices if c.choice == "wait")
    assert wait.endings == {"rescued": 1.0}


def test_simulate_table_shows_the_decisions_distribution(capsys) -> None:
    assert main(["simulate", str(EXAMPLE), "--runs", "200"]) == 0
    out = capsys.readouterr().out
    assert "Decisions to an ending" in out
    assert "ended by then" in out


def test_analyse_json_and_table(capsys) -> None:
    args = ["analyse", str(EXAMPLE), "--prefer", "hack,leave", "--prefer", "go"]
    assert main([*args, "--state", "oxygen", "beacon", "--json"]) == 0
    data = AnalyseJson.model_validate(json.loads(capsys.readouterr().out))
    assert data.method == "exact"
    assert data.strategy == ["hack", "leave", "go"]
    assert data.endings["home"] == pytest.approx(0.95)
    assert data.variables == {
        "oxygen": {"6": pytest.approx(1.0)},
        "beacon": {"false": pytest.approx(1.0)},
    }
    assert main([*args, "--state", "oxygen"]) == 0
    out = capsys.readouterr().out
    assert "Exact: " in out and "budget of 100,000" in out
    assert "95.00%" in out
    assert main(["analyse", str(EXAMPLE), "--budget", "20", "--runs", "200"]) == 0
    assert "Sampled: the state graph has more than 20" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prefer", "hack,fly"], "--prefer fly: no choice 'fly' in any scene"),
        (["--prefer", "bridge:go"], "--prefer bridge:go: no choice 'go' in scene 'bridge'"),
        (["--prefer", "deck:go"], "--prefer deck:go: the story has no scene 'deck'"),
        (["--state", "oxygen", "fuel"], "--state fuel: no variable 'fuel'"),
        (["--budget", "0"], "must be at least 1"),
    ],
)
def test_analyse_refuses_unknown_choices_and_variables(capsys, args, message) -> None:
    assert main(["analyse", str(EXAMPLE), *args]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_a_unanimous_channel_never_strips_the_console_torn(example: Story) -> None:
    """Strip whenever at the bridge: random tallies leave some runs torn; five ballots all
    for strip (turnout 5, margin 5) are never `vote_narrow`."""
    split = analyse(example, Strategy.parse(example, ["strip"]), ["mood"])
    agreed = analyse(example, Strategy.parse(example, ["strip"], unanimous=True), ["mood"])
    assert split.variables["mood"]["torn"] > 0.01
    assert "torn" not in agreed.variables["mood"]
    assert agreed.endings == pytest.approx(split.endings)  # the mood changes no odds
