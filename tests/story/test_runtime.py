"""Playing stories: conditions, effects and clamping, rolls, visits, substitution, votes,
and a state that survives a trip through JSON."""

from __future__ import annotations

import json

import pytest

from bot.story import NoOutcome, NotOffered, Story, StoryOver, StoryState, VoteInfo


def offered_ids(story: Story, state: StoryState) -> list[str]:
    return [choice.id for choice in story.view(state).choices]


def test_new_state_starts_at_the_start_with_initial_values(example: Story) -> None:
    state = example.new_state(seed=7)
    assert state.scene == "airlock"
    assert state.vars == {"oxygen": 6, "salvage": 0, "beacon": False, "mood": "calm"}
    assert state.visits == {"airlock": 1}
    view = example.view(state)
    assert view.title == "The Airlock"
    assert view.speaker is not None and view.speaker.name == "Mira Okafor"
    assert "6 hours of air" in view.text
    assert [str(item) for item in view.status] == ["Air 6h", "Salvage 0"]
    assert [(c.id, c.odds) for c in view.choices] == [("force", None), ("hack", 0.6)]


def test_conditions_open_and_close_choices(example: Story) -> None:
    state = example.new_state(seed=1)
    example.play(state, "force")
    assert offered_ids(example, state) == ["tag", "bridge", "leave"]
    example.play(state, "bridge")
    example.play(state, "light")
    assert state.vars["beacon"] is True
    assert offered_ids(example, state) == ["tag", "leave"]
    with pytest.raises(NotOffered):
        example.play(state, "bridge")
    example.play(state, "leave")
    assert offered_ids(example, state) == ["go", "wait"]


def test_effects_add_and_set_are_clamped_to_bounds(example: Story) -> None:
    state = example.new_state(seed=1)
    state.vars["oxygen"] = 0
    turn = example.play_no_decision(state)
    assert state.vars["oxygen"] == 0
    assert [(c.name, c.before, c.after) for c in turn.changes] == [("oxygen", 0, 0)]
    state = example.new_state(seed=1)
    example.play(state, "force")
    state.vars["salvage"] = 3
    example.play(state, "bridge")
    turn = example.play(state, "strip")
    assert state.vars["salvage"] == 3
    assert state.vars["mood"] == "greedy"
    assert ("salvage", 3, 3) in [(c.name, c.before, c.after) for c in turn.changes]


def test_rolls_are_deterministic_for_a_seed_and_can_be_forced(example: Story) -> None:
    outcomes = set()
    for seed in range(40):
        first = example.new_state(seed)
        second = example.new_state(seed)
        a = example.play(first, "hack")
        b = example.play(second, "hack")
        assert a.roll == b.roll and first.scene == second.scene
        assert a.roll is not None and a.roll.odds == 0.6
        assert a.roll.success == (a.roll.drawn < 0.6)
        outcomes.add(first.scene)
    assert outcomes == {"hold", "airlock"}
    forced = example.new_state(3)
    assert example.play(forced, "hack", roll=False).to == "airlock"
    forced = example.new_state(3)
    assert example.play(forced, "hack", roll=True).to == "hold"


def test_odds_read_the_state_after_effects(example: Story) -> None:
    state = example.new_state(seed=1)
    example.play(state, "force")
    example.play(state, "leave")
    view = example.view(state)
    assert [c.odds for c in view.choices] == [pytest.approx(0.85)]  # 0.35 + 0.1 * 5 air
    state.vars["oxygen"] = 6
    assert example.view(state).choices[0].odds == pytest.approx(0.95)  # capped by min()


def test_visits_are_counted_and_readable_in_text(example: Story) -> None:
    state = example.new_state(seed=1)
    example.play(state, "force")
    assert state.visits["hold"] == 1
    assert "boot prints" not in example.view(state).text
    example.play(state, "tag")
    assert state.visits["hold"] == 2
    assert "boot prints" in example.view(state).text


