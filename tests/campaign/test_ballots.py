"""Group commit of ballots and the live counts, on a real SQLite file.

A store subclass counts the transactions and reads the click path makes (the real SQL runs);
failures are real ones where possible (a batch that SQLite cannot bind rolls back whole).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.campaign import CampaignService, ManualClock, errors
from bot.domain import CampaignStatus, NewBallot
from bot.store import BATCH_QUERIES, SqliteStore, Store
from bot.story import Story

from .conftest import CHANNEL, GUILD, MOD

FORCE, HACK = "Force the door with the winch", "Wake the door's own controller"


class CountingStore(SqliteStore):
    """The real store, counting ballot transactions and the reads a click could make; it can
    be told to fail the next batches as a full disk would."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[int] = []
        self.reads: Counter[str] = Counter()
        self.fail_batches = 0

    async def cast_ballots(self, ballots: Sequence[NewBallot]) -> list[bool]:
        if self.fail_batches:
            self.fail_batches -= 1
            raise sqlite3.OperationalError("database or disk is full")
        self.batches.append(len(ballots))
        return await super().cast_ballots(ballots)

    async def get_decision(self, decision_id):
        self.reads["get_decision"] += 1
        return await super().get_decision(decision_id)

    async def get_campaign(self, campaign_id):
        self.reads["get_campaign"] += 1
        return await super().get_campaign(campaign_id)

    async def get_settings(self, guild_id):
        self.reads["get_settings"] += 1
        return await super().get_settings(guild_id)

    async def tally(self, decision_id):
        self.reads["tally"] += 1
        return await super().tally(decision_id)

    async def ballot_of(self, decision_id, member_id):
        self.reads["ballot_of"] += 1
        return await super().ballot_of(decision_id, member_id)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "deck.db"


@pytest.fixture
async def store(path: Path):
    opened = await CountingStore.open(path)
    yield opened
    await opened.close()


@pytest.fixture
async def service(store: CountingStore, stories: dict[str, Story]):
    service = CampaignService(store, stories, ManualClock())
    yield service
    await service.close()


async def open_vote(service: CampaignService) -> int:
    started = await service.start(
        guild_id=GUILD, channel_id=CHANNEL, story_id="derelict", actor_id=MOD
    )
    assert started.vote is not None
    return started.vote.decision_id


def cast(service: CampaignService, decision: int, member: int, index: int):
    return service.cast(guild_id=GUILD, decision_id=decision, choice_index=index, member_id=member)


async def test_a_burst_of_clicks_shares_one_commit_and_every_ballot_is_on_disk(
    service: CampaignService, store: CountingStore, path: Path, stories
) -> None:
    decision = await open_vote(service)
    await cast(service, decision, 0, 0)  # the vote's check and counts are now in memory
    store.batches.clear()
    store.reads.clear()
    results = await asyncio.gather(*(cast(service, decision, m, m % 2) for m in range(1, 301)))
    assert len(store.batches) == 1 and store.batches == [300]
    assert not store.reads  # no row read, no tally query on the click path
    assert [r.choice_label for r in results[:2]] == [HACK, FORCE]
    assert all(r.changed_from is None for r in results)
    await service.close()
    await store.close()
    async with Store.open(path) as reopened:
        assert await reopened.tally(decision) == {"force": 151, "hack": 150}
        for member in range(301):
            ballot = await reopened.ballot_of(decision, member)
            assert ballot is not None and ballot.choice_id == ("force", "hack")[member % 2]


async def test_the_counts_in_memory_follow_every_change_of_mind(
    service: CampaignService, store: CountingStore
) -> None:
    decision = await open_vote(service)
    first = await asyncio.gather(*(cast(service, decision, m, 0) for m in range(40)))
    assert all(r.changed_from is None for r in first)
    # half change their minds, some twice in the same burst, some click the same again
    burst = [(m, 1) for m in range(20)] + [(m, 0) for m in range(10)] + [(39, 0)]
    again = await asyncio.gather(*(cast(service, decision, m, i) for m, i in burst))
    assert [r.changed_from for r in again[:20]] == [FORCE] * 20
    assert [r.changed_from for r in again[20:30]] == [HACK] * 10
    assert again[30].changed_from is None
    store.reads.clear()
    in_memory = await service.tally(decision)
    assert not store.reads  # answered from memory
    assert in_memory == await store.tally(decision) == {"force": 30, "hack": 10}


async def test_a_restart_rebuilds_the_counts_from_the_file(path: Path, stories) -> None:
    async with CountingStore.open(path) as store:
        service = CampaignService(store, stories, ManualClock())
        decision = await open_vote(service)
        for member, index in [(1, 0), (2, 0), (3, 1), (1, 1)]:
            await cast(service, decision, member, index)
        await service.close()
    async with CountingStore.open(path) as store:
        service = CampaignService(store, stories, ManualClock())
        assert service.ballots.counts(decision) is None  # nothing loaded before it is needed
        assert await service.tally(decision) == {"force": 1, "hack": 2}
        changed = await cast(service, decision, 3, 0)  # the first click rebuilds the counts
        assert changed.changed_from == HACK
        again = await cast(service, decision, 2, 0)
        assert again.changed_from is None
        assert service.ballots.counts(decision) == {"force": 2, "hack": 1}
        assert await store.tally(decision) == {"force": 2, "hack": 1}
        await service.close()


