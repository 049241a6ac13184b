"""What a start catches up on: votes due while down, deadlines, closes never shown."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from bot.domain import CampaignStatus
from bot.story import StoryState

from . import backlog, turns
from .backlog import Backlog
from .context import USE_CASE_LOG, Context
from .records import Loaded, choice_labels, epilogue, open_vote
from .results import Closed, ResumeReport, VoteResult

log = logging.getLogger(USE_CASE_LOG)


class Startup:
    """Catching up after a start, for this process's shards."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def close_overdue_votes(self) -> Backlog:
        """At start, before `resume_open_votes`: close the votes of this process's shards
        whose deadline passed while the bot was down, in batches (see backlog.py). Each
        close is committed unshown; the caller shows `closed` (oldest deadline first).
        The votes that need more than a plain close stay open and overdue, for
        `resume_open_votes` to schedule into the one-by-one close; it also schedules the
        votes these closes opened."""
        ctx = self._ctx
        now = ctx.clock()
        overdue = await ctx.store.open_deadlines(ctx.shards, due_by=now)
        done = await backlog.close_overdue(
            ctx.store, ctx.stories, overdue, now, hold_unposted=ctx.hold_unposted
        )
        for decision_id in done.closed:
            ctx.checks.forget(decision_id)
            ctx.unschedule(decision_id)
        if overdue:
            log.info(
                "%d overdue votes at start: %d closed in %d batches, %d left to close one by one",
                len(overdue),
                len(done.closed),
                done.batches,
                len(done.one_by_one),
            )
        return done

    async def resume_open_votes(self) -> ResumeReport:
        """At start: schedule every open vote's deadline (of this process's shards); report
        those already overdue (the scheduler closes them at once)."""
        ctx = self._ctx
        deadlines = await ctx.store.open_deadlines(ctx.shards)
        now = ctx.clock()
        if ctx.scheduler is not None:
            ctx.scheduler.load(deadlines)
        overdue = [d.decision_id for d in deadlines if d.deadline <= now]
        return ResumeReport(len(deadlines), overdue)

    async def close_shown(self, decision_id: int) -> None:
        """The channel shows this close now (its message marked, what follows posted)."""
        await self._ctx.store.mark_close_shown(decision_id)

    async def unshown_closes(self, closed_before: datetime | None) -> list[int]:
        """This process's closes that were committed before `closed_before` and never
        shown (a failure after the commit), oldest first."""
        ctx = self._ctx
        return await ctx.store.unshown_closes(ctx.shards, closed_before=closed_before)

    async def unshown_close(self, decision_id: int) -> Closed | None:
        """An unshown close rebuilt from the store, to show it now; None once it is shown
        (or when its story is not loaded: it waits for it)."""
        ctx = self._ctx
        view = await ctx.store.close_view(decision_id)
        decision = await ctx.store.get_decision(decision_id)
        if view is None or decision is None or decision.how is None:
            return None
        campaign = await ctx.store.get_campaign(decision.campaign_id)
        story = ctx.stories.get(campaign.story_id) if campaign is not None else None
        if campaign is None or story is None:
            return None
        state = StoryState.from_json(json.loads(campaign.state_json))
        settings = await ctx.store.get_settings(campaign.guild_id)
        tally = await ctx.store.tally(decision_id)
        labels = choice_labels(ctx.stories, campaign.story_id, decision)
        turn, extra, paused_reason = turns.read_view(view)
        scene = story.scenes.get(decision.scene_id)
        result = VoteResult(
            decision_id=decision.id,
            seq=decision.seq,
            scene_title=scene.source.title if scene is not None else decision.scene_id,
            tally=tally,
            labels=labels,
            outcome=decision.outcome,
            outcome_label=labels.get(decision.outcome) if decision.outcome else None,
            how=decision.how,
            turn=turn,
            message_id=decision.message_id,
            extra_turns=extra,
        )
        later = [d for d in await ctx.store.decisions_of(campaign.id) if d.seq > decision.seq]
        next_vote = None
        if later and later[0].is_open and campaign.status is not CampaignStatus.ENDED:
            waiting = campaign.status is CampaignStatus.WAITING
            following = later[0]
            next_vote = open_vote(
                Loaded(campaign, story, state),
                following,
                settings,
                await ctx.tally(following.id),
                waiting=waiting,
            )
        ending = None
        if state.ended and not later:
            ending = await epilogue(ctx.store, story, state, settings)
        return Closed(ctx.info(campaign), result, next_vote, ending, paused_reason)
