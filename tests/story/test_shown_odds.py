"""Property: the odds a member is shown for a choice are the odds it rolls.

For every roll of every story under content/ (and the format's example), 1,000 random runs:
before each decision the view's odds are read for the kind of vote the channel then casts
(a random split won by the picked choice, in channels of 1 to 60), and the roll made when the
choice is played must use exactly those odds, after the choice's own effects.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.story import Story, VoteInfo, load_story
from bot.story.lines import odds_text
from bot.story.loader import story_folders
from bot.story.runtime import KIND_CLEAR, KIND_UNITED, OddsCase, vote_kind

from .helpers import EXAMPLE, ROOT, TINY, write_story

RUNS = 1000
STORIES = [*story_folders(ROOT / "content"), EXAMPLE]


def random_vote(rng: random.Random, winner: str, offered: list[str]) -> VoteInfo:
    """A channel's split that `winner` wins (a tie broken for it now and then)."""
    turnout = rng.randint(1, 60)
    counts = dict.fromkeys(offered, 0)
    leaning = rng.choice([0.0, 0.5, 0.9, 1.0])  # from an open split to a unanimous crew
    for _ in range(turnout):
        pick = winner if rng.random() < leaning else rng.choice(offered)
        counts[pick] += 1
    leader = max(counts, key=lambda c: counts[c])
    counts[winner], counts[leader] = counts[leader], counts[winner]
    tied = sum(1 for n in counts.values() if n == counts[winner]) > 1
    return VoteInfo({c: n for c, n in counts.items() if n}, "tie" if tied else "majority")


def check_runs(story: Story, runs: int) -> dict[str, int]:
    """Play `runs` random games; return how many rolls were checked per kind of vote."""
    checked: dict[str, int] = {}
    for seed in range(runs):
        rng = random.Random(seed)
        state = story.new_state(seed)
        for _ in range(200):
            if state.ended:
                break
            view = story.view(state)
            if not view.choices:
                story.play_no_decision(state)
                continue
            choice = rng.choice(view.choices)
            vote = random_vote(rng, choice.id, [c.id for c in view.choices])
            kind = vote_kind(vote.summary(state.last_vote["vote_turnout"]))
            shown = choice.odds_for(kind)
            turn = story.play(state, choice.id, vote)
            if turn.roll is None:
                assert shown is None
                continue
            assert shown is not None
            where = f"seed {seed}, scene {turn.scene}, choice {choice.id}, {kind} vote"
            assert shown.low == shown.high == turn.roll.odds, where
            checked[kind] = checked.get(kind, 0) + 1
    return checked


@pytest.mark.parametrize("folder", STORIES, ids=lambda p: p.name)
def test_every_shown_odds_is_the_odds_rolled(folder: Path) -> None:
    checked = check_runs(load_story(folder), RUNS)
    assert sum(checked.values()) > RUNS // 10  # the runs did reach rolls


def test_claim_jumpers_shows_the_united_crews_odds_beside_the_others() -> None:
    story = load_story(ROOT / "content" / "claim-jumpers")
    cases = story.scenes["torch-run"].by_id["fire"]
    state = story.new_state(1)
    state.scene = "torch-run"
    shown = story.odds_cases(state, cases.outcome)
    united = next(c for c in shown if c.kind == KIND_UNITED)
    clear = next(c for c in shown if c.kind == KIND_CLEAR)
    assert united.low > clear.low
    assert odds_text(shown) == (
        f"{round(united.low * 100)}% if 90% or more of the crew back it,"
        f" else {round(clear.low * 100)}%"
    )


def test_odds_are_shown_after_the_choices_own_effects(tmp_path: Path) -> None:
    """The bug of issue 13: a choice that spends fuel before its roll showed the odds of
    the fuel it had, not the fuel it rolls with."""
    text = TINY.replace(
        "        goto: done\n",
        "        effects:\n          add: {fuel: 2}\n"
        "        roll:\n          odds: fuel / 5\n          success: done\n          failure: done\n",
    )
    story = load_story(write_story(tmp_path / "tiny", text))
    state = story.new_state(1)
    choice = story.view(state).choices[0]
    assert choice.odds == 1.0  # fuel 3 + 2, not 3 / 5
    assert odds_text(choice.odds_cases) == "100%"
    assert story.play(state, "go").roll.odds == 1.0


def test_odds_that_read_the_vote_are_shown_for_each_kind(tmp_path: Path) -> None:
    text = TINY.replace(
        "        goto: done\n",
        "        effects:\n          when:\n            - if: vote_narrow\n"
        "              add: {fuel: -3}\n"
        "        roll:\n          odds: '(0.55 if vote_unanimous else 0.4) + fuel / 100'\n"
        "          success: done\n          failure: done\n",
    )
    story = load_story(write_story(tmp_path / "tiny", text))
    choice = story.view(story.new_state(1)).choices[0]
    assert odds_text(choice.odds_cases) == (
        "58% if the crew is unanimous, 40% on a narrow vote, else 43%"
    )
    cases = {c.kind: c for c in choice.odds_cases}
    assert cases["unanimous"] == OddsCase("unanimous", pytest.approx(0.58), pytest.approx(0.58))
    for vote, expected in [
        (VoteInfo({"go": 12}), 0.58),
        (VoteInfo({"go": 11, "x": 1}), 0.43),  # united but not unanimous
        (VoteInfo({"go": 16, "x": 14}), 0.40),  # narrow: the fuel is spent first
        (VoteInfo({"go": 1}), 0.43),
    ]:
        state = story.new_state(1)
        assert story.play(state, "go", vote).roll.odds == pytest.approx(expected)
