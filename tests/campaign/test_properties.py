"""Properties of the use cases on a real store: one ballot per member, one close per vote."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.campaign import CampaignService, Closed, ManualClock, errors
from bot.store import Store
from tests.properties import examples

from .conftest import CHANNEL, GUILD, MOD

ballots = st.lists(st.tuples(st.integers(1, 6), st.integers(0, 1)), max_size=25)


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sequence=ballots)
async def test_any_ballot_sequence_counts_each_member_once(stories, sequence) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with Store.open(Path(folder) / "deck.db") as store:
            service = CampaignService(store, stories, ManualClock())
            started = await service.start(
                guild_id=GUILD, channel_id=CHANNEL, story_id="derelict", actor_id=MOD
            )
            decision = started.vote.decision_id
            last: dict[int, int] = {}
            for member, index in sequence:
                await service.cast(
                    guild_id=GUILD, decision_id=decision, choice_index=index, member_id=member
                )
                last[member] = index
            expected = {"force": 0, "hack": 0}
            for index in last.values():
                expected[["force", "hack"][index]] += 1
            assert await service.tally(decision) == expected


operations = st.lists(
    st.tuples(st.sampled_from(["timer", "skip", "decide"]), st.integers(0, 3)),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=operations)
async def test_any_interleaving_of_timer_skip_and_decide_closes_once(stories, ops) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with Store.open(Path(folder) / "deck.db") as store:
            clock = ManualClock()
            service = CampaignService(store, stories, clock)
            started = await service.start(
                guild_id=GUILD, channel_id=CHANNEL, story_id="derelict", actor_id=MOD
            )
            decision = started.vote.decision_id
            await service.cast(guild_id=GUILD, decision_id=decision, choice_index=0, member_id=1)
            clock.advance(120)

            async def run(kind: str, yields: int):
                for _ in range(yields):
                    await asyncio.sleep(0)  # let the others get ahead: a different interleaving
                if kind == "timer":
                    return await service.close_due(decision)
                if kind == "skip":
                    return await service.skip(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)
                return await service.decide(
                    guild_id=GUILD, channel_id=CHANNEL, choice_id="hack", actor_id=MOD
                )

            results = await asyncio.gather(*(run(k, y) for k, y in ops), return_exceptions=True)
            closes = [r for r in results if isinstance(r, Closed)]
            assert len(closes) == 1, results
            refused = (errors.VoteClosed, errors.NoOpenVote, type(None))
            assert all(isinstance(r, (Closed, *refused)) for r in results), results
            decisions = await store.decisions_of(started.campaign.id)
            assert [d.seq for d in decisions if d.closed_at is not None] == [1]
            campaign = await store.get_campaign(started.campaign.id)
            assert '"turn": 1' in campaign.state_json  # the story moved on exactly once