def test_the_story_reads_how_the_channel_voted(example: Story) -> None:
    state = example.new_state(seed=1)
    example.play(state, "force", VoteInfo({"force": 3, "hack": 2}))
    assert state.last_vote == {
        "vote_turnout": 5,
        "vote_margin": 1,
        "vote_share": 0.6,
        "vote_margin_share": 0.2,
        "vote_turnout_ratio": 1.0,
        "vote_unanimous": False,
        "vote_united": False,
        "vote_narrow": True,
        "vote_how": "majority",
    }
    assert "one mind" not in example.view(state).text
    example.play(state, "tag", VoteInfo({"tag": 4}))
    assert state.last_vote["vote_unanimous"] is True
    assert state.last_vote["vote_turnout_ratio"] == 0.8  # 4 ballots against last vote's 5
    assert "The crew is of one mind." in example.view(state).text


@pytest.mark.parametrize(
    ("counts", "how", "share", "margin_share", "united", "narrow"),
    [
        ({"a": 16, "b": 14}, "majority", 16 / 30, 2 / 30, False, True),  # close in a big channel
        ({"a": 2, "b": 1}, "majority", 2 / 3, 1 / 3, False, True),  # one ballot in a small one
        ({"a": 60, "b": 40}, "majority", 0.6, 0.2, False, False),
        ({"a": 27, "b": 3}, "majority", 0.9, 0.8, True, False),  # never unanimous, but united
        ({"a": 5, "b": 5}, "tie", 0.5, 0.0, False, True),
        ({"a": 1}, "majority", 1.0, 1.0, False, False),  # one voter is no crew
    ],
)
def test_vote_shares_scale_with_the_channel(counts, how, share, margin_share, united, narrow):
    summary = VoteInfo(counts, how).summary(previous_turnout=20)
    assert summary["vote_share"] == pytest.approx(share)
    assert summary["vote_margin_share"] == pytest.approx(margin_share)
    assert summary["vote_turnout_ratio"] == pytest.approx(sum(counts.values()) / 20)
    assert (summary["vote_united"], summary["vote_narrow"]) == (united, narrow)


def test_no_decision_outcome_and_its_absence(example: Story) -> None:
    state = example.new_state(seed=1)
    turn = example.play_no_decision(state)
    assert turn.how == "no_decision" and turn.choice is None
    assert turn.result == "Nobody moves, and the suits tick away an hour of air."
    assert state.vars["oxygen"] == 5 and state.visits["airlock"] == 2
    assert state.last_vote["vote_how"] == "no_decision"
    example.play(state, "force")
    example.play(state, "bridge")
    with pytest.raises(NoOutcome):
        example.play_no_decision(state)


def test_an_ending_stops_play_and_shows_its_epilogue(example: Story) -> None:
    state = example.new_state(seed=1)
    example.play(state, "force")
    example.play(state, "tag")
    example.play(state, "leave")
    turn = example.play(state, "go", roll=True)
    assert turn.ended and state.ended and state.scene == "home"
    view = example.view(state)
    assert view.ending and view.choices == ()
    assert view.text.startswith("You cast off with 1 crates")
    with pytest.raises(StoryOver):
        example.play(state, "go")


def test_state_round_trips_through_json_mid_story(example: Story) -> None:
    state = example.new_state(seed=99)
    example.play(state, "hack", VoteInfo({"hack": 2, "force": 1}))
    example.play_no_decision(state) if state.scene == "airlock" else example.play(state, "tag")
    text = json.dumps(state.to_json())
    restored = StoryState.from_json(json.loads(text))
    assert restored == state
    for choice in ("leave", "go"):
        if choice in offered_ids(example, state):
            a = example.play(state, choice)
            b = example.play(restored, choice)
            assert a == b
    assert restored == state


def test_from_json_refuses_malformed_state() -> None:
    from bot.story import StoryRuntimeError

    with pytest.raises(StoryRuntimeError):
        StoryState.from_json({"story_id": "x", "seed": "not a number"})


def test_definitions_expand_and_conditional_effects_read_the_vote(example: Story) -> None:
    state = example.new_state(seed=1)
    example.play(state, "force")
    state.vars["oxygen"] = 2
    assert "low, polite beeping" in example.view(state).text  # short_of_air: oxygen <= 2
    example.play(state, "bridge")
    close = state.copy()
    turn = example.play(close, "strip", VoteInfo({"strip": 2, "light": 1}))
    assert close.vars["mood"] == "torn"  # a split vote: the `when:` block applied after `set`
    assert [(c.name, c.after) for c in turn.changes][-1] == ("mood", "torn")
    clear = state.copy()
    example.play(clear, "strip", VoteInfo({"strip": 3}))
    assert clear.vars["mood"] == "greedy"
