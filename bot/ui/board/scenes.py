"""Posting a vote's scene message (with its buttons) and an ending's epilogue."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.campaign import CampaignInfo, Epilogue, OpenVote
from bot.ui import embeds
from bot.ui.views import vote_view

from .messages import Channels
from .sweep import SweepDue

if TYPE_CHECKING:
    from bot.app import DeckBot

log = logging.getLogger(__name__)


class Scenes:
    """New messages in a campaign's channel: a vote's scene, an ending."""

    def __init__(self, bot: DeckBot, channels: Channels, showing: set[int], due: SweepDue) -> None:
        self.bot = bot
        self.channels = channels
        self.showing = showing  # the votes being shown now: the sweep leaves them alone
        self.due = due

    async def post_vote(
        self, campaign: CampaignInfo, vote: OpenVote, *, late: bool = False
    ) -> discord.Message | None:
        """Post a vote's scene message with its buttons, and remember the message. A vote
        posted `late` (or only after retries) gets a whole vote's time from now."""
        self.showing.add(vote.decision_id)
        try:
            message, attempts = await self.channels.send_counted(
                campaign,
                embed=embeds.scene_embed(vote, campaign.story_title),
                view=vote_view(vote),
            )
            if message is not None:
                await self.bot.campaigns.set_message(
                    vote.decision_id, message.id, late=late or attempts > 1
                )
        finally:
            self.showing.discard(vote.decision_id)
        return message

    async def post(self, campaign: CampaignInfo, vote: OpenVote) -> bool:
        """`post_vote` for a vote already committed; a failure is left to the sweep."""
        try:
            await self.post_vote(campaign, vote)
        except Exception:
            log.warning(
                "campaign %s: posting vote %s failed; the sweep posts it shortly",
                campaign.id,
                vote.seq,
                exc_info=True,
            )
            self.due.failed()
            return False
        return True

    async def post_epilogue(self, campaign: CampaignInfo, epilogue: Epilogue) -> None:
        """The ending, with what this server has discovered of the story so far."""
        discovered = await self.bot.housekeeping.endings_found(campaign.guild_id, campaign.story_id)
        await self.channels.send(
            campaign, embed=embeds.epilogue_embed(epilogue, campaign, discovered)
        )
