"""What a member reads on Claim Jumpers' vote messages (issue 13): who argues for each choice
and their pitch, the odds, buttons that all read on a narrow screen, a plain confirmation, and
an ending whose card says what happened to the ship."""

from __future__ import annotations

import discord

from .conftest import World
from .test_play import again, buttons, field


def rows(message: discord.Message) -> list[list[str]]:
    return [[child.label for child in row.children] for row in message.components]


async def vote_and_close(world: World, scene: discord.Message, label: str) -> discord.Message:
    """Every member votes `label`; the timer closes the vote; the next message comes back."""
    for member in world.members:
        click = await member.click(scene, label=label)
        assert click.acknowledged
    await world.env.advance_time(121)
    return world.channel.last_message


async def test_the_vote_message_says_who_argues_for_each_choice(world: World) -> None:
    started = await world.mod.slash(world.channel, "campaign start", story="claim-jumpers")
    assert started.acknowledged
    alarm = world.channel.last_message
    assert alarm.embeds[0].author.name == "Kayla, Comms"
    assert field(alarm, "Tally").splitlines() == [
        "`  0`  Broadcast our registration: licensed miners, claim on file — **Captain Jax**",
        "`  0`  Say nothing yet. Record their drive signatures first — **Kayla**",
        "`  0`  Warm up the fusion torch before we answer anything — **Wrench**",
    ]
    # Long labels: one button a row, so each reads whole on a phone.
    assert rows(alarm) == [[label] for label in buttons(alarm)]

    pods = await vote_and_close(world, alarm, buttons(alarm)[0])
    assert pods.embeds[0].title == "Pod or Pieces"
    assert pods.embeds[0].author.name == "Wrench, Engineer"
    assert "Ask Wrench what armour we have left — **Captain Jax**" in field(pods, "Tally")
    odds = await vote_and_close(world, pods, "Ask Wrench what armour we have left")
    embed = odds.embeds[0]
    assert embed.title == "The Arithmetic"
    tally = field(odds, "Tally")
    assert "Sofia's way: into the pod. Alive beats rich. — **Sofia**" in tally
    assert "Close in and put the torch through the nearest one — **Wrench**" in tally
    assert field(odds, "The crew argue").splitlines() == [
        "**Sofia**: I've watched a crew die for cargo once. I'm not doing it twice. Get in the pod.",
        "**Wrench**: She's my ship. Get me close and the torch will open one of them like a"
        " ration tin.",
        "**Captain Jax**: Jumpers live on nobody watching. Give them an audience and watch them"
        " get nervous.",
        "**Kayla**: Before we shout to the whole Belt, let me ask them what they actually want.",
    ]

    pod = "Sofia's way: into the pod. Alive beats rich."
    click = await world.members[0].click(odds, label=pod)
    assert click.response.content.startswith(f"You voted **{pod}** You")
    assert ".**." not in click.response.content
    await world.members[1].click(odds, label="Close in and put the torch through the nearest one")
    changed = await world.members[1].click(odds, label=pod)
    assert changed.response.content.startswith(
        "You changed your vote from **Close in and put the torch through the nearest one** to"
        f" **{pod}** You can change it"
    )
    await world.env.advance_time(7)
    assert f"`  2` ████████ {pod} — **Sofia**" in field(again(world, odds), "Tally")


async def test_short_labels_share_rows(world: World) -> None:
    await world.mod.slash(world.channel, "campaign start", story="derelict")
    scene = world.channel.last_message
    assert buttons(scene) == ["Force the door with the winch", "Wake the door's own controller"]
    assert rows(scene) == [["Force the door with the winch"], ["Wake the door's own controller"]]
    hold = await vote_and_close(world, scene, "Force the door with the winch")
    assert rows(hold) == [["Tag another crate", "Climb to the bridge", "Back to our ship"]]
    assert "Climb to the bridge — **Mira Okafor**" in field(hold, "Tally")
    # Closing keeps the layout, with the buttons disabled.
    closed = await vote_and_close(world, hold, "Back to our ship")
    assert rows(again(world, hold)) == [
        ["Tag another crate", "Climb to the bridge", "Back to our ship"]
    ]
    assert closed.embeds[0].title == "The Long Way Back"


async def test_an_ending_card_shows_the_ship_after_the_ending(world: World) -> None:
    await world.mod.slash(world.channel, "campaign start", story="claim-jumpers")
    alarm = world.channel.last_message
    pods = await vote_and_close(world, alarm, buttons(alarm)[0])
    assert field(pods, "Ship").startswith("Exotic matter 30kg · Hull 100%")
    odds = await vote_and_close(world, pods, "Ask Wrench what armour we have left")
    pod_bay = await vote_and_close(world, odds, "Sofia's way: into the pod. Alive beats rich.")
    assert pod_bay.embeds[0].title == "The Pod Bay"
    await vote_and_close(world, pod_bay, "Launch. We live, and we start over.")
    ending = next(
        m
        for m in reversed(list(world.channel.history()))
        if m.embeds and m.embeds[0].author and m.embeds[0].author.name.endswith("the end")
    )
    assert ending.embeds[0].title == "Alive"
    ship = field(ending, "Ship")
    assert ship == "Lucky Strike lost · Exotic matter 0kg · four crew alive in the pod"
    assert "Hull 100%" not in ship and "30kg" not in ship
