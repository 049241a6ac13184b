"""The places a campaign lives in go away: its scene message, its channel, the bot's
permissions in the channel, the bot's membership of the guild. The bot never fails over
and over: it pauses the campaign and says why, resumes when a moderator asks, and keeps a
removed guild's data for the grace period (`GUILD_DATA_DAYS`).

The faults are made the way Discord makes them, through SimCord's backend (the single
source of truth behind its REST and gateway): a member with Manage Messages deletes the
scene, the channel is deleted (CHANNEL_DELETE), a permission overwrite denies the bot Send
Messages, the guild removes the bot (GUILD_DELETE) and adds it back (GUILD_CREATE). SimCord
does not model Embed Links, so that refusal is injected as Discord sends it: 403, code
50013, "Missing Permissions" on an embed-only message.
"""

from __future__ import annotations

from pathlib import Path

import discord
import pytest
from simcord.backend import serializers
from simcord.backend.models.channel import Overwrite
from simcord.enums import OverwriteType

from bot.app import create_bot
from bot.config import Settings
from tests.discord.conftest import close_bot

from .helpers import World, again, buttons, campaign_line, disabled, field, scenes, start

NEEDS = (
    "paused: the bot cannot post in its channel (it needs View Channel, Send Messages and"
    " Embed Links)."
)


@pytest.fixture
def settings(tmp_path: Path, content: Path) -> Settings:
    return Settings(
        database=tmp_path / "deck.db",
        content_dir=content,
        tally_refresh_seconds=6.0,
        guild_data_days=1,
        _env_file=None,
    )


async def test_a_deleted_scene_message_is_posted_again_with_its_ballots(world: World) -> None:
    janitors = world.guild.create_role(
        "Janitors", permissions=discord.Permissions(manage_messages=True)
    )
    janitor = world.guild.add_member(world.env.create_user("janitor"), roles=[janitors])
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.members[1].click(scene, label="Force the door with the winch")
    await janitor.delete(scene)
    await world.env.advance_time(7)  # the tally refresh finds the message gone
    assert await campaign_line(world) == "running"
    reposted = scenes(world, "The Airlock")
    assert len(reposted) == 1 and reposted[0].id != scene.id
    assert "`  2`" in field(reposted[0], "Tally")
    await world.members[2].click(reposted[0], label="Force the door with the winch")
    await world.env.advance_time(130)
    assert "(the vote closed on time; 3 votes)" in field(again(world, reposted[0]), "Decided")


async def test_a_deleted_scene_message_with_no_clicks_still_closes_and_moves_on(
    world: World,
) -> None:
    janitors = world.guild.create_role(
        "Janitors", permissions=discord.Permissions(manage_messages=True)
    )
    janitor = world.guild.add_member(world.env.create_user("janitor"), roles=[janitors])
    await world.mod.slash(world.channel, "settings set", quorum=1)
    scene = await start(world, "claim-jumpers")
    labels = buttons(scene)
    await world.members[0].click(scene, label=labels[0])
    await world.env.advance_time(7)
    await janitor.delete(scene)
    await world.env.advance_time(121)
    assert again(world, scene) is None
    assert len(scenes(world)) == 1 and not any(disabled(scenes(world)[0]))
    assert await campaign_line(world) == "running"


