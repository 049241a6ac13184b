"""Votes that stop or go unseen (issue 15, items 1 and 2): a tie left to a moderator that a
fault paused, and closes committed but never shown because Discord or a read failed on the
way to the channel."""

from __future__ import annotations

from .helpers import World, again, campaign_line, disabled, field, scenes, start


async def test_a_waiting_tie_paused_by_a_fault_resumes_into_waiting_and_takes_decide(
    world: World,
) -> None:
    await world.mod.slash(world.channel, "settings set", tie_break="moderator")
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.members[1].click(scene, label="Wake the door's own controller")
    world.env.inject_error("POST", "/channels/*/messages", status=403, times=1)
    await world.env.advance_time(121)  # the tie: the "waiting" notice is refused
    assert (await campaign_line(world)).startswith("paused: the bot cannot post")
    resumed = await world.mod.slash(world.channel, "campaign resume")
    assert not resumed.ephemeral, resumed.response.content
    assert "/campaign decide" in resumed.response.content
    assert (await campaign_line(world)).startswith("waiting for a moderator")
    decided = await world.mod.slash(world.channel, "campaign decide", choice="force")
    assert decided.response.content == "Decided: **Force the door with the winch**."
    assert all(disabled(again(world, scene)))
    assert "a moderator decided" in field(again(world, scene), "Decided")
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock", "The Cargo Hold"]


FETCH_MESSAGE = "/channels/*/messages/*"


async def test_a_skip_whose_showing_fails_says_done_and_the_sweep_shows_it(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    world.env.inject_error("GET", FETCH_MESSAGE, status=503, times=1)
    skipped = await world.mod.slash(world.channel, "campaign skip")
    assert skipped.response.content == "You closed the vote."
    [told] = skipped.followups
    assert told.ephemeral and "Done, and saved" in told.content, told.content
    assert "nothing was changed" not in told.content
    assert not any(disabled(again(world, scene)))  # committed, not shown yet
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock"]
    await world.env.advance_time(61)  # the sweep
    assert all(disabled(again(world, scene)))
    assert "a moderator closed the vote early" in field(again(world, scene), "Decided")
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock", "The Cargo Hold"]
    await world.env.advance_time(61)  # another round changes nothing: shown once
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock", "The Cargo Hold"]


async def test_a_timer_close_whose_showing_fails_is_shown_by_the_sweep(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    world.env.inject_error("GET", FETCH_MESSAGE, status=500, times=1)
    await world.env.advance_time(121)  # closes; marking the message closed fails
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock"]
    await world.env.advance_time(60)
    assert "(the vote closed on time; 1 vote)" in field(again(world, scene), "Decided")
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock", "The Cargo Hold"]
    hold = scenes(world)[-1]
    click = await world.members[1].click(hold, label="Tag another crate")
    assert click.response.content.startswith("You voted **Tag another crate**")


async def test_a_close_left_unshown_by_a_crash_is_shown_at_the_next_start(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    world.env.inject_error("GET", FETCH_MESSAGE, status=500, times=1)
    await world.env.advance_time(121)
    await world.restart()  # before the sweep's next round: the new bot's ready finishes it
    assert "(the vote closed on time; 1 vote)" in field(again(world, scene), "Decided")
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock", "The Cargo Hold"]
