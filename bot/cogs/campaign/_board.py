"""The board: keeps each campaign's messages in line with its votes.

It posts scene messages, answers clicks, refreshes live tallies (at most once per interval
per message, however many clicks arrive), writes results on closed votes and posts what
comes next. When the bot cannot post (channel gone, permission missing), the campaign is
paused with the reason instead of failing over and over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import tasks

from bot.campaign import (
    CampaignInfo,
    Closed,
    CloseOutcome,
    Epilogue,
    Extended,
    OpenVote,
    Waiting,
    errors,
)
from bot.ui import embeds
from bot.ui.views import closed_view, vote_view

from ..tree import answer

if TYPE_CHECKING:
    from bot.app import DeckBot

log = logging.getLogger(__name__)

#: Waits between attempts to post when Discord answers 5xx or 429 (discord.py has already
#: retried each request a few times by then). Then the campaign pauses and says why.
RETRY_WAITS = (6.0, 30.0, 120.0)
#: How often the sweep looks for closes never shown and votes never posted (also at ready).
SWEEP_EVERY_S = 60.0
#: What the sweep leaves alone: work this process committed this recently is still being
#: shown by whoever committed it (the step between a commit and its showing).
SWEEP_GRACE = timedelta(seconds=30)


@dataclass
class _EditLock:
    """One vote's edit lock and how many edits hold it or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class Board:
    """Scene messages, live tallies and what a closed vote posts."""

    def __init__(self, bot: DeckBot) -> None:
        self.bot = bot
        self._refreshes: dict[int, asyncio.Task[None]] = {}  # one pending refresh a vote
        self._running: set[asyncio.Task[None]] = set()  # every refresh task, until it ends
        # One edit of a vote's message at a time: a redraw that read the vote while it was
        # open must not land after the close marked the message closed. An entry lives only
        # while an edit holds or waits for it, so nothing is kept for a vote once it is over,
        # however it ended (timer, skip, decide, /campaign end).
        self._edits: dict[int, _EditLock] = {}
        # The votes (closes and posts) this process is showing right now: the sweep leaves
        # them to whoever is at it, however long its retries take.
        self._showing: set[int] = set()
        # When the sweep's first round ran (at ready): what is older was left by a past run.
        self._started: datetime | None = None
        self._backlog: asyncio.Task[None] | None = None  # showing the overdue closes of a start
        self._sweep_due = True  # the first round (at ready) looks at what a past run left
        self._failed_at: datetime | None = None

    @property
    def tracked(self) -> int:
        """How many votes the board keeps something for now (an edit, a pending refresh)."""
        return len(self._edits.keys() | self._refreshes.keys())

    @contextlib.asynccontextmanager
    async def _editing(self, decision_id: int) -> AsyncIterator[None]:
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

    async def stop(self) -> None:
        """Cancel pending tally refreshes (the tallies are in the database) and the sweep."""
        self.sweeper.cancel()
        running = list(self._running)
        if self._backlog is not None:
            running.append(self._backlog)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self._refreshes.clear()

    # -- channels ----------------------------------------------------------------------------

    async def _channel(self, channel_id: int) -> discord.abc.Messageable | None:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except (discord.NotFound, discord.Forbidden):
                return None
        return channel if isinstance(channel, discord.abc.Messageable) else None

    async def _pause(self, campaign: CampaignInfo, reason: str) -> None:
        await self.bot.campaigns.pause_campaign(campaign.id, reason)

    async def send(self, campaign: CampaignInfo, **kwargs: Any) -> discord.Message | None:
        """Post in the campaign's channel, retrying while Discord fails (5xx, 429) with a
        growing wait; pause the campaign, saying why, when posting is impossible or keeps
        failing. The votes are already committed: nothing is decided twice."""
        message, _ = await self._send(campaign, **kwargs)
        return message

    async def _send(
        self, campaign: CampaignInfo, **kwargs: Any
    ) -> tuple[discord.Message | None, int]:
        """`send`, also saying how many attempts it took."""
        channel = await self._channel(campaign.channel_id)
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

    # -- posting -----------------------------------------------------------------------------

    async def post_vote(
        self, campaign: CampaignInfo, vote: OpenVote, *, late: bool = False
    ) -> discord.Message | None:
        """Post a vote's scene message with its buttons, and remember the message. A vote
        posted `late` (or only after retries) gets a whole vote's time from now."""
        self._showing.add(vote.decision_id)
        try:
            message, attempts = await self._send(
                campaign,
                embed=embeds.scene_embed(vote, campaign.story_title),
                view=vote_view(vote),
            )
            if message is not None:
                await self.bot.campaigns.set_message(
                    vote.decision_id, message.id, late=late or attempts > 1
                )
        finally:
            self._showing.discard(vote.decision_id)
        return message

    async def post_epilogue(self, campaign: CampaignInfo, epilogue: Epilogue) -> None:
        """The ending, with what this server has discovered of the story so far."""
        discovered = await self.bot.housekeeping.endings_found(campaign.guild_id, campaign.story_id)
        await self.send(campaign, embed=embeds.epilogue_embed(epilogue, campaign, discovered))

    async def render_close(self, outcome: CloseOutcome, *, late: bool = False) -> None:
        """Show how a vote ended and post what comes next (`late`: a whole vote's time from
        now, for a close shown after the fact)."""
        if isinstance(outcome, Extended):
            await self.send(outcome.campaign, content=embeds.extended_text(outcome))
            await self.refresh_now(
                outcome.decision_id, outcome.campaign.channel_id, outcome.message_id
            )
            return
        if isinstance(outcome, Waiting):
            await self.send(outcome.campaign, content=embeds.waiting_text(outcome))
            await self.refresh_now(
                outcome.decision_id, outcome.campaign.channel_id, outcome.message_id
            )
            return
        decision_id = outcome.result.decision_id
        self._showing.add(decision_id)
        try:
            await self._show_closed(outcome)
            if outcome.next_vote is not None:
                if outcome.next_vote.message_id is None:
                    await self.post_vote(outcome.campaign, outcome.next_vote, late=late)
            elif outcome.epilogue is not None:
                await self.post_epilogue(outcome.campaign, outcome.epilogue)
            notice = embeds.closed_notice(outcome)
            if notice:
                await self.send(outcome.campaign, content=notice)
            await self.bot.campaigns.close_shown(decision_id)
        finally:
            self._showing.discard(decision_id)

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
            self._left_to_sweep()
            return False
        return True

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
            self._left_to_sweep()
            return False
        return True

    # -- the overdue closes of a start ---------------------------------------------------------

    def show_backlog(
        self, closed: Sequence[int], opened: Sequence[int], closed_at: datetime
    ) -> None:
        """Show, in the background, the closes committed in batches at start (`closed`,
        oldest deadline first, at `closed_at`) and post the votes they opened (`opened`).
        First what a past run left unshown (the sweep's first round: older still), then
        these, a few at a time (BACKLOG_CONCURRENCY) and yielding between them, so that
        clicks on other votes keep being answered while thousands are shown. The sweep
        waits meanwhile (it would list what is being shown); one that fails is left to its
        next round."""
        if not closed:
            return
        if self._started is None:
            self._started = closed_at  # the backlog runs the first round, of what is older
        self._backlog = asyncio.get_running_loop().create_task(
            self._show_backlog(list(closed), set(opened)), name="overdue-closes"
        )

    async def _show_backlog(self, closed: list[int], opened: set[int]) -> None:
        ours = {*closed, *opened}
        self._showing.update(ours)  # the first round leaves the backlog's own to it
        try:
            await self.sweep(None)
        except Exception:  # logged; the sweep's next round tries again
            log.exception("the sweep of unshown closes and unposted votes failed")
            self._left_to_sweep()
        finally:
            self._showing.difference_update(ours)
        pending = iter(closed)  # shared: each worker takes the oldest not yet taken
        shown = 0

        async def worker() -> None:
            nonlocal shown
            for decision_id in pending:
                try:
                    outcome = await self.bot.campaigns.unshown_close(decision_id)
                    if outcome is not None:
                        await self.render_close(outcome, late=True)
                        shown += 1
                except Exception:
                    log.warning("showing the close of vote %s failed", decision_id, exc_info=True)
                    self._left_to_sweep()
                await asyncio.sleep(0)  # clicks waiting on the loop go first

        workers = max(1, self.bot.settings.backlog_concurrency)
        await asyncio.gather(*(worker() for _ in range(workers)))
        log.info("overdue votes closed at start: %d of %d shown", shown, len(closed))

    @property
    def backlog(self) -> asyncio.Task[None] | None:
        """The task showing the overdue closes of this start (None if there were none)."""
        return self._backlog

    # -- the sweep ---------------------------------------------------------------------------

    @tasks.loop(seconds=SWEEP_EVERY_S)
    async def sweeper(self) -> None:
        """Every minute (and at once when started, at ready): the sweep."""
        if not self._sweep_due:
            return  # nothing failed since the last round: no query every minute for nothing
        if self._backlog is not None and not self._backlog.done():
            return  # the overdue closes of this start are being shown; the round after, then
        now = self.bot.campaigns.clock()
        before: datetime | None = None  # the first round: all that a past run left
        if self._started is None:
            self._started = now
        else:
            before = max(now - SWEEP_GRACE, self._started)
        # A failure younger than the grace is not swept yet: keep the next round due.
        self._sweep_due = self._failed_at is not None and (
            before is None or self._failed_at >= before
        )
        try:
            await self.sweep(before)
        except Exception:  # logged loudly, and the loop goes on: the next minute tries again
            log.exception("the sweep of unshown closes and unposted votes failed")

    def _left_to_sweep(self) -> None:
        """Showing something committed failed: the next round of the sweep finishes it."""
        self._failed_at = self.bot.campaigns.clock()
        self._sweep_due = True

    async def sweep(self, before: datetime | None) -> int:
        """Finish every close this process's shards committed before `before` (None: at any
        time) but never showed, then post every vote opened before it and never posted; one
        at a time each, so running it again is harmless. Returns how many it showed."""
        campaigns = self.bot.campaigns
        shown = 0
        for decision_id in await campaigns.unshown_closes(before):
            if decision_id in self._showing:
                continue
            try:
                outcome = await campaigns.unshown_close(decision_id)
                if outcome is not None:
                    log.info(
                        "campaign %s: showing vote %s's close",
                        outcome.campaign.id,
                        outcome.result.seq,
                    )
                    await self.render_close(outcome, late=True)
                    shown += 1
            except Exception:
                log.warning("showing the close of vote %s failed", decision_id, exc_info=True)
                self._left_to_sweep()
        for campaign, vote in await self.bot.housekeeping.unposted_votes(before):
            if vote.decision_id in self._showing:
                continue
            log.info("campaign %s: posting vote %s that was never posted", campaign.id, vote.seq)
            try:
                await self.post_vote(campaign, vote, late=True)
                shown += 1
            except Exception:
                log.warning("posting vote %s failed", vote.decision_id, exc_info=True)
                self._left_to_sweep()
        return shown

    async def _message(self, channel_id: int, message_id: int | None) -> discord.Message | None:
        if message_id is None:
            return None
        channel = await self._channel(channel_id)
        if channel is None or not hasattr(channel, "fetch_message"):
            return None
        try:
            return await channel.fetch_message(message_id)
        except (discord.NotFound, discord.Forbidden):
            return None  # deleted, or out of sight: nothing to mark (a 5xx is raised: retried)

    async def _show_closed(self, closed: Closed) -> None:
        result = closed.result
        task = self._refreshes.pop(result.decision_id, None)
        if task is not None:
            task.cancel()
        async with self._editing(result.decision_id):
            message = await self._message(closed.campaign.channel_id, result.message_id)
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
                    "campaign %s: could not mark vote %s closed: %s",
                    closed.campaign.id,
                    result.seq,
                    exc,
                )

    async def close_buttons(self, channel_id: int, message_id: int | None) -> None:
        """Disable a vote's buttons (the campaign ended)."""
        message = await self._message(channel_id, message_id)
        if message is None:
            return
        try:
            await message.edit(view=closed_view(message, None))
        except discord.HTTPException as exc:
            log.warning("could not disable the buttons of message %s: %s", message_id, exc)

    # -- votes -------------------------------------------------------------------------------

    async def handle_vote(
        self, interaction: discord.Interaction[DeckBot], decision_id: int, choice_index: int
    ) -> None:
        """A click: record the ballot (committed), then answer privately."""
        if not self.bot.tree.recent.first_time(interaction.id):
            log.info("ignored a replayed click %s", interaction.id)
            return
        if interaction.guild_id is None:
            await answer(interaction, "Votes happen in a server.", ephemeral=True)
            return
        roles = [role.id for role in getattr(interaction.user, "roles", [])]
        try:
            cast = await self.bot.campaigns.cast(
                guild_id=interaction.guild_id,
                decision_id=decision_id,
                choice_index=choice_index,
                member_id=interaction.user.id,
                role_ids=roles,
            )
        except errors.CampaignError as exc:
            await answer(interaction, exc.message, ephemeral=True)
            return
        # The ballot is committed; if the answer fails, the member only loses the reply.
        await answer(interaction, embeds.ballot_reply(cast), ephemeral=True)
        if not cast.blind and interaction.message is not None and interaction.channel_id:
            self.tally_changed(decision_id, interaction.channel_id, interaction.message.id)

    def tally_changed(self, decision_id: int, channel_id: int, message_id: int) -> None:
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
        await self.refresh_now(decision_id, channel_id, message_id)

    async def refresh_now(self, decision_id: int, channel_id: int, message_id: int | None) -> None:
        """Redraw an open vote's message from the database (tally, clock, state)."""
        async with self._editing(decision_id):
            current = await self.bot.campaigns.vote(decision_id)  # read under the lock
            if current is None or message_id is None:
                return
            campaign, vote = current
            channel = await self._channel(channel_id)
            if channel is None or not hasattr(channel, "get_partial_message"):
                return
            message = channel.get_partial_message(message_id)
            try:
                await message.edit(embed=embeds.scene_embed(vote, campaign.story_title))
                return
            except discord.NotFound:
                pass
            except discord.HTTPException as exc:
                log.warning("campaign %s: tally refresh failed: %s", campaign.id, exc)
                return
        # Deleted (by a moderator, say): post the vote again with its ballots; pausing
        # instead left nothing a resume could redraw. A replaced message needs nothing.
        if vote.message_id == message_id:
            await self.post_vote(campaign, vote)

    async def on_vote_due(self, decision_id: int) -> None:
        """The scheduler's call: close the vote and show the outcome."""
        outcome = await self.bot.campaigns.close_due(decision_id)
        if outcome is not None:
            await self.show(outcome)
