"""Bad input, each refused with a clear private message and nothing changed.

Most of it through the ordinary SimCord verbs. Some of it Discord itself never sends (an
option value outside a command's declared choices, a role of another guild, a guild command
in a DM): SimCord refuses to build such an interaction, as Discord's client would, and the
test says so; the bot's own check is then shown with the same INTERACTION_CREATE SimCord
builds for a real invocation, with the one forged option put in by hand
(`simcord.actors._dispatch_actor_interaction`, the function every SimCord verb ends in).
"""

from __future__ import annotations

from typing import Any

import pytest
from simcord import SetupError
from simcord.actors import _dispatch_actor_interaction
from simcord.enums import InteractionType, OptionType

from .helpers import World, scenes, start

VOTE_SECONDS = (
    "vote_seconds must be a whole number of seconds from 10 to 604,800 (7 days)."
    " Nothing was changed."
)
QUORUM = "quorum must be a whole number from 1 to 1,000,000. Nothing was changed."


async def rules(world: World) -> dict[str, str]:
    shown = await world.mod.slash(world.channel, "settings show")
    return {f.name: f.value for f in shown.response.embeds[0].fields}


@pytest.mark.parametrize(
    ("option", "value", "reply"),
    [
        ("vote_seconds", 9, VOTE_SECONDS),
        ("vote_seconds", 604_801, VOTE_SECONDS),
        ("vote_seconds", -5, VOTE_SECONDS),
        ("quorum", -1, QUORUM),
        ("quorum", 0, QUORUM),
        ("quorum", 1_000_001, QUORUM),
    ],
)
async def test_settings_past_their_bounds_are_refused_and_change_nothing(
    world: World, option: str, value: int, reply: str
) -> None:
    # The bounds are part of the command: Discord's client refuses the value itself...
    with pytest.raises(SetupError, match=r"must be [≥≤]"):
        await world.mod.slash(world.channel, "settings set", **{option: value})
    # ...and a forged interaction that carries it anyway meets the bot's own check.
    before = await rules(world)
    result = await forged_settings_set(
        world, {"name": option, "type": OptionType.INTEGER, "value": value}, None
    )
    assert result.ephemeral and result.response.content == reply
    assert await rules(world) == before


async def test_one_bad_value_refuses_them_all(world: World) -> None:
    before = await rules(world)
    result = await forged_settings_set(
        world,
        [
            {"name": "quorum", "type": OptionType.INTEGER, "value": 2},
            {"name": "vote_seconds", "type": OptionType.INTEGER, "value": 9},
        ],
        None,
    )
    assert result.ephemeral and result.response.content == VOTE_SECONDS
    assert await rules(world) == before


async def test_settings_set_with_no_option_is_refused(world: World) -> None:
    before = await rules(world)
    result = await world.mod.slash(world.channel, "settings set")
    assert result.ephemeral and result.response.content == (
        "/settings set must be given at least one option. Nothing was changed."
    )
    assert await rules(world) == before


@pytest.mark.parametrize(
    ("options", "shown"),
    [
        ({"vote_seconds": 10}, ("vote_seconds", "10 s")),
        ({"vote_seconds": 604_800}, ("vote_seconds", "604800 s")),
        ({"quorum": 1}, ("quorum", "1")),
        ({"quorum": 1_000_000}, ("quorum", "1000000")),
    ],
)
async def test_settings_at_their_bounds_are_taken(
    world: World, options: dict[str, int], shown: tuple[str, str]
) -> None:
    result = await world.mod.slash(world.channel, "settings set", **options)
    assert result.response.content == "Saved."
    assert (await rules(world))[shown[0]] == shown[1]


def command_root(world: World, name: str) -> dict[str, Any]:
    root = world.env.backend.find_command(name, world.guild.id, type=1)
    assert root is not None
    return root


async def forged_settings_set(
    world: World, option: dict[str, Any] | list[dict[str, Any]], resolved: dict | None
):
    """/settings set with options as no Discord client would send them."""
    options = option if isinstance(option, list) else [option]
    root = command_root(world, "settings")
    data: dict[str, Any] = {
        "id": root["id"],
        "name": "settings",
        "type": 1,
        "options": [{"name": "set", "type": OptionType.SUBCOMMAND, "options": options}],
    }
    if resolved:
        data["resolved"] = resolved
    return await _dispatch_actor_interaction(
        world.mod, InteractionType.APPLICATION_COMMAND, world.channel, data
    )


