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
