"""Guild settings and campaigns, read back from the file after reopening it."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bot.domain import CampaignStatus, CloseHow, GuildSettings, TieBreak
from bot.store import CampaignEnded, ChannelBusy, NotFound, Store
from tests.store.helpers import CHANNEL, GUILD, at, start


async def test_a_guild_without_settings_gets_the_design_defaults(store: Store) -> None:
    settings = await store.get_settings(GUILD)
    assert settings == GuildSettings(
        guild_id=GUILD,
        vote_seconds=120,
        tie_break=TieBreak.RANDOM,
        quorum=1,
        blind=False,
        voter_role_id=None,
        moderator_role_id=None,
    )


async def test_the_tables_defaults_match_the_records_defaults(store: Store) -> None:
    # A row written with no values must read back exactly like "no row".
    assert await store.update_settings(GUILD) == GuildSettings(GUILD)


async def test_settings_change_piecemeal_and_survive_reopening(database: str | Path) -> None:
    big_role = 2**63 - 1  # Discord ids are 64-bit
    async with Store.open(database) as store:
        first = await store.update_settings(GUILD, vote_seconds=600, tie_break="moderator")
        second = await store.update_settings(GUILD, blind=True, voter_role_id=big_role)
        assert second == replace(first, blind=True, voter_role_id=big_role)
        cleared = await store.update_settings(GUILD, voter_role_id=None, quorum=3)
        other = await store.get_settings(GUILD + 1)
    async with Store.open(database) as store:
        assert await store.get_settings(GUILD) == cleared
        assert cleared.tie_break is TieBreak.MODERATOR and cleared.voter_role_id is None
        assert await store.get_settings(GUILD + 1) == other == GuildSettings(GUILD + 1)


async def test_settings_refuse_unknown_names_and_insane_values(
    store: Store, integrity_error: type[Exception]
) -> None:
    with pytest.raises(TypeError, match="colour"):
        await store.update_settings(GUILD, colour="red")
    with pytest.raises(ValueError):
        await store.update_settings(GUILD, tie_break="coin")
    with pytest.raises(integrity_error):
        await store.update_settings(GUILD, vote_seconds=0)
    with pytest.raises(integrity_error):
        await store.update_settings(GUILD, quorum=-1)
    # nothing half-written
    assert await store.get_settings(GUILD) == GuildSettings(GUILD)


async def test_a_campaign_and_its_first_vote_survive_reopening(database: str | Path) -> None:
    async with Store.open(database) as store:
        campaign, decision = await start(store)
    assert campaign.status is CampaignStatus.RUNNING and campaign.ended_at is None
    assert campaign.started_at == at(0) and campaign.seed == 1234567
    assert (decision.seq, decision.choices, decision.deadline) == (
        1,
        ("run", "fight", "talk"),
        at(120),
    )
    async with Store.open(database) as store:
        assert await store.get_campaign(campaign.id) == campaign
        assert await store.active_campaign_in_channel(CHANNEL) == campaign
        assert await store.list_campaigns(GUILD) == [campaign]
        assert await store.open_decision_for(campaign.id) == decision
        assert await store.get_decision(decision.id) == decision


async def test_a_campaign_may_start_without_a_vote(store: Store) -> None:
    campaign, decision = await store.create_campaign(
        GUILD, CHANNEL, "derelict", "h", "{}", 0, at(0), None
    )
    assert decision is None
    assert await store.open_decision_for(campaign.id) is None


async def test_one_campaign_that_has_not_ended_per_channel(database: str | Path) -> None:
    async with Store.open(database) as store, Store.open(database) as other_process:
        campaign, _ = await start(store)
        with pytest.raises(ChannelBusy) as busy:
            await start(other_process)
        assert busy.value.campaign_id == campaign.id
        await store.set_campaign_status(campaign.id, "paused", reason="lunch")
        with pytest.raises(ChannelBusy):
            await start(store)
        await store.set_campaign_status(campaign.id, CampaignStatus.WAITING)
        with pytest.raises(ChannelBusy):
            await start(store)
        # nothing half-made by the refused starts
        assert [c.id for c in await store.list_campaigns(GUILD)] == [campaign.id]

        await store.set_campaign_status(campaign.id, "ended", ended_at=at(50))
        assert await store.active_campaign_in_channel(CHANNEL) is None
        again, _ = await start(other_process)
        neighbour, _ = await start(store, CHANNEL + 1)
        assert await store.active_campaign_in_channel(CHANNEL) == again
        listed = await store.list_campaigns(GUILD)
        assert {c.id for c in listed} == {campaign.id, again.id, neighbour.id}


# SQLite-specific (`db_path`): the file's own index, written to past the store.
async def test_the_unique_index_holds_even_past_the_polite_check(db_path: Path) -> None:
    async with Store.open(db_path) as store:
        await start(store)
    raw = sqlite3.connect(db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            raw.execute(
                "INSERT INTO campaigns (guild_id, channel_id, story_id, story_hash, status, "
                "state_json, seed, started_at) VALUES (1, ?, 's', 'h', 'paused', '{}', 0, 0)",
                (CHANNEL,),
            )
    finally:
        raw.close()


async def test_status_reason_and_listing_newest_first(store: Store) -> None:
    older, _ = await start(store, CHANNEL)
    newer, _ = await store.create_campaign(
        GUILD, CHANNEL + 1, "derelict", "h", "{}", 5, at(60), None
    )
    elsewhere, _ = await start(store, CHANNEL + 2, guild_id=GUILD + 1)
    paused = await store.set_campaign_status(older.id, "paused", reason="crew meeting")
    assert (paused.status, paused.status_reason) == (CampaignStatus.PAUSED, "crew meeting")
    running = await store.set_campaign_status(older.id, "running")
    assert running.status_reason is None
    assert [c.id for c in await store.list_campaigns(GUILD)] == [newer.id, older.id]
    assert [c.id for c in await store.list_campaigns(GUILD + 1)] == [elsewhere.id]


async def test_ending_closes_the_open_vote_and_is_final(store: Store) -> None:
    campaign, decision = await start(store)
    ended = await store.set_campaign_status(campaign.id, "ended", "story over", at(30))
    assert (ended.status, ended.ended_at, ended.status_reason) == (
        CampaignStatus.ENDED,
        at(30),
        "story over",
    )
    closed = await store.get_decision(decision.id)
    assert closed is not None
    assert (closed.closed_at, closed.how, closed.outcome) == (at(30), CloseHow.ENDED, None)
    assert await store.open_deadlines() == []
    assert not await store.cast_ballot(decision.id, 1, "run", at(31))
    with pytest.raises(CampaignEnded):
        await store.set_campaign_status(campaign.id, "running")
    with pytest.raises(NotFound):
        await store.set_campaign_status(campaign.id + 99, "paused")
    with pytest.raises(ValueError, match="ended_at"):
        await store.set_campaign_status(campaign.id, "ended")


async def test_times_must_be_aware_and_come_back_exactly(store: Store) -> None:
    naive = at(0).replace(tzinfo=None)
    with pytest.raises(ValueError, match="naive"):
        await store.create_campaign(GUILD, CHANNEL, "s", "h", "{}", 0, naive, None)
    assert await store.list_campaigns(GUILD) == []
