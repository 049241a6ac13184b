"""What was committed but never shown: the minute sweep and the overdue closes of a start.

A close or a new vote is committed before the channel sees it; when showing it fails (a
Discord outage, a crash in between), the sweep finishes it. At start, the votes closed in
batches while the bot was down are shown in the background, a few at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from discord.ext import tasks

if TYPE_CHECKING:
    from bot.app import DeckBot

    from .closes import Closes
    from .scenes import Scenes

log = logging.getLogger(__name__)

#: How often the sweep looks for closes never shown and votes never posted (also at ready).
SWEEP_EVERY_S = 60.0
#: What the sweep leaves alone: work this process committed this recently is still being
#: shown by whoever committed it (the step between a commit and its showing).
SWEEP_GRACE = timedelta(seconds=30)


class SweepDue:
    """Whether the sweep has anything to look for: a showing failed since its last round
    (or the first round, at ready, has not run yet)."""

    def __init__(self, bot: DeckBot) -> None:
        self.bot = bot
        self.due = True  # the first round (at ready) looks at what a past run left
        self.failed_at: datetime | None = None

    def failed(self) -> None:
        """Showing something committed failed: the next round of the sweep finishes it."""
        self.failed_at = self.bot.campaigns.clock()
        self.due = True


class Sweep:
    """The sweep (every minute while something failed) and a start's backlog of closes."""

    def __init__(
        self, bot: DeckBot, closes: Closes, scenes: Scenes, showing: set[int], due: SweepDue
    ) -> None:
        self.bot = bot
        self.closes = closes
        self.scenes = scenes
        # The votes (closes and posts) this process is showing right now: the sweep leaves
        # them to whoever is at it, however long its retries take.
        self.showing = showing
        self.due = due
        # When the sweep's first round ran (at ready): what is older was left by a past run.
        self._started: datetime | None = None
        self.backlog: asyncio.Task[None] | None = None  # showing the overdue closes of a start

    def stop(self) -> list[asyncio.Task[None]]:
        """Stop the loop and cancel the backlog; the tasks to wait for."""
        self.sweeper.cancel()
        if self.backlog is None:
            return []
        self.backlog.cancel()
        return [self.backlog]

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
        self.backlog = asyncio.get_running_loop().create_task(
            self._show_backlog(list(closed), set(opened)), name="overdue-closes"
        )

    async def _show_backlog(self, closed: list[int], opened: set[int]) -> None:
        ours = {*closed, *opened}
        self.showing.update(ours)  # the first round leaves the backlog's own to it
        try:
            await self.sweep(None)
        except Exception:  # logged; the sweep's next round tries again
            log.exception("the sweep of unshown closes and unposted votes failed")
            self.due.failed()
        finally:
            self.showing.difference_update(ours)
        pending = iter(closed)  # shared: each worker takes the oldest not yet taken
        shown = 0

        async def worker() -> None:
            nonlocal shown
            for decision_id in pending:
                try:
                    outcome = await self.bot.campaigns.unshown_close(decision_id)
                    if outcome is not None:
                        await self.closes.render_close(outcome, late=True)
                        shown += 1
                except Exception:
                    log.warning("showing the close of vote %s failed", decision_id, exc_info=True)
                    self.due.failed()
                await asyncio.sleep(0)  # clicks waiting on the loop go first

        workers = max(1, self.bot.settings.backlog_concurrency)
        await asyncio.gather(*(worker() for _ in range(workers)))
        log.info("overdue votes closed at start: %d of %d shown", shown, len(closed))

    # -- the sweep ---------------------------------------------------------------------------

    @tasks.loop(seconds=SWEEP_EVERY_S)
    async def sweeper(self) -> None:
        """Every minute (and at once when started, at ready): the sweep."""
        if not self.due.due:
            return  # nothing failed since the last round: no query every minute for nothing
        if self.backlog is not None and not self.backlog.done():
            return  # the overdue closes of this start are being shown; the round after, then
        now = self.bot.campaigns.clock()
        before: datetime | None = None  # the first round: all that a past run left
        if self._started is None:
            self._started = now
        else:
            before = max(now - SWEEP_GRACE, self._started)
        # A failure younger than the grace is not swept yet: keep the next round due.
        failed_at = self.due.failed_at
        self.due.due = failed_at is not None and (before is None or failed_at >= before)
        try:
            await self.sweep(before)
        except Exception:  # logged loudly, and the loop goes on: the next minute tries again
            log.exception("the sweep of unshown closes and unposted votes failed")

    async def sweep(self, before: datetime | None) -> int:
        """Finish every close this process's shards committed before `before` (None: at any
        time) but never showed, then post every vote opened before it and never posted; one
        at a time each, so running it again is harmless. Returns how many it showed."""
        campaigns = self.bot.campaigns
        shown = 0
        for decision_id in await campaigns.unshown_closes(before):
            if decision_id in self.showing:
                continue
            try:
                outcome = await campaigns.unshown_close(decision_id)
                if outcome is not None:
                    log.info(
                        "campaign %s: showing vote %s's close",
                        outcome.campaign.id,
                        outcome.result.seq,
                    )
                    await self.closes.render_close(outcome, late=True)
                    shown += 1
            except Exception:
                log.warning("showing the close of vote %s failed", decision_id, exc_info=True)
                self.due.failed()
        for campaign, vote in await self.bot.housekeeping.unposted_votes(before):
            if vote.decision_id in self.showing:
                continue
            log.info("campaign %s: posting vote %s that was never posted", campaign.id, vote.seq)
            try:
                await self.scenes.post_vote(campaign, vote, late=True)
                shown += 1
            except Exception:
                log.warning("posting vote %s failed", vote.decision_id, exc_info=True)
                self.due.failed()
        return shown
