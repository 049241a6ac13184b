"""What PostgreSQL must add to SQLite's guarantees: many processes at once (each store here
has its own pool, as a process would) and a server that drops its connections."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.domain import CampaignStatus, CloseHow, NewBallot
from bot.store import AlreadyClosed, GuildFull, StoreUnavailable, TallyChanged
from bot.store.postgres import PostgresStore
from tests.store.helpers import GUILD, at, offer, start

STORES = 4


async def _stores(url: str) -> list[PostgresStore]:
    return list(await asyncio.gather(*(PostgresStore.open(url) for _ in range(STORES))))


async def test_racing_closers_in_several_processes_close_a_vote_once(postgres_url: str) -> None:
    stores = await _stores(postgres_url)
    try:
        _, decision = await start(stores[0])

        async def close(store: PostgresStore, n: int) -> str:
            try:
                await store.close_decision(
                    decision.id,
                    closed_at=at(10 + n),
                    outcome="run",
                    how=CloseHow.TIMER,
                    campaign_state_json=f'{{"scene": "next", "by": {n}}}',
                    campaign_status=CampaignStatus.RUNNING,
                    next_decision=offer("next", opened=10 + n),
                )
            except AlreadyClosed:
                return "lost"
            return "won"

        results = await asyncio.gather(*(close(s, n) for n, s in enumerate(stores * 3)))
        assert sorted(results) == ["lost"] * (len(results) - 1) + ["won"]
        history = await stores[0].decisions_of(decision.campaign_id)
        assert [d.seq for d in history] == [1, 2]  # one next vote, not one per closer
        choices = await stores[0].crew_choices("claim-jumpers", ["standoff"])
        assert choices["standoff"].servers == 1
        assert dict(choices["standoff"].crews) == {"run": 1}
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_no_ballot_lands_after_a_close_in_another_process(postgres_url: str) -> None:
    stores = await _stores(postgres_url)
    try:
        _, decision = await start(stores[0])
        accepted: list[int] = []

        async def vote(store: PostgresStore, member: int) -> None:
            if await store.cast_ballot(decision.id, member, "fight", at(1)):
                accepted.append(member)

        async def close() -> None:
            while True:
                tally = await stores[0].tally(decision.id)
                try:
                    await stores[0].close_decision(
                        decision.id,
                        closed_at=at(5),
                        outcome="fight",
                        how=CloseHow.TIMER,
                        campaign_state_json="{}",
                        campaign_status=CampaignStatus.RUNNING,
                        expect_tally=tally,
                    )
                    return
                except TallyChanged:
                    continue

        voters = [vote(stores[1 + m % (STORES - 1)], m) for m in range(60)]
        await asyncio.gather(*voters[:30], close(), *voters[30:])
        closed = await stores[0].get_decision(decision.id)
        assert closed is not None and closed.closed_at is not None
        # Every ballot that was told "counted" is in the closed vote's tally, and no other.
        assert (await stores[0].tally(decision.id))["fight"] == len(accepted)
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_two_starts_cannot_both_take_a_guilds_last_place(postgres_url: str) -> None:
    stores = await _stores(postgres_url)
    try:

        async def begin(store: PostgresStore, channel: int) -> str:
            try:
                await store.create_campaign(
                    GUILD, channel, "s", "h", "{}", 1, at(0), offer(), live_limit=2
                )
            except GuildFull:
                return "full"
            return "started"

        results = await asyncio.gather(*(begin(s, 100 + n) for n, s in enumerate(stores * 2)))
        assert sorted(results) == ["full"] * (len(results) - 2) + ["started"] * 2
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def _terminate_every_connection(url: str) -> int:
    admin = await asyncpg.connect(url)
    try:
        return int(
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    finally:
        await admin.close()


async def test_lost_connections_refuse_a_ballot_then_the_pool_reconnects(
    postgres_url: str,
) -> None:
    async with PostgresStore.open(postgres_url) as store:
        _, decision = await start(store)
        assert await store.cast_ballot(decision.id, 1, "run", at(1))
        assert await _terminate_every_connection(postgres_url) >= 1
        outcomes = []
        for member in range(2, 6):
            try:
                outcomes.append(await store.cast_ballot(decision.id, member, "run", at(2)))
            except StoreUnavailable as exc:
                assert "try again" in exc.message
                assert "could not save" in exc.message
                outcomes.append(None)
        assert outcomes[-1] is True  # the pool has a live connection again
        counted = [m for m, ok in zip(range(2, 6), outcomes, strict=True) if ok]
        assert (await store.tally(decision.id))["run"] == 1 + len(counted)


async def test_a_batch_cut_off_mid_transaction_writes_nothing(postgres_url: str) -> None:
    async with PostgresStore.open(postgres_url) as store, PostgresStore.open(postgres_url) as other:
        _, decision = await start(store)
        batch = [NewBallot(decision.id, m, "talk", at(1)) for m in range(200)]
        # Hold the vote's row so the batch waits inside its transaction, then cut it off.
        admin = await asyncpg.connect(postgres_url)
        try:
            blocker = admin.transaction()
            await blocker.start()
            await admin.execute("SELECT 1 FROM decisions WHERE id = $1 FOR UPDATE", decision.id)
            pending = asyncio.ensure_future(store.cast_ballots(batch))
            async with asyncio.timeout(30):  # until the batch waits on the lock
                while not await admin.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                ):
                    pass
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            with pytest.raises(StoreUnavailable) as caught:
                await pending
            assert "try again" in caught.value.message
            assert urlsplit(postgres_url).password not in str(caught.value)
            await blocker.rollback()
        finally:
            await admin.close()
        assert await other.tally(decision.id) == {"run": 0, "fight": 0, "talk": 0}
        assert await store.cast_ballots(batch[:3]) == [True, True, True]
