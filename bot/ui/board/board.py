"""`Board`: the parts of the message keeper wired together, and the calls the bot makes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import tasks

from bot.campaign import CampaignInfo, CloseOutcome, Epilogue, OpenVote

from .clicks import Clicks
from .closes import Closes
from .messages import Channels
from .renders import Renders
from .scenes import Scenes
from .sweep import Sweep, SweepDue
from .tallies import Tallies

if TYPE_CHECKING:
    from bot.app import DeckBot


class Board:
    """Scene messages, live tallies and what a closed vote posts."""

    def __init__(self, bot: DeckBot) -> None:
        self.bot = bot
        showing: set[int] = set()  # the votes being shown now: the sweep leaves them alone
        due = SweepDue(bot)
        self.channels = Channels(bot)
        self.renders = Renders()
        self.scenes = Scenes(bot, self.channels, showing, due)
        self.tallies = Tallies(bot, self.channels, self.renders, self.scenes.post_vote)
        self.closes = Closes(bot, self.channels, self.renders, self.tallies, self.scenes, due)
        self.sweeps = Sweep(bot, self.closes, self.scenes, showing, due)
        self.clicks = Clicks(bot, self.tallies)

    @property
    def tracked(self) -> int:
        """How many votes the board keeps something for now (an edit, a pending refresh, a
        kept render)."""
        return len(self.tallies.tracked() | self.renders.keys())

    async def stop(self) -> None:
        """Cancel pending tally refreshes (the tallies are in the database) and the sweep."""
        backlog = self.sweeps.stop()
        await self.tallies.stop()
        await asyncio.gather(*backlog, return_exceptions=True)

    # -- clicks ------------------------------------------------------------------------------

    async def handle_vote(
        self, interaction: discord.Interaction[DeckBot], decision_id: int, choice_index: int
    ) -> None:
        """A vote button's click: record the ballot (committed), then answer privately."""
        await self.clicks.vote(interaction, decision_id, choice_index)

    async def on_interaction(self, interaction: discord.Interaction[DeckBot]) -> None:
        """Every interaction: answers a click on a `deck:` id that no button claims."""
        await self.clicks.unclaimed(interaction)

    def tally_changed(self, decision_id: int, channel_id: int, message_id: int) -> None:
        """Schedule one refresh of the message; clicks before it happens add nothing."""
        self.tallies.changed(decision_id, channel_id, message_id)

    # -- posting and redrawing ---------------------------------------------------------------

    async def send(self, campaign: CampaignInfo, **kwargs: Any) -> discord.Message | None:
        """Post in the campaign's channel (retried; the campaign paused when impossible)."""
        return await self.channels.send(campaign, **kwargs)

    async def post_vote(
        self, campaign: CampaignInfo, vote: OpenVote, *, late: bool = False
    ) -> discord.Message | None:
        """Post a vote's scene message with its buttons, and remember the message."""
        return await self.scenes.post_vote(campaign, vote, late=late)

    async def post(self, campaign: CampaignInfo, vote: OpenVote) -> bool:
        """`post_vote` for a vote already committed; a failure is left to the sweep."""
        return await self.scenes.post(campaign, vote)

    async def post_epilogue(self, campaign: CampaignInfo, epilogue: Epilogue) -> None:
        """The ending, with what this server has discovered of the story so far."""
        await self.scenes.post_epilogue(campaign, epilogue)

    async def refresh_now(self, decision_id: int, channel_id: int, message_id: int | None) -> None:
        """Redraw an open vote's message from the database (tally, clock, state)."""
        await self.tallies.refresh_now(decision_id, channel_id, message_id)

    def settings_changed(self, guild_id: int) -> None:
        """A server's rules changed (blind, say): its votes' next refresh redraws them."""
        self.renders.drop_guild(guild_id)

    def guild_left(self, guild_id: int) -> None:
        """The bot left a server: nothing of its votes is kept here."""
        self.renders.drop_guild(guild_id)

    # -- closes ------------------------------------------------------------------------------

    async def render_close(self, outcome: CloseOutcome, *, late: bool = False) -> None:
        """Show how a vote ended and post what comes next."""
        await self.closes.render_close(outcome, late=late)

    async def show(self, outcome: CloseOutcome) -> bool:
        """`render_close` for a close already committed; a failure is left to the sweep."""
        return await self.closes.show(outcome)

    async def close_buttons(
        self, channel_id: int, message_id: int | None, *, guild_id: int | None = None
    ) -> None:
        """Disable a vote's buttons (the campaign ended)."""
        await self.closes.close_buttons(guild_id, channel_id, message_id)

    async def on_vote_due(self, decision_id: int) -> None:
        """The scheduler's call: close the vote and show the outcome."""
        outcome = await self.bot.campaigns.close_due(decision_id)
        if outcome is not None:
            await self.show(outcome)

    # -- the sweep ---------------------------------------------------------------------------

    @property
    def sweeper(self) -> tasks.Loop[Any]:
        """The sweep's `discord.ext.tasks` loop (started at ready)."""
        return self.sweeps.sweeper

    def show_backlog(
        self, closed: Sequence[int], opened: Sequence[int], closed_at: datetime
    ) -> None:
        """Show the closes committed in batches at start, in the background."""
        self.sweeps.show_backlog(closed, opened, closed_at)

    @property
    def backlog(self) -> asyncio.Task[None] | None:
        """The task showing the overdue closes of this start (None if there were none)."""
        return self.sweeps.backlog

    async def sweep(self, before: datetime | None) -> int:
        """Show what was committed before `before` but never shown; how many it showed."""
        return await self.sweeps.sweep(before)
