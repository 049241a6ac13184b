"""Live tallies: one edit of a vote's message at a time, and the debounced refresh.

However many clicks arrive, a vote's message is edited at most once per
`TALLY_REFRESH_SECONDS`; that refresh swaps the Tally field of the kept render (`renders`)
for the live counts, and redraws the whole scene only when nothing is kept (the first
refresh of a vote in this process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import discord

from bot.campaign import CampaignInfo, OpenVote

from .messages import Channels
from .renders import Renders

if TYPE_CHECKING:
    from bot.app import DeckBot

log = logging.getLogger(__name__)

#: Discord's error code for a message that no longer exists (its channel may still).
UNKNOWN_MESSAGE = 10008

Repost = Callable[[CampaignInfo, OpenVote], Awaitable[object]]


@dataclass
class _EditLock:
    """One vote's edit lock and how many edits hold it or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class Tallies:
    """The edits of open votes' messages: serialized per vote, refreshed after clicks."""

    def __init__(self, bot: DeckBot, channels: Channels, renders: Renders, repost: Repost) -> None:
        self.bot = bot
        self.channels = channels
        self.renders = renders
        self._repost = repost  # a vote whose message was deleted is posted again
        self._refreshes: dict[int, asyncio.Task[None]] = {}  # one pending refresh a vote
        self._running: set[asyncio.Task[None]] = set()  # every refresh task, until it ends
        # One edit of a vote's message at a time: a redraw that read the vote while it was
        # open must not land after the close marked the message closed. An entry lives only
        # while an edit holds or waits for it, so nothing is kept for a vote once it is over,
        # however it ended (timer, skip, decide, /campaign end).
        self._edits: dict[int, _EditLock] = {}

    def tracked(self) -> set[int]:
        """The votes with an edit under way or a refresh pending."""
        return self._edits.keys() | self._refreshes.keys()

    @contextlib.asynccontextmanager
    async def editing(self, decision_id: int) -> AsyncIterator[None]:
        """Hold a vote's edit lock; the last one out drops the vote's entry."""
        entry = self._edits.setdefault(decision_id, _EditLock())
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if not entry.users:
                del self._edits[decision_id]

    def cancel_refresh(self, decision_id: int) -> None:
        """The vote is closing: its pending refresh would only redraw what is over."""
        task = self._refreshes.pop(decision_id, None)
        if task is not None:
            task.cancel()

    async def stop(self) -> None:
        """Cancel pending refreshes (the tallies are in the database)."""
        running = list(self._running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self._refreshes.clear()

    def changed(self, decision_id: int, channel_id: int, message_id: int) -> None:
        """Schedule one refresh of the message; clicks before it happens add nothing."""
        if decision_id in self._refreshes:
            return
        task = asyncio.get_running_loop().create_task(
            self._refresh_later(decision_id, channel_id, message_id), name=f"tally-{decision_id}"
        )
        self._refreshes[decision_id] = task
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _refresh_later(self, decision_id: int, channel_id: int, message_id: int) -> None:
        try:
            await asyncio.sleep(self.bot.settings.tally_refresh_seconds)
        finally:
            self._refreshes.pop(decision_id, None)
        await self.refresh_counts(decision_id, channel_id, message_id)

    async def refresh_counts(self, decision_id: int, channel_id: int, message_id: int) -> None:
        """After clicks: the kept render with the live counts swapped in (no read but the
        counts); a whole redraw when nothing is kept for this message."""
        async with self.editing(decision_id):
            kept = self.renders.get(decision_id)
            if kept is not None and kept.message_id == message_id:
                tally = await self.bot.campaigns.tally(decision_id)
                embed = kept.with_tally(tally)
                if await self._edit(kept.guild_id, channel_id, message_id, embed, kept.campaign_id):
                    return
        await self.refresh_now(decision_id, channel_id, message_id)

    async def refresh_now(self, decision_id: int, channel_id: int, message_id: int | None) -> None:
        """Redraw an open vote's message from the database (tally, clock, state)."""
        async with self.editing(decision_id):
            current = await self.bot.campaigns.vote(decision_id)  # read under the lock
            if current is None:
                self.renders.drop(decision_id)
                return
            if message_id is None:
                return
            campaign, vote = current
            embed = self.renders.render(campaign, vote)
            if await self._edit(campaign.guild_id, channel_id, message_id, embed, campaign.id):
                return
        # Deleted (by a moderator, say): post the vote again with its ballots; pausing
        # instead left nothing a resume could redraw. A replaced message needs nothing.
        if vote.message_id == message_id:
            await self._repost(campaign, vote)

    async def _edit(
        self,
        guild_id: int,
        channel_id: int,
        message_id: int,
        embed: discord.Embed,
        campaign_id: int,
    ) -> bool:
        """Edit the scene message's embed; False only when the message itself is gone."""
        message = self.channels.partial(guild_id, channel_id).get_partial_message(message_id)
        try:
            await message.edit(embed=embed)
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_MESSAGE:
                return False
            log.info("campaign %s: tally refresh found no channel: %s", campaign_id, exc)
        except discord.HTTPException as exc:
            log.warning("campaign %s: tally refresh failed: %s", campaign_id, exc)
        return True
