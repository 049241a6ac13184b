"""How other crews chose: several servers play the same decision; the epilogue and the recap
compare, only from five servers on, and never for a server that does not share."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest

from tests.fork_story import fork_content

from .conftest import World


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return fork_content(tmp_path)


async def crew_plays(
    world: World, number: int, label: str, *, share: bool = True
) -> tuple[object, object]:
    """A new server whose crew takes `label` at the fork; returns its channel and player."""
    guild = world.env.create_guild(name=f"Server {number}")
    channel = guild.create_text_channel("bridge")
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    mod = guild.add_member(world.env.create_user(f"mod{number}"), roles=[mods])
    player = guild.add_member(world.env.create_user(f"player{number}"))
    if not share:
        saved = await mod.slash(channel, "settings set", share_choices=False)
        assert saved.response.content == "Saved."
    started = await mod.slash(channel, "campaign start", story="fork")
    assert started.acknowledged
    click = await player.click(channel.last_message, label=label)
    assert click.acknowledged
    await world.env.advance_time(121)
    return channel, player


def other_crews(message: discord.Message) -> str | None:
    return next(
        (f.value for f in message.embeds[0].fields if f.name == "How other crews chose"), None
    )


async def test_the_epilogue_compares_from_the_fifth_server_on(world: World) -> None:
    for number, label in enumerate(["Take the left lane"] * 3 + ["Take the right lane"]):
        channel, _ = await crew_plays(world, number, label)
        # four servers or fewer: no figure at all
        assert other_crews(channel.last_message) is None

    fifth, player = await crew_plays(world, 4, "Take the left lane")

    epilogue = fifth.last_message
    assert epilogue.embeds[0].title == "Home by the Left"
    assert other_crews(epilogue) == (
        "1. you chose “Take the left lane”, as did 80% of 5 crews in 5 servers"
    )
    recap = await player.slash(fifth, "campaign recap")
    assert (
        "Other crews: you chose “Take the left lane”, as did 80% of 5 crews in 5 servers"
        in recap.response.embeds[0].description
    )


async def test_a_server_that_does_not_share_neither_counts_nor_sees(world: World) -> None:
    for number in range(5):
        await crew_plays(world, number, "Take the right lane")

    private, player = await crew_plays(world, 5, "Take the left lane", share=False)
    assert other_crews(private.last_message) is None
    recap = await player.slash(private, "campaign recap")
    assert "Other crews" not in recap.response.embeds[0].description

    # the private server's left turn was not counted: the next crew is the first to go left
    sharing, _ = await crew_plays(world, 6, "Take the left lane")
    assert other_crews(sharing.last_message) == (
        "1. you chose “Take the left lane”, as did 17% of 6 crews in 6 servers"
    )
