"""Claim Jumpers, the first campaign: the seed's own route, every other ending, the votes the
story answers, Sofia's numbers, and a random-playthrough check of the whole graph."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.story import Story, StoryState, Turn, VoteInfo, load_story
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


def trust_changes(turn: Turn) -> list[tuple[object, object]]:
    return [(c.before, c.after) for c in turn.changes if c.name == "trust"]


@pytest.mark.parametrize(
    ("vote", "cost"),
    [
        (VoteInfo({"split": 2, "give-all": 1}), 1),  # won by one ballot out of three
        (VoteInfo({"split": 3, "give-all": 2, "torch": 1}), 1),  # by one out of six
        (VoteInfo({"split": 2, "give-all": 2}, "tie"), 1),  # a tie settled for the split
        (VoteInfo({"split": 3, "give-all": 1}), 0),  # a clear majority
        (VoteInfo({"split": 1, "give-all": 0}), 0),  # one ballot is not a close vote
        (VoteInfo({"split": 4}), 0),  # unanimous
        (VoteInfo({"split": 2, "give-all": 1}, "decided"), 0),  # a moderator decided
    ],
)
def test_a_bare_majority_for_giving_up_costs_jax_trust(
    story: Story, vote: VoteInfo, cost: int
) -> None:
    state = play_steps(story, TO_FINAL_OFFER)
    trust = state.vars["trust"]
    turn = story.play(state, "split", vote)
    # The cost is the `when:` of the split itself, read from the vote on the split.
    assert trust_changes(turn) == ([(trust, trust - 1)] if cost else [])
    assert state.vars["trust"] == trust - cost
    assert state.scene == "hands-shaking"
    text = story.view(state).text
    assert ("Wrench counted the hands" in text) == bool(cost)
    # A close vote also opens Wrench's refusal; a trusting crew after a clear one does not.
    assert ("change-mind" in offered(story, state)) == bool(cost)
    # Hiding the ten is one choice however the split went, and never charges again.
    assert offered(story, state) == [
        "shield",
        "stash",
        *(["change-mind"] if cost else []),
        "all-thirty",
    ]
    story.play(state, "shield", VoteInfo({"shield": 2, "stash": 1}))
    assert state.vars["trust"] == trust - cost


def test_the_release_pays_for_its_own_vote_not_the_one_before(story: Story) -> None:
    # A close vote to offer everything is told in the scene it leads to...
    state = play_steps(story, TO_FINAL_OFFER)
    trust = state.vars["trust"]
    story.play(state, "give-all", VoteInfo({"give-all": 2, "split": 1}))
    assert state.scene == "handover"
    assert "Wrench counted the hands" in story.view(state).text
    assert state.vars["trust"] == trust
    assert offered(story, state) == ["release-all", "tracker", "keep-ten"]
    # ...but what costs trust is how the channel votes on releasing the pod.
    together = state.copy()
    turn = story.play(together, "release-all", VoteInfo({"release-all": 4}))
    assert together.vars["trust"] == trust
    assert turn.result == "The pod drifts away with everything in it."
    turn = story.play(state, "release-all", VoteInfo({"release-all": 2, "keep-ten": 1}))
    assert state.scene == "back-to-zero"
    assert state.vars["exotic_kg"] == 0
    assert state.vars["trust"] == trust - 1
    assert turn.result is not None and "Wrench walks off the deck" in turn.result

    # The tracker gives it all up too, and a close vote on it costs the same.
    clear = play_steps(story, TO_FINAL_OFFER)
    story.play(clear, "give-all", VoteInfo({"give-all": 4}))
    assert "Hardly anyone voted to fight" in story.view(clear).text
    turn = story.play(clear, "tracker", VoteInfo({"tracker": 2, "release-all": 2}, "tie"))
    assert clear.vars["trust"] == trust - 1
    assert clear.vars["standing"] == state.vars["standing"] + 1
    assert turn.result is not None and "Wrench is gone from the deck" in turn.result


def test_a_unanimous_crew_steadies_wrenchs_hands(story: Story) -> None:
    state = play_steps(story, [*TO_FINAL_OFFER, ("split", None)])
    assert "unless every hand on the deck is behind him" in story.view(state).text
    patience, trust, eta = (state.vars[n] for n in ("patience", "trust", "eta"))
    steady = state.copy()
    turn = story.play(steady, "shield", VoteInfo({"shield": 4}))
    assert turn.result is not None and turn.result.startswith("With the crew behind him")
    assert (steady.vars["patience"], steady.vars["trust"]) == (patience, trust + 1)
    shaky = state.copy()
    turn = story.play(shaky, "shield", VoteInfo({"shield": 3, "stash": 1}))
    assert turn.result is not None and "longer than it should" in turn.result
    assert (shaky.vars["patience"], shaky.vars["trust"]) == (patience - 1, trust)
    assert steady.vars["eta"] == shaky.vars["eta"] == eta - 2
    assert steady.vars["hidden_kg"] == shaky.vars["hidden_kg"] == 10

    # At the torch, a unanimous vote to burn raises the odds rolled, and Sofia quotes both.
    start = play_steps(story, [("registration", None), ("fight", None)])
    assert start.scene == "torch-run"
    text = story.view(start).text
    odds = {}
    for name, vote in (
        ("steady", VoteInfo({"fire": 3})),
        ("split", VoteInfo({"fire": 2, "break-off": 1})),
        ("alone", VoteInfo({"fire": 1})),
    ):
        turn = story.play(start.copy(), "fire", vote, roll=True)
        assert turn.roll is not None
        assert f"{round(turn.roll.odds * 100)}%" in text
        odds[name] = turn.roll.odds
    assert odds["steady"] > odds["split"] == odds["alone"]


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


def random_vote(rng: random.Random, pick: str, others: list[str]) -> VoteInfo:
    """A tally won by `pick`: unanimous, won by one, tied, clear, a lone ballot or decided."""
    kind = rng.choice(["unanimous", "narrow", "tie", "clear", "alone", "decided"])
    rival = rng.choice(others) if others else None
    if kind == "unanimous" or rival is None:
        return VoteInfo({pick: rng.randint(2, 5)})
    if kind == "narrow":
        top = rng.randint(2, 5)
        return VoteInfo({pick: top, rival: top - 1})
    if kind == "tie":
        top = rng.randint(1, 4)
        return VoteInfo({pick: top, rival: top}, "tie")
    if kind == "clear":
        return VoteInfo({pick: rng.randint(3, 6), rival: rng.randint(0, 1)})
    if kind == "alone":
        return VoteInfo({pick: 1})
    return VoteInfo({pick: rng.randint(0, 2), rival: rng.randint(0, 3)}, "decided")


def test_no_scene_declares_two_choices_with_the_same_label(story: Story) -> None:
    for scene in story.scenes.values():
        labels = [choice.label for choice in scene.choices]
        assert len(labels) == len(set(labels)), scene.source.id


def test_no_reachable_state_offers_two_choices_with_the_same_label(story: Story) -> None:
    rng = random.Random(11)
    seen: set[tuple[str, str]] = set()
    for seed in range(3000):
        state = story.new_state(seed=seed)
        while not state.ended:
            view = story.view(state)
            labels = [choice.label for choice in view.choices]
            assert len(labels) == len(set(labels)), (view.id, labels)
            if rng.random() < 0.05 and view.has_no_decision:
                story.play_no_decision(state, VoteInfo({}, "no_decision"))
                continue
            pick = rng.choice(view.choices)
            seen.add((view.id, pick.id))
            others = [c.id for c in view.choices if c.id != pick.id]
            story.play(state, pick.id, random_vote(rng, pick.id, others))
    every = {(s.source.id, c.id) for s in story.scenes.values() for c in s.choices}
    assert seen == every


def test_every_roll_is_a_defined_name_that_sofia_quotes(story: Story) -> None:
    for scene in story.scenes.values():
        outcomes = [c.outcome for c in scene.choices]
        if scene.no_decision is not None:
            outcomes.append(scene.no_decision)
        for outcome in outcomes:
            roll = outcome.source.roll
            if roll is None:
                continue
            name = str(roll.odds)
            assert name.isidentifier() and name.endswith("_odds"), (scene.source.id, name)
            quoted = ["torch_steady_odds", "torch_odds"] if name == "fire_odds" else [name]
            for odds in quoted:
                assert f"pct({odds})" in scene.source.text, (scene.source.id, odds)


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
