"""Interactions Discord should never send, and the ones it sends twice.

- A gateway replay delivers the same INTERACTION_CREATE (same id, same token) again: the
  ballot counts once, a command acts once, nothing logs an ERROR.
- A forged button (a custom id no current vote has: an unknown or another guild's
  decision, a choice out of range, a closed vote, a malformed id) is refused with a
  private, plain-words reply and changes nothing.

Discord only delivers clicks on buttons that are on the message (and discord.py drops a
click whose custom id is not on it), so a forged id can only arrive on a message that
carries it: a message of the bot's own, as an older version or a bug could have left. The
test puts such a message in the channel (SimCord's backend, as the bot's author) and
members click its buttons the ordinary way; everything after that is the real path.
Replays re-emit the exact INTERACTION_CREATE payload SimCord recorded in its transcript.
"""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.ui import views

from .helpers import World, again, claim_errors, custom_ids, field, scenes, start


def last_interaction(world: World) -> dict[str, Any]:
    return next(
        payload
        for kind, name, payload in reversed(world.env.backend.transcript)
        if kind == "GATEWAY" and name == "INTERACTION_CREATE"
    )


async def replay(world: World, payload: dict[str, Any]) -> None:
    """The gateway delivers the same interaction again (a RESUME replays it)."""
    world.env.backend.emit("INTERACTION_CREATE", payload)
    await world.env.settle()


async def forged(world: World, channel: Any, *custom_ids: str) -> discord.Message:
    """A message of the bot's carrying buttons with these custom ids."""
    rows = [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 1, "label": f"forged {n}", "custom_id": custom_id}
                for n, custom_id in enumerate(custom_ids[start : start + 5], start=start)
            ],
        }
        for start in range(0, len(custom_ids), 5)
    ]
    backend = world.env.backend
    backend.create_message(channel.id, backend.bot_user.id, "", components=rows)
    await world.env.settle()
    return channel.last_message


async def tally(world: World) -> str:
    status = await world.mod.slash(world.channel, "campaign status")
    return next(f.value for f in status.response.embeds[0].fields if f.name == "Tally")


async def test_a_replayed_click_counts_once(world: World) -> None:
    scene = await start(world)
    first = await world.members[0].click(scene, label="Force the door with the winch")
    assert first.response.content.startswith("You voted **Force the door with the winch**")
    payload = last_interaction(world)
    await replay(world, payload)
    await replay(world, payload)
    assert (await tally(world)).splitlines()[0].startswith("`  1`")
    await world.env.advance_time(121)
    assert "(the vote closed on time; 1 vote)" in field(again(world, scene), "Decided")


async def test_a_replayed_click_after_a_change_of_mind_does_not_undo_it(world: World) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    old = last_interaction(world)
    await world.members[0].click(scene, label="Wake the door's own controller")
    await replay(world, old)
    lines = (await tally(world)).splitlines()
    assert lines[0].startswith("`  0`") and lines[1].startswith("`  1`"), lines


@pytest.mark.parametrize("command", ["campaign start", "campaign pause", "campaign end"])
async def test_a_replayed_command_acts_once(world: World, command: str) -> None:
    """These happen to be safe: the repeat is refused (busy, already paused, no campaign)
    and its refusal cannot reach the member (the token is used), which is only a warning."""
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    options = {"story": "derelict"} if command == "campaign start" else {}
    await world.mod.slash(world.channel, command, **options)
    before = [
        (m.id, m.content, m.embeds and m.embeds[0].to_dict()) for m in world.channel.history()
    ]
    await replay(world, last_interaction(world))
    after = [(m.id, m.content, m.embeds and m.embeds[0].to_dict()) for m in world.channel.history()]
    assert after == before  # nothing posted or changed twice
    listed = await world.mod.slash(world.channel, "campaign list")
    assert listed.response.embeds[0].description.count("The Derelict") == 1


