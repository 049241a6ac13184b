"""What every use case shares (store, stories, clock, scheduler, caches), held once."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain import Campaign, Decision, Shards
from bot.store import Store
from bot.story import Story

from . import errors
from .ballots import BallotBox
from .checks import VoteChecks
from .clock import Clock
from .records import campaign_info
from .results import CampaignInfo
from .scheduler import DeadlineScheduler

#: The logger of every use case: the facade's name, as before the split, so operators'
#: log filters (and the tests reading the log) keep finding the campaign events.
USE_CASE_LOG = "bot.campaign.service"


class Context:
    """The store, the loaded stories, the clock and the process's rules, for the use cases."""

    def __init__(
        self,
        store: Store,
        stories: Mapping[str, Story],
        clock: Clock,
        scheduler: DeadlineScheduler | None,
        *,
        ballot_window_s: float,
        hold_unposted: bool,
        shards: Shards | None,
        max_campaigns_per_server: int | None,
    ) -> None:
        self.store = store
        self.stories = stories
        self.clock = clock
        self.scheduler = scheduler
        #: The bot's rule: a vote whose scene message is not out yet does not close; it gets
        #: its full time once posted (see `Lifecycle.set_message`). Engine tests leave it off.
        self.hold_unposted = hold_unposted
        #: The shards this process serves (None: all). It schedules, closes at start and
        #: shows only their guilds' votes; another process takes the others.
        self.shards = shards
        #: The operator's cap on a server's campaigns that have not ended (None: no cap).
        self.max_campaigns_per_server = max_campaigns_per_server
        #: Group commit of ballots and the open votes' live counts (see ballots.py).
        self.ballots = BallotBox(store, window_s=ballot_window_s)
        self.checks = VoteChecks(store, self.ballots, lambda: self.stories)

    def info(self, campaign: Campaign) -> CampaignInfo:
        """The campaign as the adapters show it."""
        return campaign_info(campaign, self.stories)

    def schedule(self, decision: Decision | None) -> None:
        """Keep the scheduler in line with a vote's (new) deadline, if it has one."""
        if self.scheduler is not None and decision is not None and decision.deadline is not None:
            self.scheduler.schedule(decision.id, decision.deadline)

    def unschedule(self, decision_id: int) -> None:
        """The vote's clock stopped (closed, paused, waiting): nothing is due for it."""
        if self.scheduler is not None:
            self.scheduler.cancel(decision_id)

    async def tally(self, decision_id: int) -> dict[str, int]:
        """Ballots per offered choice, in button order: from the live counts while this
        process holds them (every committed ballot is in them), else from the store."""
        counts = self.ballots.counts(decision_id)
        return counts if counts is not None else await self.store.tally(decision_id)

    async def in_channel(self, guild_id: int, channel_id: int) -> Campaign:
        """The channel's campaign that has not ended; refuses with NoCampaign."""
        campaign = await self.store.active_campaign_in_channel(channel_id)
        if campaign is None or campaign.guild_id != guild_id:
            raise errors.NoCampaign()
        return campaign
