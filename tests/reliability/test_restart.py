"""The bot restarts (a deploy, a crash) while a vote is open, while one is paused and while
one is being closed. Each restart is a new bot object on the same database, as in
production; the old one's tasks are cancelled wherever they were."""

from __future__ import annotations

from bot.app import create_bot
from tests.discord.conftest import close_bot

from .helpers import World, again, campaign_line, disabled, field, scenes, start


async def down_for(world: World, seconds: float) -> None:
    """Stop the bot, let time pass with no bot running, start a new one."""
    await close_bot(world.bot)
    await world.env.advance_time(seconds)
    world.bot = create_bot(world.settings)
    await world.env.restart_bot(world.bot)


async def test_a_deadline_that_passed_while_the_bot_was_down_closes_at_start(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.members[1].click(scene, label="Force the door with the winch")
    await world.members[2].click(scene, label="Wake the door's own controller")
    await down_for(world, 600)
    closed = again(world, scene)
    assert all(disabled(closed))
    assert "**Force the door with the winch** (the vote closed on time; 3 votes)" in field(
        closed, "Decided"
    )
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock", "The Cargo Hold"]


async def test_restart_while_an_open_vote_has_ballots_keeps_every_ballot(world: World) -> None:
    scene = await start(world)
    for member in world.members[:3]:
        await member.click(scene, label="Force the door with the winch")
    await world.env.advance_time(50)
    await world.restart()
    changed = await world.members[0].click(
        again(world, scene), label="Wake the door's own controller"
    )
    assert changed.response.content.startswith(
        "You changed your vote from **Force the door with the winch**"
    )
    await world.env.advance_time(71)
    assert "(the vote closed on time; 3 votes)" in field(again(world, scene), "Decided")


async def test_restart_while_paused_stays_paused_and_resumes_with_the_time_left(
    world: World,
) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.env.advance_time(90)
    paused = await world.mod.slash(world.channel, "campaign pause")
    assert "with 30 s left" in paused.response.content
    await world.restart()
    await world.env.advance_time(3600)
    assert not any(disabled(again(world, scene)))  # no timer ran while paused
    assert (await campaign_line(world)).startswith("paused")
    refused = await world.members[1].click(
        again(world, scene), label="Force the door with the winch"
    )
    assert refused.response.content == (
        "The campaign is paused; votes count again once a moderator resumes it."
    )
    resumed = await world.mod.slash(world.channel, "campaign resume")
    assert "resumed the campaign" in resumed.response.content
    await world.env.advance_time(29)
    assert not any(disabled(again(world, scene)))
    await world.env.advance_time(2)
    assert "(the vote closed on time; 1 vote)" in field(again(world, scene), "Decided")


async def test_restart_while_a_close_is_posting_the_next_scene(world: World) -> None:
    """The vote closed and committed, but Discord refused the next scene and the bot was
    restarted while waiting to retry: the new bot posts it, once."""
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    world.env.inject_error("POST", "/channels/*/messages", status=503, times=1)
    await world.env.advance_time(121)  # closed; the post failed; a retry is 6 s away
    assert all(disabled(again(world, scene)))
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock"]
    await world.restart()
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock", "The Cargo Hold"]
    await world.env.advance_time(60)
    assert len(scenes(world, "The Cargo Hold")) == 1
    click = await world.members[0].click(scenes(world)[-1], label="Tag another crate")
    assert click.response.content.startswith("You voted")


async def test_restart_while_paused_for_a_failed_post_then_resume_posts_it(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    world.env.inject_error("POST", "/channels/*/messages", status=403, times=1)
    await world.env.advance_time(121)
    assert (await campaign_line(world)).startswith("paused: the bot cannot post")
    await world.restart()
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock"]  # still paused
    await world.mod.slash(world.channel, "campaign resume")
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock", "The Cargo Hold"]
