"""A campaign's life: start, pause, resume, skip, decide, end; refusals before any write."""

from __future__ import annotations

import json
import logging
import random
from datetime import timedelta

from bot.domain import Campaign, CampaignStatus, CloseHow, Decision
from bot.store import AlreadyClosed, GuildFull
from bot.store import ChannelBusy as StoreChannelBusy

from . import errors
from .closing import WAITING_REASON, Closing
from .context import USE_CASE_LOG, Context
from .faults import pause_for_fault
from .loader import load
from .moves import new_decision, run_idle_scenes
from .queries import Queries
from .records import Loaded, choice_labels, epilogue, open_vote, where
from .results import CampaignInfo, ClockChange, Closed, CloseOutcome, EndedCampaign, Started

log = logging.getLogger(USE_CASE_LOG)


class Lifecycle:
    """The moderators' commands on a channel's campaign, and the bot's own pause."""

    def __init__(self, ctx: Context, closing: Closing, queries: Queries) -> None:
        self._ctx = ctx
        self._closing = closing
        self._queries = queries

    @errors.storage_refusals
    async def start(
        self, *, guild_id: int, channel_id: int, story_id: str, actor_id: int
    ) -> Started:
        """Start `story_id` in a channel and open its first vote."""
        ctx = self._ctx
        story = ctx.stories.get(story_id)
        if story is None:
            raise errors.UnknownStory(story_id, sorted(ctx.stories))
        existing = await ctx.store.active_campaign_in_channel(channel_id)
        if existing is not None:
            raise errors.ChannelBusy()
        now = ctx.clock()
        seed = random.SystemRandom().randrange(2**31)
        state = story.new_state(seed)
        idle = run_idle_scenes(story, state)
        settings = await ctx.store.get_settings(guild_id)
        first = None
        if not (state.ended or idle.stuck):
            first = new_decision(story, state, settings.vote_seconds, now, idle.offered)
        try:
            campaign, decision = await ctx.store.create_campaign(
                guild_id,
                channel_id,
                story.id,
                story.content_hash,
                json.dumps(state.to_json()),
                seed,
                now,
                first,
                live_limit=ctx.max_campaigns_per_server,
            )
        except StoreChannelBusy:
            raise errors.ChannelBusy() from None
        except GuildFull as full:
            raise errors.TooManyCampaigns(full.limit) from None
        await ctx.store.add_audit(guild_id, campaign.id, actor_id, "start", story.id, now)
        if state.ended:
            campaign = await ctx.store.set_campaign_status(
                campaign.id, CampaignStatus.ENDED, ended_at=now
            )
        elif idle.stuck:
            campaign = await ctx.store.set_campaign_status(
                campaign.id, CampaignStatus.PAUSED, reason=idle.stuck
            )
        log.info("%s started: story %s by %s", where(campaign), story.id, actor_id)
        ctx.schedule(decision)
        vote = None
        if decision is not None:
            loaded = Loaded(campaign, story, state)
            vote = open_vote(loaded, decision, settings, dict.fromkeys(decision.choices, 0))
        ending = await epilogue(ctx.store, story, state, settings) if state.ended else None
        return Started(ctx.info(campaign), story.summary, vote, ending)

    @errors.storage_refusals
    async def skip(self, *, guild_id: int, channel_id: int, actor_id: int) -> CloseOutcome:
        """Close the open vote now, counting the ballots cast so far."""
        campaign = await self._ctx.in_channel(guild_id, channel_id)
        decision = await self._open_vote(campaign)
        try:
            return await self._closing.close(decision, CloseHow.SKIP, actor_id=actor_id)
        except AlreadyClosed:
            raise errors.VoteClosed() from None

    @errors.storage_refusals
    async def decide(
        self, *, guild_id: int, channel_id: int, choice_id: str, actor_id: int
    ) -> Closed:
        """A moderator's override: close the open vote with `choice_id`, whatever the tally."""
        campaign = await self._ctx.in_channel(guild_id, channel_id)
        decision = await self._open_vote(campaign, allow_waiting=True)
        if choice_id not in decision.choices:
            labels = choice_labels(self._ctx.stories, campaign.story_id, decision)
            matches = [c for c, label in labels.items() if label.casefold() == choice_id.casefold()]
            if len(matches) != 1:
                raise errors.ChoiceNotOffered(choice_id)
            choice_id = matches[0]
        try:
            outcome = await self._closing.close(
                decision, CloseHow.DECIDE, actor_id=actor_id, forced=choice_id
            )
        except AlreadyClosed:
            raise errors.VoteClosed() from None
        assert isinstance(outcome, Closed)
        return outcome

    @errors.storage_refusals
    async def pause(self, *, guild_id: int, channel_id: int, actor_id: int) -> ClockChange:
        """Freeze the open vote's clock with the time that was left."""
        ctx = self._ctx
        campaign = await ctx.in_channel(guild_id, channel_id)
        if campaign.status is CampaignStatus.PAUSED:
            raise errors.AlreadyPaused()
        decision = await self._open_vote(campaign)
        assert decision.deadline is not None
        now = ctx.clock()
        left = max(decision.deadline - now, timedelta(0))
        if not await ctx.store.pause_decision(decision.id, left, reason="paused by a moderator"):
            raise errors.VoteClosed()
        ctx.checks.forget(decision.id)
        ctx.unschedule(decision.id)
        await ctx.store.add_audit(guild_id, campaign.id, actor_id, "pause", None, now)
        log.info("%s paused by %s", where(campaign), actor_id)
        return await self._queries.clock_change(campaign.id, decision.id)

    @errors.storage_refusals
    async def resume(self, *, guild_id: int, channel_id: int, actor_id: int) -> ClockChange:
        """Restart a paused vote with the time that was left."""
        ctx = self._ctx
        campaign = await ctx.in_channel(guild_id, channel_id)
        if campaign.status is not CampaignStatus.PAUSED:
            raise errors.NotPaused()
        load(ctx.stories, campaign)  # a paused campaign resumes only if its story fits again
        decision = await ctx.store.open_decision_for(campaign.id)
        now = ctx.clock()
        if decision is None:
            raise errors.NoOpenVote()
        if decision.deadline is None and decision.remaining is None:
            # A tie left to a moderator, then paused by a fault (its notice was refused):
            # it has no clock to restart, so it goes back to waiting for /campaign decide.
            if not await ctx.store.wait_for_moderator(decision.id, reason=WAITING_REASON):
                raise errors.VoteClosed()
        else:
            left = decision.remaining if decision.remaining is not None else timedelta(0)
            if not await ctx.store.resume_decision(decision.id, now + left):
                raise errors.VoteClosed()
        ctx.checks.forget(decision.id)
        await ctx.store.add_audit(guild_id, campaign.id, actor_id, "resume", None, now)
        ctx.schedule(await ctx.store.get_decision(decision.id))
        log.info("%s resumed by %s", where(campaign), actor_id)
        return await self._queries.clock_change(campaign.id, decision.id)

    async def pause_campaign(self, campaign_id: int, reason: str) -> CampaignInfo | None:
        """Pause a campaign the bot cannot serve (its message or channel is gone, a missing
        permission): the vote keeps its time for when a moderator resumes."""
        ctx = self._ctx
        campaign = await ctx.store.get_campaign(campaign_id)
        if campaign is None or campaign.status is CampaignStatus.ENDED:
            return None
        if campaign.status is CampaignStatus.PAUSED:
            return ctx.info(campaign)
        return ctx.info(await pause_for_fault(ctx, campaign, reason))

    @errors.storage_refusals
    async def end(self, *, guild_id: int, channel_id: int, actor_id: int) -> EndedCampaign:
        """End the channel's campaign; it stays readable in list and recap."""
        ctx = self._ctx
        campaign = await ctx.in_channel(guild_id, channel_id)
        decision = await ctx.store.open_decision_for(campaign.id)
        now = ctx.clock()
        updated = await ctx.store.set_campaign_status(
            campaign.id, CampaignStatus.ENDED, reason="ended by a moderator", ended_at=now
        )
        if decision is not None:
            ctx.checks.forget(decision.id)
            ctx.unschedule(decision.id)
        await ctx.store.add_audit(guild_id, campaign.id, actor_id, "end", None, now)
        log.info("%s ended by %s", where(campaign), actor_id)
        decisions = [d for d in await ctx.store.decisions_of(campaign.id) if d.outcome]
        return EndedCampaign(
            ctx.info(updated),
            decision.message_id if decision is not None else None,
            len(decisions),
        )

    async def set_message(self, decision_id: int, message_id: int, *, late: bool = False) -> None:
        """Remember which message carries a vote's buttons. A vote whose scene went out `late`
        (Discord refused it for a while, or the bot restarted before posting it) gets a whole
        vote's time from now, so nobody loses their say to an outage."""
        ctx = self._ctx
        await ctx.store.set_message_id(decision_id, message_id)
        if not late:
            return
        decision = await ctx.store.get_decision(decision_id)
        if decision is None or not decision.is_open or decision.deadline is None:
            return
        campaign = await ctx.store.get_campaign(decision.campaign_id)
        if campaign is None:
            return
        settings = await ctx.store.get_settings(campaign.guild_id)
        deadline = ctx.clock() + timedelta(seconds=settings.vote_seconds)
        if deadline > decision.deadline and await ctx.store.move_deadline(decision_id, deadline):
            ctx.checks.forget(decision_id)
            ctx.schedule(await ctx.store.get_decision(decision_id))
            log.info(
                "%s vote %s was posted late; it now closes at %s",
                where(campaign),
                decision.seq,
                deadline.isoformat(),
            )

    async def _open_vote(self, campaign: Campaign, *, allow_waiting: bool = False) -> Decision:
        """The campaign's open vote, if a moderator may close it now."""
        decision = await self._ctx.store.open_decision_for(campaign.id)
        if decision is None:
            raise errors.NoOpenVote()
        if campaign.status is CampaignStatus.PAUSED:
            raise errors.CampaignPaused()
        if campaign.status is CampaignStatus.WAITING and not allow_waiting:
            raise errors.WaitingForModerator()
        return decision
