"""Abuse and leaks: what one member or one server can make the bot do, and what a vote
leaves behind once it is over."""

from __future__ import annotations

import asyncio
import threading

import discord
import pytest

from bot.cogs.campaign._map_limits import (
    MEMBER_COOLDOWN,
    RENDERS_AT_ONCE,
    SERVER_COOLDOWN,
    MapLimits,
    MapRefused,
)
from tests.discord.conftest import World

from .helpers import buttons, start


def _said(result) -> str:
    message = result.followups[0] if result.followups else result.response
    return message.content


# -- /campaign map -------------------------------------------------------------------------------


async def test_a_member_drawing_the_map_again_at_once_is_refused_privately(world: World) -> None:
    await start(world)
    member = world.members[0]
    first = await member.slash(world.channel, "campaign map")
    assert "too soon" not in _said(first)
    again = await member.slash(world.channel, "campaign map")
    assert again.ephemeral
    assert again.response.content == (
        f"You drew a map moments ago; try again in {MEMBER_COOLDOWN:.0f} seconds."
    )
    other = await world.members[1].slash(world.channel, "campaign map")
    assert "moments ago" not in _said(other)  # the cooldown is the member's own
    await world.env.advance_time(MEMBER_COOLDOWN + 1)
    later = await member.slash(world.channel, "campaign map")
    assert "moments ago" not in _said(later)


async def test_a_server_drawing_maps_one_member_after_another_is_refused(world: World) -> None:
    await start(world)
    rate, per = SERVER_COOLDOWN
    crew = [world.guild.add_member(world.env.create_user(f"mapper{i}")) for i in range(rate + 1)]
    for member in crew[:rate]:
        drawn = await member.slash(world.channel, "campaign map")
        assert "try again" not in _said(drawn)
    refused = await crew[rate].slash(world.channel, "campaign map")
    assert refused.ephemeral
    assert refused.response.content.startswith(
        f"This server has drawn {rate} maps in the last {per:.0f} seconds; try again in"
    )
    await world.env.advance_time(per + 1)
    drawn = await crew[rate].slash(world.channel, "campaign map")
    assert "try again" not in _said(drawn)


async def test_at_most_two_maps_are_drawn_at_once_on_their_own_threads() -> None:
    limits = MapLimits(discord.utils.utcnow)
    started = [threading.Event() for _ in range(RENDERS_AT_ONCE)]
    release = threading.Event()
    threads: list[str] = []

    def render(n: int) -> bytes:
        threads.append(threading.current_thread().name)
        started[n].set()
        release.wait(timeout=30)
        return b"png"

    try:
        running = [asyncio.create_task(limits.render(render, n)) for n in range(RENDERS_AT_ONCE)]
        for event in started:
            await asyncio.to_thread(event.wait, 30)
        with pytest.raises(MapRefused, match=r"^Two maps are being drawn right now; try again"):
            await limits.render(render, 0)
        release.set()
        assert await asyncio.gather(*running) == [b"png"] * RENDERS_AT_ONCE
        started[0].clear()
        assert await limits.render(render, 0) == b"png"  # a slot is free again
    finally:
        release.set()
        limits.close()
    assert all(name.startswith("deck-map") for name in threads), threads


# -- what a vote leaves behind -----------------------------------------------------------------


async def test_a_vote_ended_with_campaign_end_leaves_nothing_behind_on_the_board(
    world: World,
) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label=buttons(scene)[0])
    await world.env.advance_time(7)  # the tally redraw
    await world.members[1].click(scene, label=buttons(scene)[1])  # a redraw pending
    ended = await world.mod.slash(world.channel, "campaign end")
    assert ended.acknowledged
    await world.env.advance_time(7)
    assert world.bot.board.tracked == 0


async def test_votes_closed_by_the_timer_leave_nothing_behind_on_the_board(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label=buttons(scene)[0])
    await world.env.advance_time(7)
    await world.mod.slash(world.channel, "campaign pause")
    await world.mod.slash(world.channel, "campaign resume")
    await world.env.advance_time(121)
    await world.mod.slash(world.channel, "campaign end")
    assert world.bot.board.tracked == 0


# -- campaigns per server --------------------------------------------------------------------


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"max_campaigns_per_server": 2})


async def test_a_server_at_its_campaign_cap_is_refused_and_nothing_changes(world: World) -> None:
    channels = [world.channel, *(world.guild.create_text_channel(f"deck{i}") for i in range(2))]
    for channel in channels[:2]:
        started = await world.mod.slash(channel, "campaign start", story="derelict")
        assert "begins" in started.response.content
    await world.mod.slash(channels[1], "campaign pause")  # a paused campaign still counts
    refused = await world.mod.slash(channels[2], "campaign start", story="derelict")
    assert refused.ephemeral
    assert refused.response.content == (
        "This server already has 2 campaigns running, the most this bot allows; end one with"
        " /campaign end first."
    )
    assert channels[2].last_message is None
    listed = await world.mod.slash(world.channel, "campaign list")
    assert len(listed.response.embeds[0].description.splitlines()) == 2
    await world.mod.slash(channels[0], "campaign end")
    started = await world.mod.slash(channels[2], "campaign start", story="derelict")
    assert "begins" in started.response.content
