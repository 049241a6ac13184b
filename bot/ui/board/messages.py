"""Where a campaign's messages go: its channel, posting with retries, reading a message."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.campaign import CampaignInfo

if TYPE_CHECKING:
    from bot.app import DeckBot

log = logging.getLogger(__name__)

#: Waits between attempts to post when Discord answers 5xx or 429 (discord.py has already
#: retried each request a few times by then). Then the campaign pauses and says why.
RETRY_WAITS = (6.0, 30.0, 120.0)


class Channels:
    """A campaign's channel, found in O(1), and posting there without giving up too soon."""

    def __init__(self, bot: DeckBot) -> None:
        self.bot = bot

    async def find(self, guild_id: int, channel_id: int) -> discord.abc.Messageable | None:
        """The channel to post in, from its guild's cache (`Client.get_channel` would walk
        every cached guild), else fetched; None when it is gone or out of the bot's sight."""
        guild = self.bot.get_guild(guild_id)
        channel: object = guild.get_channel_or_thread(channel_id) if guild is not None else None
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except (discord.NotFound, discord.Forbidden):
                return None
        return channel if isinstance(channel, discord.abc.Messageable) else None

    def partial(self, guild_id: int | None, channel_id: int) -> discord.PartialMessageable:
        """The channel as far as editing or reading a message by id needs it: no lookup."""
        return self.bot.get_partial_messageable(channel_id, guild_id=guild_id)

    async def message(
        self, guild_id: int | None, channel_id: int, message_id: int | None
    ) -> discord.Message | None:
        """A message read back (to mark it closed); None when it, or its channel, is gone or
        out of sight. A 5xx is raised: the caller's retry (or the sweep) gets it."""
        if message_id is None:
            return None
        try:
            return await self.partial(guild_id, channel_id).fetch_message(message_id)
        except (discord.NotFound, discord.Forbidden):
            return None

    async def _pause(self, campaign: CampaignInfo, reason: str) -> None:
        await self.bot.campaigns.pause_campaign(campaign.id, reason)

    async def send(self, campaign: CampaignInfo, **kwargs: Any) -> discord.Message | None:
        """Post in the campaign's channel, retrying while Discord fails (5xx, 429) with a
        growing wait; pause the campaign, saying why, when posting is impossible or keeps
        failing. The votes are already committed: nothing is decided twice."""
        message, _ = await self.send_counted(campaign, **kwargs)
        return message

    async def send_counted(
        self, campaign: CampaignInfo, **kwargs: Any
    ) -> tuple[discord.Message | None, int]:
        """`send`, also saying how many attempts it took."""
        channel = await self.find(campaign.guild_id, campaign.channel_id)
        if channel is None:
            await self._pause(campaign, "its channel is gone or the bot can no longer see it.")
            return None, 0
        for attempt, wait in enumerate((*RETRY_WAITS, None), start=1):
            try:
                return await channel.send(**kwargs), attempt
            except discord.Forbidden:
                await self._pause(
                    campaign,
                    "the bot cannot post in its channel (it needs View Channel, Send Messages"
                    " and Embed Links).",
                )
                return None, attempt
            except discord.NotFound:
                await self._pause(campaign, "its channel is gone.")
                return None, attempt
            except discord.HTTPException as exc:
                retryable = exc.status >= 500 or exc.status == 429
                log.warning(
                    "campaign %s: posting failed (attempt %d): %s", campaign.id, attempt, exc
                )
                if not retryable or wait is None:
                    await self._pause(
                        campaign,
                        f"Discord kept refusing its next message (HTTP {exc.status}).",
                    )
                    return None, attempt
                await asyncio.sleep(wait)
        return None, 0