async def test_a_full_disk_refuses_the_whole_batch_and_counts_none(
    service: CampaignService, store: CountingStore
) -> None:
    decision = await open_vote(service)
    await cast(service, decision, 1, 0)
    store.fail_batches = 1
    results = await asyncio.gather(
        *(cast(service, decision, m, 1) for m in range(1, 6)), return_exceptions=True
    )
    assert all(isinstance(r, errors.BallotNotSaved) for r in results), results
    assert results[0].message == "Your vote could not be saved; please try again."
    assert await service.tally(decision) == await store.tally(decision) == {"force": 1, "hack": 0}
    retried = await cast(service, decision, 1, 1)  # the next batch goes through
    assert retried.changed_from == FORCE
    assert await service.tally(decision) == await store.tally(decision) == {"force": 0, "hack": 1}


async def test_a_batch_that_fails_midway_rolls_back_whole(
    service: CampaignService, store: CountingStore
) -> None:
    decision = await open_vote(service)
    await cast(service, decision, 1, 0)
    # SQLite cannot bind the last member id: the transaction fails after the first rows
    clicks = [cast(service, decision, m, 1) for m in (1, 2, 3)] + [
        cast(service, decision, 2**64, 1)
    ]
    results = await asyncio.gather(*clicks, return_exceptions=True)
    assert all(isinstance(r, errors.BallotNotSaved) for r in results), results
    assert await store.tally(decision) == {"force": 1, "hack": 0}
    assert await store.ballot_of(decision, 2) is None
    assert await service.tally(decision) == {"force": 1, "hack": 0}


async def test_a_vote_closed_behind_the_cache_refuses_the_ballot(
    service: CampaignService, store: CountingStore, path: Path
) -> None:
    decision = await open_vote(service)
    await cast(service, decision, 1, 0)  # the check says "open" from now on
    async with Store.open(path) as other_process:
        row = await other_process.get_decision(decision)
        await other_process.close_decision(
            decision,
            closed_at=service.clock(),
            outcome="force",
            how="skip",
            campaign_state_json=(await other_process.get_campaign(row.campaign_id)).state_json,
            campaign_status=CampaignStatus.RUNNING,
        )
    with pytest.raises(errors.VoteClosed):
        await cast(service, decision, 2, 1)
    assert service.ballots.counts(decision) is None  # nothing kept of a closed vote
    assert await service.tally(decision) == {"force": 1, "hack": 0}
    with pytest.raises(errors.VoteClosed):  # and the next click reads that it closed
        await cast(service, decision, 3, 1)


async def test_a_click_racing_a_skip_is_counted_in_the_result_or_refused(
    service: CampaignService,
) -> None:
    decision = await open_vote(service)
    await cast(service, decision, 1, 1)
    click, skip = await asyncio.gather(
        cast(service, decision, 2, 1),
        service.skip(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD),
        return_exceptions=True,
    )
    if isinstance(click, errors.VoteClosed):
        assert skip.result.tally == {"force": 0, "hack": 1}
    else:
        assert click.choice_id == "hack" and skip.result.tally == {"force": 0, "hack": 2}
    assert service.ballots.counts(decision) is None
    with pytest.raises(errors.VoteClosed):
        await cast(service, decision, 3, 0)


async def test_changes_to_what_a_click_is_checked_against_apply_at_once(
    service: CampaignService,
) -> None:
    decision = await open_vote(service)
    await cast(service, decision, 1, 0)
    await service.update_settings(guild_id=GUILD, actor_id=MOD, changes={"voter_role_id": 9})
    with pytest.raises(errors.NotAVoter):
        await cast(service, decision, 2, 0)
    await service.update_settings(guild_id=GUILD, actor_id=MOD, changes={"blind": True})
    assert (
        await service.cast(
            guild_id=GUILD, decision_id=decision, choice_index=0, member_id=2, role_ids=[9]
        )
    ).blind
    await service.pause(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)
    with pytest.raises(errors.CampaignPaused):
        await cast(service, decision, 3, 0)


async def test_closing_writes_what_is_in_flight_then_refuses(
    service: CampaignService, store: CountingStore
) -> None:
    decision = await open_vote(service)
    await cast(service, decision, 1, 0)
    in_flight = asyncio.ensure_future(cast(service, decision, 2, 1))
    await asyncio.sleep(0)  # one turn of the loop: the click joins a batch (no waiting on time)
    await service.close()
    assert (await in_flight).choice_id == "hack"
    assert await store.tally(decision) == {"force": 1, "hack": 1}
    with pytest.raises(errors.BallotNotSaved):
        await cast(service, decision, 3, 0)


@pytest.mark.parametrize("name", sorted(BATCH_QUERIES))
@pytest.mark.parametrize("analyzed", [False, True])
async def test_the_batch_queries_find_their_rows_by_key(
    service: CampaignService, path: Path, name: str, analyzed: bool
) -> None:
    decision = await open_vote(service)
    await cast(service, decision, 1, 0)
    connection = sqlite3.connect(path)
    try:
        if analyzed:
            connection.execute("ANALYZE")
        sql = BATCH_QUERIES[name]
        params = dict.fromkeys(re.findall(r":(\w+)", sql), "[1]")
        plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    finally:
        connection.close()
    assert any("USING INTEGER PRIMARY KEY" in s or "USING PRIMARY KEY" in s for s in plan), plan
    assert [s for s in plan if s.startswith("SCAN") and "VIRTUAL TABLE" not in s] == [], plan
