"""What the reliability tests share: reading the channel as a member sees it."""

from __future__ import annotations

import logging

import discord
import pytest

from tests.discord.conftest import World


def buttons(message: discord.Message) -> list[str]:
    return [child.label for row in message.components for child in row.children]


def custom_ids(message: discord.Message) -> list[str]:
    return [child.custom_id for row in message.components for child in row.children]


def disabled(message: discord.Message) -> list[bool]:
    return [child.disabled for row in message.components for child in row.children]


def field(message: discord.Message, name: str) -> str:
    return next(f.value for f in message.embeds[0].fields if f.name == name)


def again(world: World, message: discord.Message) -> discord.Message | None:
    """The message as it is now (None once deleted)."""
    return next((m for m in world.channel.history() if m.id == message.id), None)


def scenes(world: World, title: str | None = None) -> list[discord.Message]:
    """The channel's scene messages (with vote buttons), oldest first."""
    return [
        m
        for m in world.channel.history()
        if m.components and m.embeds and (title is None or m.embeds[0].title == title)
    ]


async def start(world: World, story: str = "derelict") -> discord.Message:
    result = await world.mod.slash(world.channel, "campaign start", story=story)
    assert result.acknowledged and not result.ephemeral, result
    return world.channel.last_message


async def campaign_line(world: World) -> str:
    """The Campaign line of /campaign status (running, or paused: why), or the reply that
    says why there is no status to show."""
    status = await world.mod.slash(world.channel, "campaign status")
    assert status.ephemeral
    if not status.response.embeds:
        return status.response.content
    return status.response.embeds[0].fields[0].value


def claim_errors(caplog: pytest.LogCaptureFixture, needle: str) -> list[logging.LogRecord]:
    """Take the ERROR records that mention `needle` out of the log (the test expected them,
    e.g. an operator alert); `no_discord_errors` still fails on any other."""
    found = [r for r in caplog.records if r.levelno >= logging.ERROR and needle in r.getMessage()]
    for record in found:
        caplog.records.remove(record)
    return found
