"""The tally refresh after clicks (issue 16, item 5): the board keeps each open vote's
rendered scene and swaps only its Tally field for the live counts, reading nothing else;
what it keeps goes when the vote closes, ends or its server's rules change."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from .conftest import World
from .test_play import again, buttons, field

pytestmark = pytest.mark.backends("sqlite", "postgres")  # the click path, on both (issue 17)


def without_tally(embed: discord.Embed) -> dict[str, Any]:
    data = embed.to_dict()
    data["fields"] = [f for f in data.get("fields", []) if f["name"] != "Tally"]
    return data


async def started(world: World) -> tuple[discord.Message, int]:
    result = await world.mod.slash(world.channel, "campaign start", story="derelict")
    assert result.acknowledged
    scene = world.channel.last_message
    decision = int(scene.components[0].children[0].custom_id.split(":")[2])
    return scene, decision


@pytest.fixture
def reads(world: World, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The votes read whole (decision, campaign, state, settings) for a redraw."""
    seen: list[int] = []
    read = world.bot.campaigns.vote

    async def counted(decision_id: int) -> Any:
        seen.append(decision_id)
        return await read(decision_id)

    monkeypatch.setattr(world.bot.campaigns, "vote", counted)
    return seen


async def test_a_refresh_after_clicks_swaps_the_counts_and_reads_nothing_else(
    world: World, reads: list[int]
) -> None:
    scene, decision = await started(world)
    labels = buttons(scene)
    await world.members[0].click(scene, label=labels[0])
    await world.env.advance_time(7)  # the first refresh in this process redraws it whole
    assert reads == [decision]
    drawn = again(world, scene).embeds[0]
    assert field(again(world, scene), "Tally").splitlines()[0].startswith("`  1`")

    await world.members[1].click(scene, label=labels[0])
    await world.members[2].click(scene, label=labels[1])
    await world.env.advance_time(7)
    assert reads == [decision]  # the counts only
    swapped = again(world, scene)
    lines = field(swapped, "Tally").splitlines()
    assert lines[0].startswith("`  2`") and lines[1].startswith("`  1`"), lines
    assert without_tally(swapped.embeds[0]) == without_tally(drawn)
    # exactly what a whole redraw shows
    await world.bot.board.refresh_now(decision, world.channel.id, scene.id)
    assert again(world, scene).embeds[0].to_dict() == swapped.embeds[0].to_dict()

    await world.env.advance_time(121)  # the vote closes: nothing is kept for it
    assert world.bot.board.renders.get(decision) is None
    assert "Decided" in [f.name for f in again(world, scene).embeds[0].fields]


async def test_a_change_of_the_servers_rules_redraws_the_next_refresh_whole(
    world: World, reads: list[int]
) -> None:
    scene, decision = await started(world)
    labels = buttons(scene)
    await world.members[0].click(scene, label=labels[0])
    await world.env.advance_time(7)
    assert world.bot.board.renders.get(decision) is not None
    await world.mod.slash(world.channel, "settings set", blind=True)
    assert world.bot.board.renders.get(decision) is None
    await world.mod.slash(world.channel, "settings set", blind=False)
    await world.members[1].click(scene, label=labels[0])
    await world.env.advance_time(7)
    assert reads == [decision, decision]
    assert field(again(world, scene), "Tally").splitlines()[0].startswith("`  2`")


async def test_a_paused_vote_is_redrawn_whole_and_its_refresh_keeps_the_pause(
    world: World, reads: list[int]
) -> None:
    scene, decision = await started(world)
    await world.members[0].click(scene, label=buttons(scene)[0])
    await world.env.advance_time(7)
    assert world.bot.board.renders.get(decision) is not None
    await world.mod.slash(world.channel, "campaign pause")
    assert field(again(world, scene), "Vote").startswith("Paused with")
    await world.mod.slash(world.channel, "campaign resume")
    clock = field(again(world, scene), "Vote")
    assert clock.startswith("Closes")
    await world.members[1].click(scene, label=buttons(scene)[0])
    await world.env.advance_time(7)
    assert field(again(world, scene), "Vote") == clock
    assert field(again(world, scene), "Tally").splitlines()[0].startswith("`  2`")
    assert len(reads) == 3  # the first refresh, pause, resume; not the last refresh
