"""A channel plays a campaign end to end through the real discord.py (SimCord)."""

from __future__ import annotations

import logging

import discord
import pytest
from simcord import SetupError

from tests.markers import needs_dot

from .conftest import World

pytestmark = pytest.mark.backends(
    "sqlite", "postgres"
)  # the whole play, on both backends (issue 17)


def buttons(message: discord.Message) -> list[str]:
    return [child.label for row in message.components for child in row.children]


def disabled(message: discord.Message) -> list[bool]:
    return [child.disabled for row in message.components for child in row.children]


def field(message: discord.Message, name: str) -> str:
    return next(f.value for f in message.embeds[0].fields if f.name == name)


def again(world: World, message: discord.Message) -> discord.Message:
    """The message as it is now."""
    return next(m for m in world.channel.history() if m.id == message.id)


async def start(world: World, story: str = "derelict") -> discord.Message:
    result = await world.mod.slash(world.channel, "campaign start", story=story)
    assert result.acknowledged, result
    return world.channel.last_message


async def test_start_vote_and_the_timer_moves_the_story_on(world: World) -> None:
    result = await world.mod.slash(world.channel, "campaign start", story="derelict")
    assert result.acknowledged and not result.ephemeral
    assert "**The Derelict** begins" in result.response.content
    scene = world.channel.last_message
    embed = scene.embeds[0]
    assert embed.title == "The Airlock"
    assert "6 hours of air" in embed.description
    assert embed.author.name == "Mira Okafor, Pilot"
    assert embed.colour == discord.Colour(0x3FA7D6)
    assert field(scene, "Ship") == "Air 6h · Salvage 0"
    assert field(scene, "Vote").startswith("Closes <t:")
    assert buttons(scene) == ["Force the door with the winch", "Wake the door's own controller"]

    for member in world.members[:4]:
        click = await member.click(scene, label="Force the door with the winch")
        assert click.acknowledged and click.ephemeral
        assert click.response.content.startswith("You voted **Force the door with the winch**")
        assert "You can change it until <t:" in click.response.content
    change = await world.members[0].click(scene, label="Wake the door's own controller")
    assert "changed your vote from **Force the door with the winch**" in change.response.content
    await world.members[4].click(scene, label="Wake the door's own controller")

    await world.env.advance_time(7)  # the debounced tally refresh
    assert "`  3`" in field(again(world, scene), "Tally")

    await world.env.advance_time(120)
    closed = again(world, scene)
    assert all(disabled(closed))
    assert "**Force the door with the winch** (the vote closed on time; 5 votes)" in field(
        closed, "Decided"
    )
    next_scene = world.channel.last_message
    assert next_scene.id != scene.id
    assert next_scene.embeds[0].title == "The Cargo Hold"
    assert field(next_scene, "Ship") == "Air 5h · Salvage 0"


async def test_tally_refresh_is_debounced(world: World) -> None:
    scene = await start(world)
    before = len([r for r in world.env.http_requests if r.method == "PATCH"])
    for member in world.members:
        await member.click(scene, label="Force the door with the winch")
    await world.env.advance_time(7)
    edits = [r for r in world.env.http_requests if r.method == "PATCH"][before:]
    assert len(edits) == 1


