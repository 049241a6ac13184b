"""The batch close of overdue votes writes what the one-by-one close writes."""

from __future__ import annotations

import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.campaign import turns
from bot.campaign.backlog import state_json
from bot.story import Story, VoteInfo
from tests.campaign.conftest import ROOT


def walk(story: Story, seed: int, steps: int):
    """A random walk through the story: the states and turns it passes."""
    rng = random.Random(seed)
    state = story.new_state(seed)
    seen = [(state.copy(), None)]
    for _ in range(steps):
        offered = story.offered(state)
        if state.ended or not offered:
            break
        choice = rng.choice(offered).id
        turn = story.play(state, choice, VoteInfo({choice: rng.randrange(1, 5)}, "majority"))
        seen.append((state.copy(), turn))
    return seen


_STORY: list[Story] = []


def derelict() -> Story:
    from bot.story import load_story

    if not _STORY:
        _STORY.append(load_story(ROOT / "docs" / "example-story"))
    return _STORY[0]


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), steps=st.integers(0, 12))
def test_state_json_is_the_text_of_to_json_and_turns_read_back(seed: int, steps: int) -> None:
    for state, turn in walk(derelict(), seed, steps):
        assert state_json(state) == json.dumps(state.to_json())
        if turn is not None:
            text = turns.view_json(turn, [turn], None)
            assert turns.read_view(text) == (turn, (turn,), None)
