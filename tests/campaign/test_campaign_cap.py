"""The operator's cap on a server's running campaigns (MAX_CAMPAIGNS_PER_SERVER)."""

from __future__ import annotations

import asyncio

import pytest

from bot.campaign import CampaignService, errors

from .conftest import CHANNEL, GUILD, MOD, Harness


async def _start(service: CampaignService, channel: int, guild: int = GUILD):
    return await service.start(
        guild_id=guild, channel_id=channel, story_id="derelict", actor_id=MOD
    )


async def test_a_start_past_the_cap_is_refused_and_changes_nothing(harness: Harness) -> None:
    service = CampaignService(
        harness.store, harness.stories, harness.clock, max_campaigns_per_server=2
    )
    await _start(service, CHANNEL)
    second = await _start(service, CHANNEL + 1)
    await service.pause(guild_id=GUILD, channel_id=CHANNEL + 1, actor_id=MOD)  # still counts
    with pytest.raises(errors.TooManyCampaigns, match="already has 2 campaigns running"):
        await _start(service, CHANNEL + 2)
    assert len(await harness.store.list_campaigns(GUILD)) == 2
    await _start(service, CHANNEL + 9, guild=GUILD + 1)  # another server has its own places
    await service.end(guild_id=GUILD, channel_id=CHANNEL, actor_id=MOD)
    third = await _start(service, CHANNEL + 2)
    assert third.campaign.id > second.campaign.id


async def test_two_starts_for_the_last_place_take_it_once(harness: Harness) -> None:
    service = CampaignService(
        harness.store, harness.stories, harness.clock, max_campaigns_per_server=1
    )
    results = await asyncio.gather(
        _start(service, CHANNEL), _start(service, CHANNEL + 1), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["Started", "TooManyCampaigns"]
    assert len(await harness.store.list_campaigns(GUILD)) == 1
