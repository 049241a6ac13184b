"""A burst of clicks on one vote through the real discord.py (SimCord): every member is told
their vote counted, the scene message is edited at most once per refresh interval (not once a
click), and the tally it ends up showing is every committed ballot."""

from __future__ import annotations

import discord
import pytest

from .conftest import World

FORCE, WAKE = "Force the door with the winch", "Wake the door's own controller"
# 24 clicks can take well over 6 s of real time on a loaded machine, and a refresh due within
# that time fires by SimCord's real-time fallback in the middle of a click: a long settle
# window, and a refresh interval past it (virtual seconds), keep the test on virtual time.
SETTLE = 30.0
INTERVAL = 40.0

pytestmark = pytest.mark.settle(SETTLE)


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"tally_refresh_seconds": INTERVAL})


def edits_of(world: World, message: discord.Message) -> int:
    return len(
        [
            r
            for r in world.env.http_requests
            if r.method == "PATCH" and r.path.endswith(f"/messages/{message.id}")
        ]
    )


def tally(world: World, message: discord.Message) -> str:
    now = next(m for m in world.channel.history() if m.id == message.id)
    return next(f.value for f in now.embeds[0].fields if f.name == "Tally")


async def test_a_burst_of_clicks_edits_the_message_once_per_interval(world: World) -> None:
    crowd = [world.guild.add_member(world.env.create_user(f"crowd{i}")) for i in range(24)]
    await world.mod.slash(world.channel, "campaign start", story="derelict")
    scene = world.channel.last_message
    before = edits_of(world, scene)
    started = discord.utils.utcnow()  # SimCord's clock also runs while the clicks are handled
    for n, member in enumerate(crowd):
        click = await member.click(scene, label=FORCE if n % 4 else WAKE)
        assert click.acknowledged and click.ephemeral
        assert click.response.content.startswith("You voted")
    await world.env.advance_time(INTERVAL + 1)
    elapsed = (discord.utils.utcnow() - started).total_seconds()
    edits = edits_of(world, scene) - before
    assert 1 <= edits <= 1 + elapsed // INTERVAL < len(crowd)
    assert "` 18`" in tally(world, scene) and "`  6`" in tally(world, scene)

    for member in crowd[:8]:  # a second wave, six of them changing their minds
        click = await member.click(scene, label=WAKE)
        assert click.acknowledged
    await world.env.advance_time(INTERVAL + 1)
    assert tally(world, scene).count("` 12`") == 2
