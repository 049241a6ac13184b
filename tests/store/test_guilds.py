"""A guild that removes the bot: its data waits out the grace period, then goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain import NewDecision
from bot.store import Store

T0 = datetime(2026, 3, 1, tzinfo=UTC)


async def _campaign(store: Store, guild: int, channel: int) -> int:
    campaign, decision = await store.create_campaign(
        guild,
        channel,
        "derelict",
        "h",
        '{"scene": "airlock"}',
        1,
        T0,
        NewDecision("airlock", ("force", "hack"), T0, T0 + timedelta(seconds=120)),
    )
    assert decision is not None
    await store.cast_ballot(decision.id, 7, "force", T0)
    await store.update_settings(guild, quorum=3)
    await store.add_audit(guild, campaign.id, 9, "start", None, T0)
    return campaign.id


async def test_departed_guild_is_purged_after_the_grace_period_only(database: str | Path) -> None:
    async with Store.open(database) as store:
        await _campaign(store, 1, 10)
        kept = await _campaign(store, 2, 20)
        await store.guild_departed(1, T0)
        assert await store.purge_departed(T0) == []  # still within the grace period
        assert len(await store.list_campaigns(1)) == 1
        assert await store.purge_departed(T0 + timedelta(days=31)) == [1]
        assert await store.list_campaigns(1) == []
        assert (await store.get_settings(1)).quorum == 1
        assert await store.audit_log(1) == []
        assert [c.id for c in await store.list_campaigns(2)] == [kept]
        assert await store.pragma("foreign_key_check") is None


async def test_a_returning_guild_keeps_its_data(database: str | Path) -> None:
    async with Store.open(database) as store:
        await _campaign(store, 1, 10)
        await store.guild_departed(1, T0)
        assert await store.guild_returned(1)
        assert await store.purge_departed(T0 + timedelta(days=365)) == []
        assert len(await store.list_campaigns(1)) == 1


async def test_unposted_votes_and_ended_scenes(database: str | Path) -> None:
    async with Store.open(database) as store:
        await _campaign(store, 1, 10)
        [decision_id] = await store.unposted_votes()
        await store.set_message_id(decision_id, 555)
        assert await store.unposted_votes() == []
        assert await store.ended_scenes(1, "derelict") == set()
