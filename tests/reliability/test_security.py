"""Security, end to end: the token never leaks; moderator commands are checked when they
run, not only hidden; the bot shows counts, never who voted for what; an export holds its
own guild only."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import discord
import pytest
from simcord import SetupError

from bot.config import Settings
from bot.store._export import export_guild

from .helpers import World, buttons, field, scenes, start

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.not-a-real-token-but-looks-like-one-0123456789"
ONLY_MODERATORS = "Only moderators (Manage Server, or this server's moderator role) can do that."


@pytest.fixture
def settings(tmp_path: Path, content: Path) -> Settings:
    return Settings(
        discord_token=TOKEN,
        database=tmp_path / "deck.db",
        content_dir=content,
        tally_refresh_seconds=6.0,
        log_level="DEBUG",
        _env_file=None,
    )


def everything_shown(world: World, *replies: object) -> str:
    """Every message in the channel and every reply given, as one text."""
    parts = []
    for message in world.channel.history():
        parts.append(message.content)
        parts += [json.dumps(embed.to_dict()) for embed in message.embeds]
    for reply in replies:
        response = reply.response  # type: ignore[attr-defined]
        parts.append(response.content or "")
        parts += [json.dumps(embed.to_dict()) for embed in response.embeds]
    return "\n".join(parts)


async def test_the_token_is_in_no_log_reply_message_export_or_file(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    world.env.inject_error("POST", "/channels/*/messages", status=503, times=2)
    world.env.inject_error("PATCH", "/channels/*/messages/*", status=500)
    await world.env.advance_time(7)
    await world.env.advance_time(121 + 6 + 30)  # warnings with Discord's error text
    status = await world.mod.slash(world.channel, "campaign status")
    await world.restart()
    exported = await export_guild(world.bot.store, world.guild.id)
    logged = "\n".join(
        record.getMessage()
        + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        for record in caplog.records
    )
    assert logged and "posting failed" in logged
    assert TOKEN not in logged
    assert TOKEN not in world.env.transcript()
    assert TOKEN not in everything_shown(world, status)
    assert TOKEN not in json.dumps(exported)
    assert TOKEN not in repr(world.settings) and TOKEN not in str(world.settings)
    assert TOKEN.encode() not in world.settings.database.read_bytes()


async def test_settings_commands_are_checked_when_they_run_not_only_hidden(world: World) -> None:
    member = world.members[0]
    with pytest.raises(SetupError, match="not visible"):
        await member.slash(world.channel, "settings show")  # hidden: Manage Server by default
    # A server admin may show the command to anyone (Integrations settings): the check at
    # run time still refuses it.
    command = world.env.backend.find_command("settings", world.guild.id, type=1)
    world.guild.set_command_permissions(int(command["id"]), {member: True})
    shown = await member.slash(world.channel, "settings show")
    assert shown.ephemeral and shown.response.content == ONLY_MODERATORS
    changed = await member.slash(world.channel, "settings set", quorum=5)
    assert changed.ephemeral and changed.response.content == ONLY_MODERATORS
    rules = await world.mod.slash(world.channel, "settings show")
    assert {f.name: f.value for f in rules.response.embeds[0].fields}["quorum"] == "1"


async def test_only_counts_are_shown_never_who_voted_for_what(world: World) -> None:
    scene = await start(world)
    voters = world.members[:4]
    for voter in voters[:3]:
        await voter.click(scene, label="Force the door with the winch")
    await voters[3].click(scene, label="Wake the door's own controller")
    await world.env.advance_time(7)
    status = await world.members[4].slash(world.channel, "campaign status")
    await world.env.advance_time(121)
    recap = await world.members[4].slash(world.channel, "campaign recap")
    listed = await world.members[4].slash(world.channel, "campaign list")
    shown = everything_shown(world, status, recap, listed)
    assert "(the vote closed on time; 4 votes)" in field(
        next(m for m in world.channel.history() if m.id == scene.id), "Decided"
    )
    for voter in voters:
        for trace in (str(voter.id), voter.name, voter.mention):
            assert trace not in shown, trace
    exported = json.dumps(await export_guild(world.bot.store, world.guild.id))
    for voter in voters:
        assert str(voter.id) not in exported
    assert '"ballots": 4' in exported


async def test_an_export_holds_its_own_guild_only(world: World) -> None:
    other = world.env.create_guild(name="Elsewhere")
    elsewhere = other.create_text_channel("deck")
    mods = other.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    other_mod = other.add_member(world.env.create_user("other-captain"), roles=[mods])
    other_crew = other.add_member(world.env.create_user("other-crew"))
    await other_mod.slash(elsewhere, "settings set", quorum=3, moderator_role=mods)
    await other_mod.slash(elsewhere, "campaign start", story="claim-jumpers")
    await other_crew.click(elsewhere.last_message, label=buttons(elsewhere.last_message)[0])

    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.env.advance_time(121)
    assert len(scenes(world)) == 2

    exported = await export_guild(world.bot.store, world.guild.id)
    text = json.dumps(exported)
    for foreign in (other.id, elsewhere.id, other_mod.id, other_crew.id, mods.id):
        assert str(foreign) not in text
    assert "claim-jumpers" not in text
    assert [c["story_id"] for c in exported["campaigns"]] == ["derelict"]