async def test_restart_mid_vote_keeps_ballots_and_the_deadline(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Wake the door's own controller")
    await world.members[1].click(scene, label="Wake the door's own controller")
    await world.env.advance_time(30)
    await world.restart()
    scene = again(world, scene)
    click = await world.members[2].click(scene, label="Force the door with the winch")
    assert click.acknowledged and click.response.content.startswith("You voted")
    await world.env.advance_time(91)
    closed = again(world, scene)
    assert "(the vote closed on time; 3 votes)" in field(closed, "Decided")
    assert "**Wake the door's own controller**" in field(closed, "Decided")


async def test_pause_past_the_deadline_then_resume_with_the_time_left(world: World) -> None:
    scene = await start(world)
    await world.env.advance_time(100)
    paused = await world.mod.slash(world.channel, "campaign pause")
    assert "paused the campaign with 20 s left" in paused.response.content
    refused = await world.members[0].click(scene, label="Force the door with the winch")
    assert refused.ephemeral and "paused" in refused.response.content
    await world.env.advance_time(1000)
    assert world.channel.last_message.id != scene.id  # the pause notice
    assert not any(disabled(again(world, scene)))  # still open
    await world.mod.slash(world.channel, "campaign resume")
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.env.advance_time(19)
    assert not any(disabled(again(world, scene)))
    await world.env.advance_time(2)
    assert all(disabled(again(world, scene)))
    assert world.channel.last_message.embeds[0].title == "The Cargo Hold"


async def test_skip_and_decide(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    skipped = await world.mod.slash(world.channel, "campaign skip")
    assert skipped.ephemeral and skipped.response.content == "You closed the vote."
    assert "a moderator closed the vote early" in field(again(world, scene), "Decided")
    hold = world.channel.last_message
    assert hold.embeds[0].title == "The Cargo Hold"
    decided = await world.mod.slash(world.channel, "campaign decide", choice="leave")
    assert decided.ephemeral and decided.response.content == "Decided: **Back to our ship**."
    assert "a moderator decided" in field(again(world, hold), "Decided")
    assert world.channel.last_message.embeds[0].title == "The Long Way Back"
    refused = await world.mod.slash(world.channel, "campaign decide", choice="nonsense")
    assert refused.ephemeral and "'nonsense' is not one of the choices" in refused.response.content


@pytest.mark.parametrize("rule", ["first", "random", "moderator"])
async def test_tie_rules(world: World, rule: str) -> None:
    await world.mod.slash(world.channel, "settings set", tie_break=rule)
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.members[1].click(scene, label="Wake the door's own controller")
    await world.env.advance_time(121)
    if rule == "moderator":
        assert (
            "The vote tied between **Force the door with the winch** and"
            in world.channel.last_message.content
        )
        late = await world.members[2].click(scene, label="Force the door with the winch")
        assert "a moderator is choosing" in late.response.content
        await world.mod.slash(world.channel, "campaign decide", choice="force")
        assert "a moderator decided" in field(again(world, scene), "Decided")
    else:
        assert "a tie, settled by the server's tie rule" in field(again(world, scene), "Decided")
        if rule == "first":
            assert "**Force the door with the winch**" in field(again(world, scene), "Decided")


async def test_quorum_not_met_takes_the_no_decision_outcome(world: World) -> None:
    await world.mod.slash(world.channel, "settings set", quorum=3)
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.env.advance_time(121)
    decided = field(again(world, scene), "Decided")
    assert "No decision: the crew hesitated" in decided
    assert "Nobody moves, and the suits tick away an hour of air." in decided
    assert world.channel.last_message.embeds[0].title == "The Airlock"


async def test_blind_votes_hide_the_tally_until_the_close(world: World) -> None:
    await world.mod.slash(world.channel, "settings set", blind=True)
    scene = await start(world)
    hidden = (
        "Force the door with the winch — **Dov Lindqvist**\n"
        "Wake the door's own controller — **Mira Okafor** · 60%\n"
        "*Hidden until the vote closes.*"
    )
    assert field(scene, "Tally") == hidden
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.env.advance_time(7)
    assert field(again(world, scene), "Tally") == hidden
    await world.env.advance_time(120)
    assert "`  1`" in field(again(world, scene), "Final tally")


async def test_voter_role(world: World) -> None:
    voters = world.guild.create_role("Crew")
    voter = world.guild.add_member(world.env.create_user("voter"), roles=[voters])
    await world.mod.slash(world.channel, "settings set", voter_role=voters)
    scene = await start(world)
    refused = await world.members[0].click(scene, label="Force the door with the winch")
    assert (
        refused.ephemeral
        and refused.response.content == "Only members with this server's voter role can vote."
    )
    accepted = await voter.click(scene, label="Force the door with the winch")
    assert accepted.response.content.startswith("You voted")


async def test_members_without_rights_cannot_moderate(world: World) -> None:
    member = world.members[0]
    with pytest.raises(SetupError):
        await member.slash(world.channel, "settings set", quorum=2)  # hidden by default permissions
    refused = await member.slash(world.channel, "campaign start", story="derelict")
    assert refused.ephemeral
    assert (
        refused.response.content
        == "Only moderators (Manage Server, or this server's moderator role) can do that."
    )
    assert world.channel.last_message is None or not world.channel.last_message.embeds
    await start(world)
    for command in ("campaign pause", "campaign skip", "campaign end"):
        result = await member.slash(world.channel, command)
        assert result.ephemeral and "Only moderators" in result.response.content
    status = await member.slash(world.channel, "campaign status")
    assert status.ephemeral and status.response.embeds[0].title == "The Derelict: The Airlock"


async def test_moderator_role_grants_the_campaign_commands(world: World) -> None:
    helpers = world.guild.create_role("Helpers")
    helper = world.guild.add_member(world.env.create_user("helper"), roles=[helpers])
    await world.mod.slash(world.channel, "settings set", moderator_role=helpers)
    result = await helper.slash(world.channel, "campaign start", story="derelict")
    assert not result.ephemeral and "begins" in result.response.content


async def test_two_guilds_play_at_once(world: World) -> None:
    other = world.env.create_guild(name="Other")
    channel = other.create_text_channel("deck")
    mods = other.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    mod = other.add_member(world.env.create_user("other-captain"), roles=[mods])
    player = other.add_member(world.env.create_user("other-crew"))
    await mod.slash(channel, "settings set", vote_seconds=300)
    scene_a = await start(world)
    await mod.slash(channel, "campaign start", story="derelict")
    scene_b = channel.last_message
    await world.members[0].click(scene_a, label="Force the door with the winch")
    await player.click(scene_b, label="Wake the door's own controller")
    await world.env.advance_time(121)
    assert all(disabled(again(world, scene_a)))
    assert not any(disabled(next(m for m in channel.history() if m.id == scene_b.id)))
    listed = await mod.slash(channel, "campaign list")
    assert listed.response.embeds[0].description.count("The Derelict") == 1


async def test_a_500_on_the_tally_edit_loses_no_ballot(world: World) -> None:
    scene = await start(world)
    world.env.inject_error("PATCH", "/channels/*/messages/*", status=500)
    for member in world.members[:3]:
        click = await member.click(scene, label="Wake the door's own controller")
        assert click.acknowledged and click.response.content.startswith("You voted")
    await world.env.advance_time(7)  # the refresh fails; logged as a warning
    status = await world.mod.slash(world.channel, "campaign status")
    tally = next(f.value for f in status.response.embeds[0].fields if f.name == "Tally")
    assert "`  3`" in tally


async def test_a_whole_claim_jumpers_run_reaches_an_ending(world: World) -> None:
    scene = await start(world, "claim-jumpers")
    assert scene.embeds[0].title == "0412 Hours"
    for _ in range(60):
        labels = buttons(scene)
        click = await world.members[0].click(scene, label=labels[-1])
        assert click.acknowledged
        await world.members[1].click(scene, label=labels[-1])
        await world.env.advance_time(121)
        assert all(disabled(again(world, scene)))
        last = world.channel.last_message
        if last.embeds and last.embeds[0].author and last.embeds[0].author.name.endswith("the end"):
            break
        scene = next(m for m in reversed(world.channel.history()) if m.components)
        assert not any(disabled(scene))
    else:
        pytest.fail("no ending after 60 decisions")
    epilogue = world.channel.last_message
    assert "One of 8 endings this story has." in field(epilogue, "Campaign")
    assert "Endings discovered in this server: 1 of 8." in field(epilogue, "Campaign")
    recap = await world.members[0].slash(world.channel, "campaign recap")
    assert recap.response.embeds[0].description.splitlines()[-1].startswith("Ended at: ")
    listed = await world.members[0].slash(world.channel, "campaign list")
    assert "ended" in listed.response.embeds[0].description


async def test_commands_sync_only_when_they_changed(world: World) -> None:
    def syncs() -> int:
        return len(
            [r for r in world.env.http_requests if r.method == "PUT" and "commands" in r.path]
        )

    assert syncs() == 1
    await world.restart()
    assert syncs() == 1
    result = await world.mod.slash(world.channel, "campaign start", story="derelict")
    assert result.acknowledged


async def test_lost_permission_pauses_the_campaign_and_says_why(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    world.env.inject_error("POST", "/channels/*/messages", status=403)
    await world.env.advance_time(121)
    status = await world.mod.slash(world.channel, "campaign status")
    text = status.response.embeds[0].fields[0].value
    assert text.startswith("paused: the bot cannot post in its channel")
    resumed = await world.mod.slash(world.channel, "campaign resume")  # permission is back
    assert "resumed the campaign" in resumed.response.content
    assert world.channel.last_message.embeds[0].title == "The Cargo Hold"
    assert buttons(world.channel.last_message)[0] == "Tag another crate"


async def test_discord_failing_on_the_next_scene_retries_then_posts(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    world.env.inject_error("POST", "/channels/*/messages", status=500, times=2)
    await world.env.advance_time(121)
    assert all(disabled(again(world, scene)))  # the vote closed once
    assert world.channel.last_message.id == scene.id  # the next scene is not out yet
    await world.env.advance_time(40)  # two retries later Discord answers
    assert world.channel.last_message.embeds[0].title == "The Cargo Hold"
    scenes = [
        m for m in world.channel.history() if m.embeds and m.embeds[0].title == "The Cargo Hold"
    ]
    assert len(scenes) == 1


async def test_discord_failing_for_good_pauses_the_campaign(world: World) -> None:
    scene = await start(world)
    world.env.inject_error("POST", "/channels/*/messages", status=503, times=None)
    await world.mod.slash(world.channel, "campaign skip")
    await world.env.advance_time(200)
    status = await world.mod.slash(world.channel, "campaign status")
    assert (
        "paused: Discord kept refusing its next message (HTTP 503)"
        in status.response.embeds[0].fields[0].value
    )
    assert all(disabled(again(world, scene)))


async def test_a_vote_never_posted_before_a_crash_is_posted_at_the_next_start(world: World) -> None:
    scene = await start(world)
    guild_id, channel_id = world.guild.id, world.channel.id
    # Closed by the use case alone, as if the process died before posting what came next.
    closed = await world.bot.campaigns.skip(
        guild_id=guild_id, channel_id=channel_id, actor_id=world.mod.id
    )
    assert closed.next_vote is not None and world.channel.last_message.id == scene.id
    await world.restart()
    posted = world.channel.last_message
    assert posted.embeds[0].title == closed.next_vote.scene.title
    click = await world.members[0].click(posted, label=buttons(posted)[0])
    assert click.response.content.startswith("You voted")


@needs_dot
async def test_the_map_draws_the_way_taken(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.env.advance_time(121)
    result = await world.members[0].slash(world.channel, "campaign map")
    message = result.followups[0] if result.followups else result.response
    assert "the way this campaign has taken so far" in message.content
    [picture] = message.attachments
    assert picture.filename == "derelict-map.png"
    refused = await world.members[0].slash(world.channel, "campaign map", full=True)
    assert refused.ephemeral and "Only moderators" in refused.response.content


async def test_the_map_says_so_when_graphviz_is_missing(world: World, monkeypatch) -> None:
    await start(world)
    monkeypatch.setenv("PATH", "/nonexistent")
    result = await world.mod.slash(world.channel, "campaign map", full=True)
    message = result.followups[0] if result.followups else result.response
    assert (
        message.content
        == "The map cannot be drawn here: Graphviz's `dot` is not installed; install the graphviz package."
    )


async def test_autocomplete_offers_stories_and_open_choices(world: World) -> None:
    stories = await world.mod.autocomplete(world.channel, "campaign start", "story", "claim")
    assert stories == [{"name": "Claim Jumpers (claim-jumpers)", "value": "claim-jumpers"}]
    await start(world)
    choices = await world.mod.autocomplete(world.channel, "campaign decide", "choice", "door")
    assert [c["value"] for c in choices] == ["force", "hack"]


async def test_campaign_events_are_logged_with_guild_channel_and_campaign(
    world: World, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.mod.slash(world.channel, "campaign pause")
    await world.mod.slash(world.channel, "campaign resume")
    await world.env.advance_time(121)
    where = f"campaign 1 (guild {world.guild.id}, channel {world.channel.id})"
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.campaign.service"]
    assert f"{where} started: story derelict by {world.mod.id}" in lines
    assert f"{where} paused by {world.mod.id}" in lines
    assert f"{where} resumed by {world.mod.id}" in lines
    assert f"{where} vote 1 closed (timer): force, tally {{'force': 1, 'hack': 0}}" in lines
