"""Ballots: one per member and decision, only while the vote is open, and the tally."""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import Ballot, CampaignStatus, NewBallot
from bot.store import Store
from tests.properties import examples
from tests.store.helpers import at, offer, start

CHOICES = ("run", "fight", "talk")


async def test_a_later_click_replaces_the_members_ballot(database: str | Path) -> None:
    async with Store.open(database) as store:
        _, decision = await start(store)
        assert await store.cast_ballot(decision.id, 1, "run", at(1))
        assert await store.cast_ballot(decision.id, 2, "run", at(2))
        assert await store.cast_ballot(decision.id, 1, "talk", at(3))
        assert await store.tally(decision.id) == {"run": 1, "fight": 0, "talk": 1}
    async with Store.open(database) as store:
        assert await store.ballot_of(decision.id, 1) == Ballot(decision.id, 1, "talk", at(3))
        assert await store.ballot_of(decision.id, 3) is None
        assert await store.tally(decision.id) == {"run": 1, "fight": 0, "talk": 1}


async def test_the_tally_lists_choices_in_button_order(store: Store) -> None:
    _, decision = await start(store, first=offer(choices=("zulu", "alpha", "mike")))
    await store.cast_ballot(decision.id, 1, "mike", at(1))
    assert list((await store.tally(decision.id)).items()) == [
        ("zulu", 0),
        ("alpha", 0),
        ("mike", 1),
    ]
    assert await store.tally(decision.id + 1) == {}


async def test_no_ballot_for_a_closed_unknown_or_unoffered_choice(store: Store) -> None:
    _, decision = await start(store)
    assert await store.cast_ballot(decision.id, 1, "run", at(1))
    assert not await store.cast_ballot(decision.id, 2, "surrender", at(2))
    assert not await store.cast_ballot(decision.id + 40, 2, "run", at(2))
    await store.close_decision(
        decision.id,
        closed_at=at(10),
        outcome="run",
        how="timer",
        campaign_state_json="{}",
        campaign_status=CampaignStatus.RUNNING,
        next_decision=offer("chase", ("run", "hide"), 10),
    )
    assert not await store.cast_ballot(decision.id, 1, "fight", at(11))  # no change of mind
    assert not await store.cast_ballot(decision.id, 3, "run", at(11))  # no late arrival
    assert await store.tally(decision.id) == {"run": 1, "fight": 0, "talk": 0}
    assert await store.ballot_of(decision.id, 1) == Ballot(decision.id, 1, "run", at(1))


async def test_a_batch_commits_together_with_a_result_per_ballot(database: str | Path) -> None:
    async with Store.open(database) as store:
        _, open_vote = await start(store, 1)
        _, closed_vote = await start(store, 2)
        await store.set_campaign_status(closed_vote.campaign_id, "ended", ended_at=at(5))
        results = await store.cast_ballots(
            [
                NewBallot(open_vote.id, 1, "run", at(6)),
                NewBallot(closed_vote.id, 1, "run", at(6)),
                NewBallot(open_vote.id, 2, "nope", at(6)),
                NewBallot(open_vote.id, 2, "fight", at(7)),
                NewBallot(open_vote.id, 1, "talk", at(8)),
            ]
        )
        assert results == [True, False, False, True, True]
        assert await store.cast_ballots([]) == []
    async with Store.open(database) as store:
        assert await store.tally(open_vote.id) == {"run": 0, "fight": 1, "talk": 1}
        assert await store.tally(closed_vote.id) == {"run": 0, "fight": 0, "talk": 0}


async def test_many_members_clicking_at_once_are_all_counted(database: str | Path) -> None:
    async with Store.open(database) as store, Store.open(database) as other_shard:
        _, decision = await start(store)
        clicks = [
            (store if member % 2 else other_shard).cast_ballot(
                decision.id, member, CHOICES[member % 3], at(1)
            )
            for member in range(300)
        ]
        assert all(await asyncio.gather(*clicks))
        assert await store.tally(decision.id) == {"run": 100, "fight": 100, "talk": 100}


# --- the property: any sequence of ballots gives one ballot per member, the last one -------

member_ids = st.sampled_from([1, 2, 3, 2**62, 2**63 - 1])  # a few, so members repeat
clicks = st.tuples(member_ids, st.sampled_from([*CHOICES, "not-offered"]))
steps = st.lists(
    st.one_of(
        clicks.map(lambda c: ("one", [c])),
        st.lists(clicks, min_size=1, max_size=6).map(lambda cs: ("batch", cs)),
    ),
    max_size=25,
)


async def _replay(path: Path, plan: list[tuple[str, list[tuple[int, str]]]]) -> None:
    async with Store.open(path, synchronous="NORMAL") as store:
        _, decision = await start(store)
        last: dict[int, str] = {}
        for tick, (kind, batch) in enumerate(plan, start=1):
            if kind == "one":
                [(member, choice)] = batch
                accepted = [await store.cast_ballot(decision.id, member, choice, at(tick))]
            else:
                accepted = await store.cast_ballots(
                    [NewBallot(decision.id, m, c, at(tick)) for m, c in batch]
                )
            assert accepted == [choice in CHOICES for _, choice in batch]
            last.update((m, c) for m, c in batch if c in CHOICES)

    async with Store.open(path) as store:  # and it is what the file holds
        tally = await store.tally(decision.id)
        assert tally == {c: Counter(last.values())[c] for c in CHOICES}
        assert sum(tally.values()) == len(last)
        for member, choice in last.items():
            ballot = await store.ballot_of(decision.id, member)
            assert ballot is not None and ballot.choice_id == choice


# SQLite-specific (a temporary file): each example needs a fresh database of its own.
@settings(max_examples=examples(60), deadline=None)
@given(plan=steps)
def test_any_ballot_sequence_tallies_one_ballot_per_member_last_wins(
    plan: list[tuple[str, list[tuple[int, str]]]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_replay(Path(folder) / "deck.db", plan))
