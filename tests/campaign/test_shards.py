"""Several processes on one database, each with its own shards (issue 15, item 3): each
schedules, closes at start, sweeps and posts only the votes of its own guilds, and the store
stays right whichever of them gets to a vote. On both backends (issue 17: shard processes
share one PostgreSQL database); PostgreSQL's runs skip where no server is reachable."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import pytest

from bot.campaign import CampaignService, DeadlineScheduler, Housekeeping, ManualClock
from bot.domain import Shards
from bot.store import Store
from bot.story import Story
from tests.postgres import postgres_url

__all__ = ["postgres_url"]

SHARDS = 2
#: A guild on each shard: Discord's rule is shard = (guild_id >> 22) % shard count.
GUILD_ON = {0: 0 << 22 | 17, 1: 1 << 22 | 17}


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """The one database both processes share."""
    if request.param == "sqlite":
        return tmp_path / "deck.db"
    return str(request.getfixturevalue("postgres_url"))


async def processes(path: str | Path, stories: dict[str, Story], stack: AsyncExitStack):
    """Two 'processes': a store, scheduler and service each, shards 0 and 1, one file."""
    clock = ManualClock()
    made = []
    for shard in (0, 1):
        store = await stack.enter_async_context(Store.open(path))
        scheduler = DeadlineScheduler(clock)
        stack.push_async_callback(scheduler.stop)
        service = CampaignService(
            store, stories, clock, scheduler, shards=Shards(SHARDS, frozenset({shard}))
        )
        made.append((service, Housekeeping(store, stories, clock, service), scheduler))
    return clock, made


async def test_each_process_schedules_and_posts_only_its_own_guilds(
    database: str | Path, stories: dict[str, Story]
) -> None:
    assert [(g >> 22) % SHARDS for g in GUILD_ON.values()] == [0, 1]
    async with AsyncExitStack() as stack:
        _, made = await processes(database, stories, stack)
        votes = {}
        for shard, guild in GUILD_ON.items():
            started = await made[shard][0].start(
                guild_id=guild, channel_id=100 + shard, story_id="derelict", actor_id=1
            )
            assert started.vote is not None
            votes[shard] = started.vote.decision_id
        for shard, (service, housekeeping, scheduler) in enumerate(made):
            await scheduler.stop()
            report = await service.resume_open_votes()  # a restart of this process
            assert report.scheduled == 1
            assert scheduler.deadline_of(votes[shard]) is not None
            assert scheduler.deadline_of(votes[1 - shard]) is None
            unposted = [vote.decision_id for _, vote in await housekeeping.unposted_votes()]
            assert unposted == [votes[shard]]  # never the other process's vote


async def test_each_process_sweeps_only_its_own_unshown_closes(
    database: str | Path, stories: dict[str, Story]
) -> None:
    async with AsyncExitStack() as stack:
        clock, made = await processes(database, stories, stack)
        closed = {}
        for shard, guild in GUILD_ON.items():
            service = made[shard][0]
            await service.start(
                guild_id=guild, channel_id=100 + shard, story_id="derelict", actor_id=1
            )
            outcome = await service.skip(guild_id=guild, channel_id=100 + shard, actor_id=1)
            closed[shard] = outcome.result.decision_id  # committed; nobody has shown it
        clock.advance(1)
        for shard, (service, _, _) in enumerate(made):
            assert await service.unshown_closes(clock()) == [closed[shard]]
            shown = await service.unshown_close(closed[shard])
            assert shown is not None and shown.next_vote is not None
            assert shown.next_vote.message_id is None  # its next scene is to be posted too
            await service.close_shown(closed[shard])
            assert await service.unshown_closes(clock()) == []
        assert await made[0][0].store.unshown_closes() == []  # both shown, once each


async def test_two_processes_racing_to_close_one_vote_close_it_once(
    database: str | Path, stories: dict[str, Story]
) -> None:
    async with AsyncExitStack() as stack:
        clock, made = await processes(database, stories, stack)
        guild = GUILD_ON[0]
        started = await made[0][0].start(
            guild_id=guild, channel_id=100, story_id="derelict", actor_id=1
        )
        assert started.vote is not None and started.vote.deadline is not None
        clock.now = started.vote.deadline + timedelta(seconds=1)
        outcomes = await asyncio.gather(
            *(service.close_due(started.vote.decision_id) for service, _, _ in made)
        )
        assert sum(outcome is not None for outcome in outcomes) == 1
        decisions = await made[1][0].store.decisions_of(started.campaign.id)
        assert [d.seq for d in decisions] == [1, 2]  # one close, one next vote
        assert decisions[0].closed_at is not None and decisions[1].closed_at is None
