"""CampaignService: one facade over the use-case modules, so adapters and tests hold one object."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from bot.domain import GuildSettings, Shards
from bot.store import Store
from bot.story import Story

from .backlog import Backlog
from .ballots import BallotBox
from .clock import Clock
from .closing import Closing
from .context import Context
from .guild_settings import GuildRules
from .lifecycle import Lifecycle
from .queries import Queries
from .results import (
    BallotCast,
    CampaignInfo,
    ClockChange,
    Closed,
    CloseOutcome,
    EndedCampaign,
    OpenVote,
    Recap,
    ResumeReport,
    Started,
    Status,
)
from .scheduler import DeadlineScheduler
from .startup import Startup
from .voting import Voting


class CampaignService:
    """The use cases over one store, the loaded stories and a clock.

    Each use case takes plain ids, changes the store in one committed step, keeps the
    deadline scheduler in line, and returns plain data for the caller to render. Refusals
    raise a `CampaignError` before anything is written. Nothing here assumes it is the only
    process: a vote is closed exactly once by the store, whoever gets there first.
    """

    def __init__(
        self,
        store: Store,
        stories: Mapping[str, Story],
        clock: Clock,
        scheduler: DeadlineScheduler | None = None,
        *,
        ballot_window_s: float = 0.002,
        hold_unposted: bool = False,
        shards: Shards | None = None,
        max_campaigns_per_server: int | None = None,
    ) -> None:
        self._ctx = Context(
            store,
            stories,
            clock,
            scheduler,
            ballot_window_s=ballot_window_s,
            hold_unposted=hold_unposted,
            shards=shards,
            max_campaigns_per_server=max_campaigns_per_server,
        )
        self._voting = Voting(self._ctx)
        self._closing = Closing(self._ctx)
        self._queries = Queries(self._ctx)
        self._lifecycle = Lifecycle(self._ctx, self._closing, self._queries)
        self._rules = GuildRules(self._ctx)
        self._startup = Startup(self._ctx)

    # -- what the use cases share (see context.py) ---------------------------------------------

    @property
    def store(self) -> Store:
        return self._ctx.store

    @property
    def stories(self) -> Mapping[str, Story]:
        """The stories loaded now; set to swap in edited ones (a vote's check follows)."""
        return self._ctx.stories

    @stories.setter
    def stories(self, stories: Mapping[str, Story]) -> None:
        self._ctx.stories = stories

    @property
    def clock(self) -> Clock:
        return self._ctx.clock

    @property
    def scheduler(self) -> DeadlineScheduler | None:
        return self._ctx.scheduler

    @property
    def shards(self) -> Shards | None:
        """The shards this process serves (None: all)."""
        return self._ctx.shards

    @property
    def hold_unposted(self) -> bool:
        """Whether a vote whose scene message is not out yet waits to close."""
        return self._ctx.hold_unposted

    @property
    def max_campaigns_per_server(self) -> int | None:
        """The operator's cap on a server's campaigns that have not ended (None: no cap)."""
        return self._ctx.max_campaigns_per_server

    @property
    def ballots(self) -> BallotBox:
        """Group commit of ballots and the open votes' live counts (see ballots.py)."""
        return self._ctx.ballots

    async def close(self) -> None:
        """Write the ballots still waiting for their commit, then stop the ballot writer."""
        await self._ctx.ballots.close()

    # -- voting (voting.py) ----------------------------------------------------------------------

    async def cast(
        self,
        *,
        guild_id: int,
        decision_id: int,
        choice_index: int,
        member_id: int,
        role_ids: Collection[int] = (),
    ) -> BallotCast:
        """Record a member's ballot (a later one replaces it); committed before returning."""
        return await self._voting.cast(
            guild_id=guild_id,
            decision_id=decision_id,
            choice_index=choice_index,
            member_id=member_id,
            role_ids=role_ids,
        )

    async def tally(self, decision_id: int) -> dict[str, int]:
        """Ballots per offered choice, in button order (the live counts, else the store)."""
        return await self._ctx.tally(decision_id)

    # -- closing (closing.py) and the campaign's life (lifecycle.py) -----------------------------

    async def close_due(self, decision_id: int) -> CloseOutcome | None:
        """The timer fired: close the vote if it is still open and due (None otherwise)."""
        return await self._closing.close_due(decision_id)

    async def start(
        self, *, guild_id: int, channel_id: int, story_id: str, actor_id: int
    ) -> Started:
        """Start `story_id` in a channel and open its first vote."""
        return await self._lifecycle.start(
            guild_id=guild_id, channel_id=channel_id, story_id=story_id, actor_id=actor_id
        )

    async def skip(self, *, guild_id: int, channel_id: int, actor_id: int) -> CloseOutcome:
        """Close the open vote now, counting the ballots cast so far."""
        return await self._lifecycle.skip(
            guild_id=guild_id, channel_id=channel_id, actor_id=actor_id
        )

    async def decide(
        self, *, guild_id: int, channel_id: int, choice_id: str, actor_id: int
    ) -> Closed:
        """A moderator's override: close the open vote with `choice_id`, whatever the tally."""
        return await self._lifecycle.decide(
            guild_id=guild_id, channel_id=channel_id, choice_id=choice_id, actor_id=actor_id
        )

    async def pause(self, *, guild_id: int, channel_id: int, actor_id: int) -> ClockChange:
        """Freeze the open vote's clock with the time that was left."""
        return await self._lifecycle.pause(
            guild_id=guild_id, channel_id=channel_id, actor_id=actor_id
        )

    async def resume(self, *, guild_id: int, channel_id: int, actor_id: int) -> ClockChange:
        """Restart a paused vote with the time that was left."""
        return await self._lifecycle.resume(
            guild_id=guild_id, channel_id=channel_id, actor_id=actor_id
        )

    async def pause_campaign(self, campaign_id: int, reason: str) -> CampaignInfo | None:
        """Pause a campaign the bot cannot serve; the vote keeps its time."""
        return await self._lifecycle.pause_campaign(campaign_id, reason)

    async def end(self, *, guild_id: int, channel_id: int, actor_id: int) -> EndedCampaign:
        """End the channel's campaign; it stays readable in list and recap."""
        return await self._lifecycle.end(
            guild_id=guild_id, channel_id=channel_id, actor_id=actor_id
        )

    async def set_message(self, decision_id: int, message_id: int, *, late: bool = False) -> None:
        """Remember which message carries a vote's buttons (`late`: it gets its time anew)."""
        await self._lifecycle.set_message(decision_id, message_id, late=late)

    # -- reading (queries.py) and the server's rules (guild_settings.py) -------------------------

    async def status(self, *, guild_id: int, channel_id: int) -> Status:
        """The channel's campaign: scene, state and the open vote with its tally."""
        return await self._queries.status(guild_id=guild_id, channel_id=channel_id)

    async def recap(self, *, guild_id: int, channel_id: int) -> Recap:
        """The story so far in this channel (the latest campaign, even if it ended)."""
        return await self._queries.recap(guild_id=guild_id, channel_id=channel_id)

    async def campaigns(self, guild_id: int) -> list[CampaignInfo]:
        """This server's campaigns, newest first."""
        return await self._queries.campaigns(guild_id)

    async def open_choices(self, *, guild_id: int, channel_id: int) -> dict[str, str]:
        """The open vote's choices (id to label), for /campaign decide's autocomplete."""
        return await self._queries.open_choices(guild_id=guild_id, channel_id=channel_id)

    async def vote(self, decision_id: int) -> tuple[CampaignInfo, OpenVote] | None:
        """An open vote as it stands (for refreshing its message), or None once closed."""
        return await self._queries.vote(decision_id)

    async def settings(self, guild_id: int) -> GuildSettings:
        """This server's voting rules."""
        return await self._rules.settings(guild_id)

    async def update_settings(
        self, *, guild_id: int, actor_id: int, changes: Mapping[str, object]
    ) -> GuildSettings:
        """Change some voting rules; every value is checked first and a bad one changes none."""
        return await self._rules.update_settings(
            guild_id=guild_id, actor_id=actor_id, changes=changes
        )

    # -- catching up after a start (startup.py) --------------------------------------------------

    async def close_overdue_votes(self) -> Backlog:
        """At start: close the votes that fell due while the bot was down, in batches."""
        return await self._startup.close_overdue_votes()

    async def resume_open_votes(self) -> ResumeReport:
        """At start: schedule every open vote's deadline; report those already overdue."""
        return await self._startup.resume_open_votes()

    async def close_shown(self, decision_id: int) -> None:
        """The channel shows this close now (its message marked, what follows posted)."""
        await self._startup.close_shown(decision_id)

    async def unshown_closes(self, closed_before: datetime | None) -> list[int]:
        """This process's closes committed before `closed_before` and never shown."""
        return await self._startup.unshown_closes(closed_before)

    async def unshown_close(self, decision_id: int) -> Closed | None:
        """An unshown close rebuilt from the store, to show it now; None once shown."""
        return await self._startup.unshown_close(decision_id)