async def test_an_unknown_tie_break_is_refused(world: World) -> None:
    with pytest.raises(SetupError, match="only allows"):  # Discord's client offers 3 choices
        await world.mod.slash(world.channel, "settings set", tie_break="coin")
    before = await rules(world)
    result = await forged_settings_set(
        world, {"name": "tie_break", "type": OptionType.STRING, "value": "coin"}, None
    )
    assert result.ephemeral
    assert result.response.content == "'coin' is not a valid value for that option."
    assert await rules(world) == before


async def test_a_role_of_another_guild_is_refused(world: World) -> None:
    other = world.env.create_guild(name="Elsewhere")
    foreign = other.create_role("Voters")
    with pytest.raises(SetupError):  # Discord's client lists this guild's roles only
        await world.mod.slash(world.channel, "settings set", voter_role=foreign)
    before = await rules(world)
    role = {
        "id": str(foreign.id),
        "name": "Voters",
        "color": 0,
        "hoist": False,
        "position": 1,
        "permissions": "0",
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }
    result = await forged_settings_set(
        world,
        {"name": "voter_role", "type": OptionType.ROLE, "value": str(foreign.id)},
        {"roles": {str(foreign.id): role}},
    )
    assert result.ephemeral
    assert result.response.content == (
        "voter_role must be a role of this server. Nothing was changed."
    )
    assert await rules(world) == before


async def test_commands_in_a_dm_are_refused(world: World) -> None:
    user = world.members[0].user
    with pytest.raises(SetupError):  # guild-only commands are not offered in DMs
        await user.slash("campaign status")
    root = command_root(world, "campaign")
    data = {
        "id": root["id"],
        "name": "campaign",
        "type": 1,
        "options": [{"name": "status", "type": OptionType.SUBCOMMAND, "options": []}],
    }
    result = await _dispatch_actor_interaction(
        user, InteractionType.APPLICATION_COMMAND, user.dm_channel, data
    )
    assert result.ephemeral
    assert result.response.content == (
        "Command Deck's commands work in a server's text channels, not in DMs."
    )


async def test_starting_where_a_campaign_runs_is_refused(world: World) -> None:
    await start(world)
    again = await world.mod.slash(world.channel, "campaign start", story="claim-jumpers")
    assert again.ephemeral and again.response.content == (
        "A campaign is already running in this channel. End it with /campaign end first."
    )
    assert [m.embeds[0].title for m in scenes(world)] == ["The Airlock"]


@pytest.mark.parametrize("story", ["nonsense", "x" * 3000])
async def test_an_unknown_story_is_refused(world: World, story: str) -> None:
    result = await world.mod.slash(world.channel, "campaign start", story=story)
    assert result.acknowledged and result.ephemeral
    assert result.response.content.startswith("There is no story called '")
    assert "Stories here: claim-jumpers, derelict." in result.response.content
    assert len(result.response.content) <= 2000
    assert not scenes(world)


@pytest.mark.parametrize("choice", ["nonsense", "hold", "y" * 3000])
async def test_deciding_a_choice_not_offered_is_refused(world: World, choice: str) -> None:
    scene = await start(world)
    result = await world.mod.slash(world.channel, "campaign decide", choice=choice)
    assert result.acknowledged and result.ephemeral
    assert "is not one of the choices of this vote." in result.response.content
    assert len(result.response.content) <= 2000
    assert not any(child.disabled for row in scene.components for child in row.children)
    assert len(scenes(world)) == 1


async def test_moderator_commands_with_no_campaign_say_so(world: World) -> None:
    for command in ("campaign pause", "campaign resume", "campaign skip", "campaign end"):
        result = await world.mod.slash(world.channel, command)
        assert result.ephemeral
        assert result.response.content == "There is no campaign running in this channel.", command
    decided = await world.mod.slash(world.channel, "campaign decide", choice="force")
    assert decided.response.content == "There is no campaign running in this channel."
    assert world.channel.last_message is None or not world.channel.last_message.embeds