async def test_a_deleted_channel_pauses_its_campaign_and_the_rest_go_on(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    other = world.guild.create_text_channel("lounge")
    world.env.backend.delete_channel(world.channel.id)
    await world.env.settle()
    await world.env.advance_time(121)  # the close cannot post the next scene anywhere
    listed = await world.mod.slash(other, "campaign list")
    assert "**The Derelict** · paused" in listed.response.embeds[0].description
    started = await world.mod.slash(other, "campaign start", story="derelict")
    assert "begins" in started.response.content
    assert other.last_message.embeds[0].title == "The Airlock"


@pytest.mark.parametrize("lost", ["send_messages", "view_channel"])
async def test_losing_a_permission_pauses_and_resume_posts_once_it_is_back(
    world: World, lost: str
) -> None:
    backend = world.env.backend
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    deny = discord.Permissions(**{lost: True}).value
    backend.set_overwrite(
        world.channel.id, Overwrite(backend.bot_user.id, OverwriteType.MEMBER, deny=deny)
    )
    await world.env.settle()
    await world.env.advance_time(121)
    assert all(disabled(again(world, scene))) or lost == "view_channel"
    assert await campaign_line(world) == NEEDS
    refused = await world.mod.slash(world.channel, "campaign resume")
    assert "resumed" in refused.response.content
    assert await campaign_line(world) == NEEDS  # still cannot post: paused again, once
    backend.delete_overwrite(world.channel.id, backend.bot_user.id)
    await world.env.settle()
    await world.mod.slash(world.channel, "campaign resume")
    assert [m.embeds[0].title for m in scenes(world)][-1] == "The Cargo Hold"
    assert len(scenes(world, "The Cargo Hold")) == 1
    assert await campaign_line(world) == "running"


async def test_losing_embed_links_pauses_and_says_which_permissions(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    world.env.inject_error(
        "POST", "/channels/*/messages", status=403, code=50013, message="Missing Permissions"
    )
    await world.env.advance_time(121)
    assert all(disabled(again(world, scene)))
    assert await campaign_line(world) == NEEDS
    await world.mod.slash(world.channel, "campaign resume")
    assert len(scenes(world, "The Cargo Hold")) == 1


def remove_bot(world: World) -> None:
    """The guild removes the bot: Discord sends GUILD_DELETE and the bot sees nothing of it."""
    backend = world.env.backend
    backend.remove_guild(world.guild.id)
    backend._reserved_ids.discard(world.guild.id)  # so that the same guild can come back


def add_bot_back(world: World, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """The same guild (same id) adds the bot again; a moderator and a channel.

    Discord announces a join with a GUILD_CREATE that has no `unavailable` key (discord.py
    then dispatches guild_join); SimCord always sends `unavailable: false`, which discord.py
    reads as an outage ending (guild_available). The payload is sent as Discord sends it.
    """
    original = serializers.guild_create_payload

    def as_a_join(backend: object, guild: object) -> dict:
        payload = dict(original(backend, guild))
        payload.pop("unavailable", None)
        return payload

    monkeypatch.setattr(serializers, "guild_create_payload", as_a_join)
    try:
        guild = world.env.create_guild(name="Deck", id=world.guild.id)
    finally:
        monkeypatch.setattr(serializers, "guild_create_payload", original)
    channel = guild.create_text_channel("bridge-2")
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    mod = guild.add_member(world.env.create_user("captain-2"), roles=[mods])
    return channel, mod


async def advance_hours(world: World, hours: int) -> None:
    """Move the clock `hours` on, six hours a step. SimCord gives one `advance_time` call one
    settle window (5 real seconds) for every timer it fires, and the bot's sweeper ticks each
    minute: days in one call did not fit that window on a loaded 2-core machine."""
    for done in range(0, hours, 6):
        await world.env.advance_time(min(6, hours - done) * 3600)


async def test_a_removed_guild_keeps_its_data_for_the_grace_period(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.mod.slash(world.channel, "settings set", vote_seconds=300)
    remove_bot(world)
    await world.env.settle()
    await advance_hours(world, 12)  # half the grace period (GUILD_DATA_DAYS=1)
    channel, mod = add_bot_back(world, monkeypatch)
    await world.env.settle()
    listed = await mod.slash(channel, "campaign list")
    assert "**The Derelict** · paused" in listed.response.embeds[0].description
    shown = await mod.slash(channel, "settings show")
    fields = {f.name: f.value for f in shown.response.embeds[0].fields}
    assert fields["vote_seconds"] == "300 s"
    await advance_hours(world, 3 * 24)  # back in time: nothing is deleted later
    listed = await mod.slash(channel, "campaign list")
    assert "**The Derelict**" in listed.response.embeds[0].description


async def test_a_removed_guild_is_deleted_after_the_grace_period(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.mod.slash(world.channel, "settings set", vote_seconds=300)
    remove_bot(world)
    await world.env.settle()
    await advance_hours(world, 31)  # the purge runs every 6 h; the grace is 1 day
    channel, mod = add_bot_back(world, monkeypatch)
    await world.env.settle()
    listed = await mod.slash(channel, "campaign list")
    assert listed.response.embeds[0].description.startswith("No campaigns yet.")
    shown = await mod.slash(channel, "settings show")
    fields = {f.name: f.value for f in shown.response.embeds[0].fields}
    assert fields["vote_seconds"] == "120 s"
    started = await mod.slash(channel, "campaign start", story="derelict")
    assert "begins" in started.response.content


async def test_a_guild_that_adds_the_bot_back_while_it_is_down_keeps_its_data(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start(world)
    remove_bot(world)
    await world.env.settle()
    await close_bot(world.bot)
    channel, mod = add_bot_back(world, monkeypatch)
    world.bot = create_bot(world.settings)
    await world.env.restart_bot(world.bot)
    await advance_hours(world, 31)
    listed = await mod.slash(channel, "campaign list")
    assert "**The Derelict**" in listed.response.embeds[0].description


async def test_a_failed_purge_round_does_not_stop_the_next(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.mod.slash(world.channel, "settings set", vote_seconds=300)
    remove_bot(world)
    await world.env.settle()
    db = world.bot.store._db
    await db.execute("PRAGMA query_only = 1")  # every purge round in the next day fails
    await advance_hours(world, 31)
    await db.execute("PRAGMA query_only = 0")
    await advance_hours(world, 6)  # the next round runs, and deletes
    channel, mod = add_bot_back(world, monkeypatch)
    await world.env.settle()
    shown = await mod.slash(channel, "settings show")
    fields = {f.name: f.value for f in shown.response.embeds[0].fields}
    assert fields["vote_seconds"] == "120 s"
