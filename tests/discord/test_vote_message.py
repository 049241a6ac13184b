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
        "`  0`  Broadcast our registration: we're licensed, the claim is filed — **Captain Jax**",
        "`  0`  Warm up the fusion torch before we answer anything — **Wrench**",
        "`  0`  Log their drive signatures for the other independents — **Kayla**",
    ]
    # Long labels: one button a row, so each reads whole on a phone.
    assert rows(alarm) == [[label] for label in buttons(alarm)]

    pods = await vote_and_close(world, alarm, buttons(alarm)[0])
    embed = pods.embeds[0]
    assert embed.title == "Pod or Pieces"
    assert embed.author.name == "Captain Jax"  # not "Captain Jax, Captain"
    tally = field(pods, "Tally")
    assert "Take the pod. Alive beats rich. — **Sofia**" in tally
    assert "Close in and put the torch through the nearest one — **Wrench**" in tally
    assert field(pods, "The crew argue").splitlines() == [
        "**Sofia**: Every number I have says get in the pod. I'd like to keep having numbers.",
        "**Wrench**: She cuts rock all day. Let's see what she does to their plating.",
        "**Captain Jax**: Somebody out there owes us a favour. Time we called one in.",
    ]

    click = await world.members[0].click(pods, label="Take the pod. Alive beats rich.")
    assert click.response.content.startswith("You voted **Take the pod. Alive beats rich.** You")
    assert ".**." not in click.response.content
    await world.members[1].click(pods, label="Close in and put the torch through the nearest one")
    changed = await world.members[1].click(pods, label="Take the pod. Alive beats rich.")
    assert changed.response.content.startswith(
        "You changed your vote from **Close in and put the torch through the nearest one** to"
        " **Take the pod. Alive beats rich.** You can change it"
    )
    await world.env.advance_time(7)
    assert "`  2` ████████ Take the pod. Alive beats rich. — **Sofia**" in field(
        again(world, pods), "Tally"
    )


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
    pod_bay = await vote_and_close(world, pods, "Take the pod. Alive beats rich.")
    assert pod_bay.embeds[0].title == "The Pod"
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