async def test_a_replayed_skip_closes_one_vote(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    scene = await start(world)
    await world.members[0].click(scene, label="Force the door with the winch")
    await world.mod.slash(world.channel, "campaign skip")
    await replay(world, last_interaction(world))
    logged = claim_errors(caplog, "")
    assert [m.embeds[0].title for m in scenes(world)][:2] == ["The Airlock", "The Cargo Hold"]
    status = await world.mod.slash(world.channel, "campaign status")
    assert status.response.embeds[0].fields[-2].name == "Vote 2"  # not skipped twice
    assert not logged


UNKNOWN = "This vote does not exist any more."


async def test_forged_buttons_are_refused_and_change_nothing(world: World) -> None:
    other = world.env.create_guild(name="Elsewhere")
    elsewhere = other.create_text_channel("deck")
    mods = other.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    other_mod = other.add_member(world.env.create_user("other-captain"), roles=[mods])
    await other_mod.slash(elsewhere, "campaign start", story="claim-jumpers")
    foreign = custom_ids(elsewhere.last_message)[0]

    first = await start(world)
    await world.mod.slash(world.channel, "campaign skip")  # vote 1 is closed now
    closed = custom_ids(first)[0]
    scene = scenes(world)[-1]
    decision = int(custom_ids(scene)[0].split(":")[2])
    cases = {
        f"deck:vote:{decision + 1000}:0": UNKNOWN,
        foreign: UNKNOWN,
        f"deck:vote:{decision}:{len(custom_ids(scene))}": (
            "That choice is not one of the choices of this vote."
        ),
        f"deck:vote:{decision}:99": "That choice is not one of the choices of this vote.",
        closed: "This vote has closed; your click was not counted.",
        "deck:vote:abc:0": UNKNOWN,
        "deck:vote:1": UNKNOWN,
        f"deck:vote:{decision}:0:1": UNKNOWN,
        f"deck:vote:{decision}:100": UNKNOWN,
        "deck:vote:9999999999999999999:0": UNKNOWN,  # past SQLite's integers
        "deck:vote:12345678901234567890:0": UNKNOWN,
        "deck:": UNKNOWN,
    }
    message = await forged(world, world.channel, *cases)
    for custom_id, reply in cases.items():
        result = await world.members[0].click(message, custom_id=custom_id)
        assert result.acknowledged and result.ephemeral, custom_id
        assert result.response.content == reply, custom_id
    assert all(line.startswith("`  0`") for line in (await tally(world)).splitlines())
    foreign_status = await other_mod.slash(elsewhere, "campaign status")
    foreign_tally = next(
        f.value for f in foreign_status.response.embeds[0].fields if f.name == "Tally"
    )
    assert all(line.startswith("`  0`") for line in foreign_tally.splitlines())


async def test_votes_on_a_paused_or_ended_campaign_are_refused(world: World) -> None:
    scene = await start(world)
    await world.mod.slash(world.channel, "campaign pause")
    paused = await world.members[0].click(scene, label="Force the door with the winch")
    assert paused.ephemeral and paused.response.content == (
        "The campaign is paused; votes count again once a moderator resumes it."
    )
    await world.mod.slash(world.channel, "campaign end")
    # ending disables the buttons; a stale copy of them still reaches the bot
    message = await forged(world, world.channel, *custom_ids(scene))
    ended = await world.members[0].click(message, custom_id=custom_ids(scene)[0])
    assert ended.ephemeral
    assert ended.response.content == "This vote has closed; your click was not counted."
    listed = await world.members[0].slash(world.channel, "campaign list")
    assert "ended" in listed.response.embeds[0].description


async def test_a_deck_id_no_button_claims_gets_one_private_answer_and_changes_nothing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The vote button claims only `deck:vote:<id>:<choice>`; any other `deck:` id is
    answered by the bot's `on_interaction`, once, privately."""
    scene = await start(world)
    decision = int(custom_ids(scene)[0].split(":")[2])
    unclaimed = [
        "deck:other:7",
        f"deck:vote:{decision}:0:again",
        f"deck:vote:-{decision}:0",
        f"deck:vote:{decision}:0\n",
        f"deck:VOTE:{decision}:0",
    ]
    message = await forged(world, world.channel, *unclaimed)
    for custom_id in unclaimed:
        assert not views.claimed(custom_id), custom_id
        result = await world.members[0].click(message, custom_id=custom_id)
        assert result.acknowledged and result.ephemeral, custom_id
        assert result.response.content == UNKNOWN, custom_id
    assert all(line.startswith("`  0`") for line in (await tally(world)).splitlines())
    assert not [r for r in caplog.records if "could not answer" in r.getMessage()]
    # a well-formed id is the vote button's alone
    counted = await world.members[0].click(scene, custom_id=custom_ids(scene)[0])
    assert counted.response.content.startswith("You voted")


async def test_another_deck_button_is_dispatched_to_its_own_handler_only(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """discord.py runs every dynamic item whose template matches: the vote button's must not
    match a second `deck:` button's ids (it once claimed all of `deck:`)."""
    calls: list[int] = []

    class Ping(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"deck:ping:(?P<n>\d+)"):
        def __init__(self, n: int) -> None:
            super().__init__(discord.ui.Button(label="ping", custom_id=f"deck:ping:{n}"))
            self.n = n

        @classmethod
        async def from_custom_id(
            cls, interaction: discord.Interaction[Any], item: Any, match: Any
        ) -> Ping:
            return cls(int(match["n"]))

        async def callback(self, interaction: discord.Interaction[Any]) -> None:
            calls.append(self.n)
            await interaction.response.send_message("pong", ephemeral=True)

    await start(world)
    world.bot.add_dynamic_items(Ping)
    monkeypatch.setattr(views, "BUTTONS", (*views.BUTTONS, Ping))
    message = await forged(world, world.channel, "deck:ping:3")
    result = await world.members[0].click(message, custom_id="deck:ping:3")
    assert result.acknowledged and result.response.content == "pong"
    assert calls == [3]
    assert not [r for r in caplog.records if "could not answer" in r.getMessage()]
    assert all(line.startswith("`  0`") for line in (await tally(world)).splitlines())
