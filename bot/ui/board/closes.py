"""What a closed vote shows: its message marked closed, then what comes next."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.campaign import Closed, CloseOutcome, Extended, Waiting
from bot.ui import embeds
from bot.ui.views import closed_view

from .messages import Channels
from .renders import Renders
from .scenes import Scenes
from .sweep import SweepDue
from .tallies import Tallies

if TYPE_CHECKING:
    from bot.app import DeckBot

log = logging.getLogger(__name__)


class Closes:
    """Showing a close (or an extension, or a wait for a moderator) in the channel."""

    def __init__(
        self,
        bot: DeckBot,
        channels: Channels,
        renders: Renders,
        tallies: Tallies,
        scenes: Scenes,
        due: SweepDue,
    ) -> None:
        self.bot = bot
        self.channels = channels
        self.renders = renders
        self.tallies = tallies
        self.scenes = scenes
        self.due = due

    async def render_close(self, outcome: CloseOutcome, *, late: bool = False) -> None:
        """Show how a vote ended and post what comes next (`late`: a whole vote's time from
        now, for a close shown after the fact)."""
        if isinstance(outcome, Extended):
            await self.channels.send(outcome.campaign, content=embeds.extended_text(outcome))
            await self.tallies.refresh_now(
                outcome.decision_id, outcome.campaign.channel_id, outcome.message_id
            )
            return
        if isinstance(outcome, Waiting):
            await self.channels.send(outcome.campaign, content=embeds.waiting_text(outcome))
            await self.tallies.refresh_now(
                outcome.decision_id, outcome.campaign.channel_id, outcome.message_id
            )
            return
        decision_id = outcome.result.decision_id
        showing = self.scenes.showing
        showing.add(decision_id)
        try:
            await self._show_closed(outcome)
            if outcome.next_vote is not None:
                if outcome.next_vote.message_id is None:
                    await self.scenes.post_vote(outcome.campaign, outcome.next_vote, late=late)
            elif outcome.epilogue is not None:
                await self.scenes.post_epilogue(outcome.campaign, outcome.epilogue)
            notice = embeds.closed_notice(outcome)
            if notice:
                await self.channels.send(outcome.campaign, content=notice)
            await self.bot.campaigns.close_shown(decision_id)
        finally:
            showing.discard(decision_id)

    async def show(self, outcome: CloseOutcome) -> bool:
        """`render_close`, for a close already committed: a failure on the way to the
        channel (Discord 5xx, a failed read) is logged and left to the sweep, which shows
        it within a minute. False when that happened."""
        try:
            await self.render_close(outcome)
        except Exception:
            log.warning(
                "campaign %s: showing a committed close failed; the sweep shows it shortly",
                outcome.campaign.id,
                exc_info=True,
            )
            self.due.failed()
            return False
        return True

    async def _show_closed(self, closed: Closed) -> None:
        result = closed.result
        self.tallies.cancel_refresh(result.decision_id)
        async with self.tallies.editing(result.decision_id):
            self.renders.drop(result.decision_id)  # under the lock: no redraw keeps it again
            campaign = closed.campaign
            message = await self.channels.message(
                campaign.guild_id, campaign.channel_id, result.message_id
            )
            if message is None or not message.embeds:
                return
            chosen = (
                list(result.labels).index(result.outcome)
                if result.outcome in result.labels
                else None
            )
            try:
                await message.edit(
                    embed=embeds.closed_scene_embed(message.embeds[0], result),
                    view=closed_view(message, chosen),
                )
            except discord.HTTPException as exc:
                log.warning(
                    "campaign %s: could not mark vote %s closed: %s", campaign.id, result.seq, exc
                )

    async def close_buttons(
        self, guild_id: int | None, channel_id: int, message_id: int | None
    ) -> None:
        """Disable a vote's buttons (the campaign ended)."""
        self.renders.drop_message(message_id)
        message = await self.channels.message(guild_id, channel_id, message_id)
        if message is None:
            return
        try:
            await message.edit(view=closed_view(message, None))
        except discord.HTTPException as exc:
            log.warning("could not disable the buttons of message %s: %s", message_id, exc)
