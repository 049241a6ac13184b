"""Claim Jumpers, the first campaign: the seed's own route, every other ending, the votes the
story answers, Sofia's numbers, and a random-playthrough check of the whole graph."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.story import Story, StoryState, VoteInfo, load_story
from bot.story.simulate import simulate

STORY_DIR = Path(__file__).resolve().parents[1] / "content" / "claim-jumpers"

# A step is a choice id, or None for a vote that ended without a result; a roll is forced
# to succeed (True) or fail (False), or left alone (None).
Step = tuple[str | None, bool | None]

# The seed, decision by decision: the registration, Jax's third option, the Belt Authority,
# the nickel-iron speech, the denial, "without a fight?", help is coming, twenty in the pod
# and ten hidden, the shielding, the pressurisation stall, the scan that misses, the
# withdrawal, the Independence, the debrief.
SEED_ROUTE: list[tuple[str, str, bool | None]] = [
    ("alarm", "registration", None),
    ("pod-or-pieces", "call", None),
    ("distress", "belt-authority", None),
    ("weighing", "talk-value", None),
    ("reveal", "deny", None),
    ("freeport", "defy", None),
    ("two-minutes", "tell-help", None),
    ("final-offer", "split", None),
    ("hands-shaking", "shield", None),
    ("pressurisation", "cycles", True),
    ("pod-away", "sit-tight", True),
    ("withdrawal", "let-go", None),
    ("independence", "truth", None),
    ("debrief", "rebuild", None),
]

# The seed's route up to the final offer, shared by several branches below.
TO_FINAL_OFFER: list[Step] = [(choice, roll) for _, choice, roll in SEED_ROUTE[:7]]
TO_SCAN: list[Step] = [(choice, roll) for _, choice, roll in SEED_ROUTE[:10]]

# One explicit way into each ending besides the seed's.
ROUTES: dict[str, list[Step]] = {
    "pod": [("registration", None), ("run", None), ("launch", None)],
    "back-to-zero": [*TO_FINAL_OFFER, ("give-all", None), ("release-all", None)],
    "torch-strike": [("registration", None), ("fight", None), ("fire", True), ("demand", None)],
    # The crew freezes twice: the jumpers fire a warning shot, then stop warning.
    "all-hands": [("registration", None), (None, None), (None, None)],
    "bluff-called": [*TO_FINAL_OFFER[:6], ("bluff", False)],
    "cache-found": [*TO_SCAN, ("sit-tight", False), ("give-rest", None)],
    "in-time": [*TO_FINAL_OFFER, ("stall", True), ("let-them-run", None)],
}


@pytest.fixture(scope="module")
def story() -> Story:
    return load_story(STORY_DIR)


def play_steps(story: Story, steps: list[Step], seed: int = 1) -> StoryState:
    state = story.new_state(seed=seed)
    for choice, roll in steps:
        if choice is None:
            story.play_no_decision(state, VoteInfo({}, "no_decision"), roll=roll)
        else:
            story.play(state, choice, roll=roll)
    return state


def offered(story: Story, state: StoryState) -> list[str]:
    return [choice.id for choice in story.view(state).choices]


def test_the_story_is_big_enough(story: Story) -> None:
    assert story.id == "claim-jumpers"
    assert len(story.scenes) >= 24
    assert len(story.endings) >= 7
    assert {member.name for member in story.crew.values()} == {
        "Captain Jax",
        "Kayla",
        "Wrench",
        "Sofia",
    }
    with_timeout = [s for s in story.scenes.values() if s.no_decision is not None]
    assert len(with_timeout) >= 0.9 * len(story.scenes)


def test_the_seeds_route_ends_still_free_with_ten_kilos_and_the_ship_intact(
    story: Story,
) -> None:
    state = story.new_state(seed=1)
    texts = {}
    for scene, choice, roll in SEED_ROUTE:
        assert state.scene == scene
        texts[scene] = story.view(state).text
        story.play(state, choice, roll=roll)
    assert state.ended
    assert state.scene == "still-free"
    assert state.vars["exotic_kg"] == 10
    assert state.vars["hull"] == story.variables["hull"].max
    assert state.vars["leak_known"] is True
    assert state.vars["called_for_help"] is True
    # The seed's clock: twelve minutes when the answers come in, eight during the transfer.
    assert "seven-seven-delta-four-nine" in texts["distress"]
    assert "ETA 12 minutes" in texts["two-minutes"]
    assert "8 minutes out" in texts["pressurisation"]
    assert "30 kg of exotic matter" in texts["two-minutes"]
    assert "still free" in story.view(state).text


@pytest.mark.parametrize("ending", sorted(ROUTES))
def test_each_other_ending_is_reachable(story: Story, ending: str) -> None:
    state = play_steps(story, ROUTES[ending])
    assert state.ended
    assert state.scene == ending
    assert story.view(state).ending


def test_the_routes_cover_every_ending(story: Story) -> None:
    assert {*ROUTES, "still-free"} == set(story.endings)


def test_what_each_ending_leaves_aboard(story: Story) -> None:
    kept = {
        ending: play_steps(story, ROUTES[ending]).vars["exotic_kg"]
        for ending in ("back-to-zero", "torch-strike", "cache-found", "in-time")
    }
    assert kept == {"back-to-zero": 0, "torch-strike": 30, "cache-found": 0, "in-time": 30}
    torch = play_steps(story, ROUTES["torch-strike"])
    assert torch.vars["hull"] < story.variables["hull"].max


def test_a_bare_majority_for_giving_up_costs_jax_trust(story: Story) -> None:
    state = play_steps(story, TO_FINAL_OFFER)
    trust = state.vars["trust"]
    story.play(state, "split", VoteInfo({"split": 2, "give-all": 1}))
    assert "Wrench counted the hands" in story.view(state).text
    assert "shield-sullen" in offered(story, state)
    assert "shield" not in offered(story, state)
    # A close vote also opens Wrench's refusal.
    assert "change-mind" in offered(story, state)
    story.play(state, "shield-sullen")
    assert state.vars["trust"] == trust - 1

    clear = play_steps(story, TO_FINAL_OFFER)
    story.play(clear, "split", VoteInfo({"split": 3, "give-all": 1}))
    assert "shield" in offered(story, clear)
    story.play(clear, "shield")
    assert clear.vars["trust"] == trust


def test_a_unanimous_crew_steadies_wrenchs_hands(story: Story) -> None:
    state = play_steps(story, TO_FINAL_OFFER)
    patience = state.vars["patience"]
    story.play(state, "split", VoteInfo({"split": 4}))
    assert "his hands go still" in story.view(state).text
    assert "shield-steady" in offered(story, state)
    story.play(state, "shield-steady")
    assert state.vars["patience"] == patience

    # At the torch, a unanimous vote raises Wrench's odds.
    steady = play_steps(story, [("registration", None)])
    story.play(steady, "fight", VoteInfo({"fight": 3}))
    shaky = play_steps(story, [("registration", None)])
    story.play(shaky, "fight", VoteInfo({"fight": 2, "run": 1}))
    (steady_odds,) = [c.odds for c in story.view(steady).choices if c.id == "fire-steady"]
    (shaky_odds,) = [c.odds for c in story.view(shaky).choices if c.id == "fire"]
    assert steady_odds is not None and shaky_odds is not None
    assert steady_odds > shaky_odds


def test_a_vote_nobody_joined_is_the_crew_freezing(story: Story) -> None:
    state = story.new_state(seed=1)
    story.play_no_decision(state, VoteInfo({}, "no_decision"))
    assert state.scene == "pod-or-pieces"
    assert story.view(state).text.startswith("The deck stayed silent")
    patience = state.vars["patience"]
    story.play_no_decision(state, VoteInfo({}, "no_decision"))
    assert state.scene == "warning-shot"
    assert state.vars["hull"] < story.variables["hull"].max
    assert state.vars["patience"] == patience - 1


def test_earlier_choices_open_and_close_later_ones(story: Story) -> None:
    # Without the distress call there is no help to talk about, only a late call.
    quiet = play_steps(
        story,
        [
            ("registration", None),
            ("call", None),
            ("cut-beacon", None),
            ("talk-value", None),
            ("deny", None),
            ("defy", None),
        ],
    )
    assert quiet.scene == "two-minutes"
    assert "tell-help" not in offered(story, quiet)
    assert "call-now" in offered(story, quiet)
    # A compartment shielded early only needs the cargo slid in.
    early = play_steps(
        story,
        [
            ("registration", None),
            ("call", None),
            ("belt-authority", None),
            ("prep-compartment", None),
            ("deny", None),
            ("defy", None),
            ("tell-help", None),
            ("split", None),
        ],
    )
    assert early.scene == "hands-shaking"
    assert "slide-in" in offered(story, early)
    assert not any(c.startswith("shield") for c in offered(story, early))


def test_a_bluff_lands_better_when_help_is_close(story: Story) -> None:
    def bluff_odds(state: StoryState) -> float:
        (odds,) = [c.odds for c in story.view(state).choices if c.id == "bluff"]
        assert odds is not None
        return odds

    near = play_steps(story, TO_FINAL_OFFER[:6])
    far = near.copy()
    far.vars["eta"] = 15
    none = near.copy()
    none.vars["called_for_help"] = False
    assert bluff_odds(near) > bluff_odds(far) > bluff_odds(none)


def test_sofia_states_the_odds_of_every_roll_offered(story: Story) -> None:
    rng = random.Random(3)
    checked = 0
    for seed in range(300):
        state = story.new_state(seed=seed)
        while not state.ended:
            view = story.view(state)
            for choice in view.choices:
                if choice.odds is not None:
                    assert f"{round(choice.odds * 100)}%" in view.text, (view.id, choice.id)
                    checked += 1
            if rng.random() < 0.1 and view.has_no_decision:
                story.play_no_decision(state, VoteInfo({}, "no_decision"))
                continue
            pick = rng.choice(view.choices)
            others = [c.id for c in view.choices if c.id != pick.id]
            counts = {pick.id: rng.randint(1, 4)}
            if others and rng.random() < 0.5:
                counts[rng.choice(others)] = rng.randint(0, counts[pick.id] - 1)
            story.play(state, pick.id, VoteInfo(counts))
    assert checked > 100


def test_random_playthroughs_reach_everything_and_always_end(story: Story) -> None:
    report = simulate(story, 10_000, seed=1)
    assert not report.errors
    assert not report.dead_ends
    assert not report.loops
    assert not report.unreached_scenes
    assert not report.unreached_endings
    assert set(report.endings) == set(story.endings)
    for ending, runs in report.endings.items():
        assert runs >= 100, ending
