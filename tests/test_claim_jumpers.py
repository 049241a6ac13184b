"""Claim Jumpers, the first campaign: the seed's own route, every other ending, the votes the
story answers, the rules every branch keeps (patience, the torch, time), the balance the
second draft promises (issue 14), and a random-playthrough check of the whole graph."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from bot.story import Story, StoryState, Turn, VoteInfo, load_story
from bot.story.simulate import _random_vote, simulate

STORY_DIR = Path(__file__).resolve().parents[1] / "content" / "claim-jumpers"

# A step is a choice id, or None for a vote that ended without a result; a roll is forced
# to succeed (True) or fail (False), or left alone (None).
Step = tuple[str | None, bool | None]

# The seed, decision by decision: the registration, "what about defences?", Jax's third option,
# the Belt Authority, the nickel-iron speech, the denial, "without a fight?", help is coming,
# twenty in the pod and ten hidden, the shielding, the pressurisation stall, the scan that
# misses, the withdrawal, the Independence and the debrief.
SEED_ROUTE: list[tuple[str, str, bool | None]] = [
    ("alarm", "registration", None),
    ("pod-or-pieces", "defences", None),
    ("the-odds", "call", None),
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
    ("independence", "rebuild", None),
]

TO_FINAL_OFFER: list[Step] = [(choice, roll) for _, choice, roll in SEED_ROUTE[:8]]
TO_SCAN: list[Step] = [(choice, roll) for _, choice, roll in SEED_ROUTE[:11]]
EARLY: list[Step] = [("registration", None), ("defences", None)]

# One explicit way into each ending besides the seed's.
ROUTES: dict[str, list[Step]] = {
    "pod": [*EARLY, ("run", None), ("launch", None)],
    "back-to-zero": [*TO_FINAL_OFFER, ("give-all", None), ("release-all", None)],
    "torch-strike": [*EARLY, ("fight", None), ("fire", True), ("demand", True)],
    "all-hands": [*EARLY, ("fight", None), ("fire", False), ("pod-run", False)],
    "bluff-called": [*TO_FINAL_OFFER[:7], ("bluff", False)],
    "cache-found": [*TO_SCAN, ("sit-tight", False), ("give-rest", None)],
    "in-time": [*TO_FINAL_OFFER, ("stall", True)],
}

#: Scenes where the jumpers are already shooting; everywhere else they are still talking.
FIGHT_SCENES = {"opening-fire", "torch-run", "torch-hit", "torch-miss"}
#: Endings the crew lives through, free, aboard their own ship.
ALIVE_AND_FREE = {"still-free", "back-to-zero", "torch-strike", "cache-found", "in-time"}


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


def exact_odds(
    story: Story, prefer: list[str], goal, vote=lambda choice: VoteInfo({choice: 4})
) -> float:
    """The exact chance that `goal(final state)` holds for a fixed strategy: take the first
    choice of `prefer` offered, else each offered choice with equal chance; every roll is
    enumerated with its odds; the channel always votes (`vote`)."""
    memo: dict[str, float] = {}

    def value(state: StoryState) -> float:
        if state.ended:
            return float(goal(state))
        key = repr((state.scene, sorted(state.vars.items()), sorted(state.visits.items())))
        key += repr(sorted(state.last_vote.items()))
        if key not in memo:
            ids = offered(story, state)
            picks = [choice for choice in prefer if choice in ids][:1] or ids
            total = 0.0
            for choice in picks:
                won = state.copy()
                turn = story.play(won, choice, vote(choice), roll=True)
                if turn.roll is None:
                    total += value(won)
                    continue
                lost = state.copy()
                story.play(lost, choice, vote(choice), roll=False)
                total += turn.roll.odds * value(won) + (1 - turn.roll.odds) * value(lost)
            memo[key] = total / len(picks)
        return memo[key]

    return value(story.new_state(seed=1))


def keeps_everything(state: StoryState) -> bool:
    return state.scene in ALIVE_AND_FREE and state.vars["exotic_kg"] == 30


def keeps_some(state: StoryState) -> bool:
    return state.scene in ALIVE_AND_FREE and state.vars["exotic_kg"] > 0


def test_the_story_is_big_enough(story: Story) -> None:
    assert story.id == "claim-jumpers"
    assert len(story.scenes) >= 24
    assert len(story.endings) == 8
    assert {member.name for member in story.crew.values()} == {
        "Captain Jax",
        "Kayla",
        "Wrench",
        "Sofia",
    }
    assert all(s.no_decision is not None for s in story.scenes.values())


def test_the_summary_tells_the_situation_not_the_twist(story: Story) -> None:
    assert "0412" in story.summary and "Lucky Strike" in story.summary
    for twist in ("exotic", "Freeport", "30 kg", "matter"):
        assert twist not in story.summary


def test_the_seeds_route_ends_still_free_with_ten_kilos_and_the_ship_intact(
    story: Story,
) -> None:
    state = story.new_state(seed=1)
    texts = {}
    for scene, choice, roll in SEED_ROUTE:
        assert state.scene == scene
        texts[scene] = story.view(state).text
        story.play(state, choice, roll=roll)
    assert 12 <= len(SEED_ROUTE) <= 16
    assert state.ended
    assert state.scene == "still-free"
    assert state.vars["exotic_kg"] == 10
    assert state.vars["hull"] == story.variables["hull"].max
    assert state.vars["leak_known"] is True
    assert state.vars["called"] is True
    # The seed's clock: twelve minutes when the answers come in, eight during the transfer.
    assert "seven-seven-delta-four-nine" in texts["distress"]
    assert "ETA 12 minutes" in texts["two-minutes"]
    assert "8 minutes out" in texts["pressurisation"]
    assert "30 kg of exotic matter" in texts["two-minutes"]
    # The stall, when it works, is seen: the responders on the plot and a hurried scan.
    assert "The stall held" in texts["pod-away"] and "5 minutes out" in texts["pod-away"]
    assert "behind Wrench's shielding" in texts["pod-away"]
    assert "still free" in story.view(state).text


def test_the_seeds_moves_pay(story: Story) -> None:
    seed_moves = [choice for _, choice, _ in SEED_ROUTE]
    assert exact_odds(story, seed_moves, keeps_some) >= 0.6
    # The stall beats skipping it: the scan is rushed once the responders are on the plot.
    state = play_steps(story, TO_SCAN[:10])
    (cycles,) = [c for c in story.view(state).choices if c.id == "cycles"]
    stalled = state.copy()
    story.play(stalled, "cycles", roll=True)
    hurried = state.copy()
    story.play(hurried, "hurry")
    scan = {
        name: next(c.odds for c in story.view(s).choices if c.id == "sit-tight")
        for name, s in (("stalled", stalled), ("hurried", hurried))
    }
    assert cycles.odds is not None
    assert cycles.odds * scan["stalled"] > scan["hurried"]


@pytest.mark.parametrize(
    "prefer",
    [
        # Warm the torch twice and burn at the first chance, then dare them.
        ["warm-torch", "warm-now", "fight", "fire", "demand", "again", "fire-back"],
        # The same, going for a second ship after a hit.
        ["warm-torch", "warm-now", "fight", "fire", "second", "again", "fire-back"],
        # Talk until the jumper closes in at the reveal, burn it there.
        ["warm-torch", "call", "belt-authority", "talk-value", "torch-close", "fire", "demand"],
        # The same, then run for the responders after a hit.
        ["warm-torch", "call", "belt-authority", "talk-value", "torch-close", "fire", "run"],
        # Refuse the final offer with the torch, holding on for help after a miss.
        [*[c for c, _ in TO_FINAL_OFFER], "torch", "fire", "run", "hold-on", "again"],
    ],
)
def test_the_torch_is_a_gamble_that_rarely_keeps_everything(
    story: Story, prefer: list[str]
) -> None:
    # Even with the whole crew behind every burn.
    assert exact_odds(story, prefer, keeps_everything) <= 0.25


def test_jumpers_who_were_shot_do_not_bargain(story: Story) -> None:
    missed = play_steps(story, [*EARLY, ("fight", None), ("fire", False)])
    assert missed.scene == "torch-miss"
    assert missed.vars["hull"] == 75
    assert "handover" not in {c.outcome.source.goto for c in story.scenes["torch-miss"].choices}
    story.play(missed, "surrender")
    assert missed.scene == "bluff-called"
    assert "tried to burn" in story.view(missed).text
    # A failed dare puts them on weapons free, where giving in is no longer offered.
    hit = play_steps(story, [*EARLY, ("fight", None), ("fire", True), ("demand", False)])
    assert hit.scene == "opening-fire"
    assert "give-in" not in offered(story, hit) and "surrender" in offered(story, hit)
    assert "Nobody offers terms" in story.view(hit).text


def test_patience_at_zero_means_they_open_fire(story: Story) -> None:
    state = play_steps(
        story,
        [("log-them", None), ("warm-now", None), ("call", None), ("belt-authority", None)],
    )
    story.play(state, "talk-value")
    story.play(state, "deny")
    assert state.scene == "freeport" and state.vars["patience"] == 1
    assert "defy" not in offered(story, state)
    story.play(state, "defy-last")
    assert state.scene == "opening-fire" and state.vars["patience"] == 0
    assert story.view(state).text.startswith("The jumpers are done being patient.")


def test_a_channel_that_misses_its_first_votes_is_not_dead(story: Story) -> None:
    state = play_steps(story, [(None, None), (None, None)])
    assert state.scene == "the-odds" and not state.ended
    assert state.vars["hull"] == 80
    assert "Hull at 80%" in story.view(state).text
    assert len(offered(story, state)) == 4
    # Two more missed votes: a warning shot, then Kayla hits the beacon herself.
    story.play_no_decision(state, VoteInfo({}, "no_decision"))
    assert state.scene == "warning-shot"
    story.play_no_decision(state, VoteInfo({}, "no_decision"))
    assert state.scene == "distress" and state.vars["called"] is True
    assert story.view(state).text.startswith("Nobody touched the switch, so Kayla did.")


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
    assert torch.vars["hull"] == 75
    assert "all 30 kg" in story.view(torch).text and "hull at 75%" in story.view(torch).text


def test_where_the_ten_kilos_are_is_where_the_text_says(story: Story) -> None:
    split = play_steps(story, [*TO_FINAL_OFFER, ("split", None)])
    tank = split.copy()
    story.play(tank, "stash")
    assert tank.vars["cache"] == "tank"
    assert "wedged behind the water tank" in story.view(tank).text
    story.play(tank, "hurry")
    assert "behind the water tank, behind nothing but water" in story.view(tank).text
    story.play(tank, "sit-tight", roll=False)
    assert "on the water tank" in story.view(tank).text
    assert "shielding" not in story.view(tank).text.split("Wrench mutters")[0]


def trust_changes(turn: Turn) -> list[tuple[object, object]]:
    return [(c.before, c.after) for c in turn.changes if c.name == "trust"]


@pytest.mark.parametrize(
    ("vote", "cost"),
    [
        (VoteInfo({"split": 2, "give-all": 1}), 1),  # won by one ballot out of three
        (VoteInfo({"split": 16, "give-all": 14}), 1),  # by a tenth of a big channel at most
        (VoteInfo({"split": 2, "give-all": 2}, "tie"), 1),  # a tie settled for the split
        (VoteInfo({"split": 3, "give-all": 1}), 0),  # a clear majority
        (VoteInfo({"split": 20, "give-all": 10}), 0),  # two thirds of a big channel
        (VoteInfo({"split": 1}), 0),  # one ballot is not a close vote
        (VoteInfo({"split": 4}), 0),  # unanimous
        (VoteInfo({"split": 2, "give-all": 2}, "decided"), 0),  # a moderator decided
    ],
)
def test_a_bare_majority_for_giving_up_costs_jax_trust(
    story: Story, vote: VoteInfo, cost: int
) -> None:
    state = play_steps(story, TO_FINAL_OFFER)
    trust = state.vars["trust"]
    turn = story.play(state, "split", vote)
    assert trust_changes(turn) == ([(trust, trust - 1)] if cost else [])
    assert state.scene == "hands-shaking"
    text = story.view(state).text
    assert ("Wrench counted the hands" in text) == bool(cost)
    assert ("refuse" in offered(story, state)) == bool(cost)


def test_a_crew_behind_wrench_steadies_his_hands(story: Story) -> None:
    state = play_steps(story, [*TO_FINAL_OFFER, ("split", None)])
    state.vars["trust"] = trust = 3  # below the top, so the gain shows
    steady = state.copy()
    turn = story.play(steady, "shield", VoteInfo({"shield": 19, "stash": 1}))
    assert turn.result is not None and turn.result.startswith("With the crew behind him")
    assert steady.vars["trust"] == trust + 1
    shaky = state.copy()
    turn = story.play(shaky, "shield", VoteInfo({"shield": 3, "stash": 1}))
    assert turn.result is not None and "longer than it should" in turn.result
    assert shaky.vars["trust"] == trust

    start = play_steps(story, [*EARLY, ("fight", None)])
    text = story.view(start).text
    odds = {}
    for name, vote in (
        ("behind", VoteInfo({"fire": 10, "break-off": 1})),
        ("split", VoteInfo({"fire": 3, "break-off": 1})),
    ):
        turn = story.play(start.copy(), "fire", vote, roll=True)
        assert turn.roll is not None
        assert f"{round(turn.roll.odds * 100)}%" in text
        odds[name] = turn.roll.odds
    assert odds["behind"] > odds["split"]


def walk(story: Story, runs: int, seed: int):
    """Random playthroughs with random tallies; yields each state before its decision."""
    rng = random.Random(seed)
    for run in range(runs):
        state = story.new_state(seed=run)
        while not state.ended:
            yield state
            scene = story.scenes[state.scene]
            choices = story.offered(state)
            if rng.random() < 0.1 and scene.no_decision is not None:
                story.play_no_decision(state, VoteInfo({}, "no_decision"))
                continue
            pick = rng.choice(choices)
            story.play_offered(state, pick, _random_vote(rng, pick.id, choices))


def test_every_state_keeps_the_storys_rules(story: Story) -> None:
    seen = 0
    for state in walk(story, 3000, seed=5):
        view = story.view(state)
        ids = [c.id for c in view.choices]
        where = (state.scene, [step["choice"] for step in state.path])
        assert len(ids) >= 2, where  # no vote offers one button
        labels = [c.label for c in view.choices]
        assert len(labels) == len(set(labels)), where
        if state.scene not in FIGHT_SCENES:
            assert state.vars["patience"] >= 1, where
        if state.vars["fired"]:
            assert not {"give-all", "give-in", "split", "release-all"} & set(ids), where
        if state.vars["called"] and state.scene not in {"independence"}:
            assert state.vars["eta"] >= 1, where
        for choice in view.choices:
            if choice.odds is not None:
                assert f"{round(choice.odds * 100)}%" in view.text, (where, choice.id)
        seen += 1
    assert seen > 10_000


def test_no_text_repeats_on_a_revisit(story: Story) -> None:
    for state in walk(story, 2000, seed=9):
        if state.visits.get(state.scene, 0) > 1 and state.scene == "hands-shaking":
            assert story.view(state).text.startswith("Wrench is back in the cargo bay")
        if state.visits.get(state.scene, 0) > 1 and state.scene == "opening-fire":
            assert story.view(state).text.startswith("They come round for another pass")


def test_every_roll_is_a_defined_name_that_the_scene_quotes(story: Story) -> None:
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


def test_random_playthroughs_reach_everything_and_keep_the_pacing(story: Story) -> None:
    report = simulate(story, 10_000, seed=1)
    assert not report.errors
    assert not report.dead_ends
    assert not report.loops
    assert not report.unreached_scenes
    assert not report.unreached_endings
    assert not report.unreached_choices
    assert set(report.endings) == set(story.endings)
    for ending, runs in report.endings.items():
        assert 200 <= runs <= 3500, ending
    lengths = Counter(report.lengths)
    assert sum(n for decisions, n in lengths.items() if decisions <= 4) <= 1000
