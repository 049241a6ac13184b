"""The close pipeline: count, settle by the rules, commit the move exactly once."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from bot.domain import CampaignStatus, CloseHow, Decision, GuildSettings, NewAudit
from bot.store import AlreadyClosed, TallyChanged

from . import errors, turns
from .context import USE_CASE_LOG, Context
from .faults import load_or_pause, pause_for_fault
from .moves import advance
from .records import Loaded, choice_labels, epilogue, open_vote, where
from .results import Closed, CloseOutcome, Extended, VoteResult, Waiting
from .rules import Next, settle

log = logging.getLogger(USE_CASE_LOG)

#: Closing retries when ballots keep landing between the count and the close.
CLOSE_ATTEMPTS = 5
#: Why a campaign waits (its status reason while a tie is left to a moderator).
WAITING_REASON = "the vote tied; a moderator decides with /campaign decide."


class Closing:
    """Closing one vote: by its timer, or by a moderator's skip or decision."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def close_due(self, decision_id: int) -> CloseOutcome | None:
        """The timer fired: close the vote if it is still open and due (None otherwise)."""
        ctx = self._ctx
        decision = await ctx.store.get_decision(decision_id)
        if decision is None or not decision.is_open or decision.deadline is None:
            return None
        if decision.deadline > ctx.clock():
            ctx.schedule(decision)  # moved since it was scheduled
            return None
        if ctx.hold_unposted and decision.message_id is None:
            return None  # nobody has seen it yet; set_message schedules it once posted
        try:
            return await self.close(decision, CloseHow.TIMER)
        except (AlreadyClosed, errors.StoryUnavailable):
            return None

    async def close(
        self,
        decision: Decision,
        closer: CloseHow,
        *,
        actor_id: int | None = None,
        forced: str | None = None,
    ) -> CloseOutcome:
        """Close an open vote (`forced`: with that choice, whatever the tally). Raises
        AlreadyClosed if someone else closed it first, StoryUnavailable (having paused the
        campaign) if its story no longer fits."""
        ctx = self._ctx
        campaign = await ctx.store.get_campaign(decision.campaign_id)
        assert campaign is not None
        loaded = await load_or_pause(ctx, campaign)
        settings = await ctx.store.get_settings(campaign.guild_id)
        labels = choice_labels(ctx.stories, campaign.story_id, decision)
        for _ in range(CLOSE_ATTEMPTS):
            tally = await ctx.store.tally(decision.id)
            if forced is not None:
                outcome: str | None = forced
                how = CloseHow.DECIDE
            else:
                verdict = settle(
                    tally,
                    decision.choices,
                    closer=closer,
                    tie_break=settings.tie_break,
                    quorum=settings.quorum,
                    extended=decision.extended,
                    has_no_decision=loaded.story.scenes[decision.scene_id].no_decision is not None,
                    tie_seed=f"{campaign.seed}:{decision.seq}:tie",
                )
                if verdict.next is Next.EXTEND:
                    return await self._extend(loaded, decision, settings, tally)
                if verdict.next is Next.WAIT:
                    return await self._wait(loaded, decision, tally, labels)
                assert verdict.how is not None
                outcome, how = verdict.outcome, verdict.how
            try:
                return await self._apply(
                    loaded, decision, tally, labels, outcome, how, settings, actor_id
                )
            except AlreadyClosed:
                ctx.checks.forget(decision.id)
                raise
            except TallyChanged:
                loaded = await load_or_pause(ctx, campaign)
                continue
        raise RuntimeError(f"vote {decision.id}: ballots kept arriving during the close")

    async def _apply(
        self,
        loaded: Loaded,
        decision: Decision,
        tally: dict[str, int],
        labels: dict[str, str],
        outcome: str | None,
        how: CloseHow,
        settings: GuildSettings,
        actor_id: int | None,
    ) -> Closed:
        ctx = self._ctx
        story, campaign = loaded.story, loaded.campaign
        now = ctx.clock()
        move = advance(
            story,
            loaded.state.copy(),
            decision.scene_id,
            outcome,
            how,
            tally,
            vote_seconds=settings.vote_seconds,
            now=now,
        )
        turn, extra, paused_reason, state = move.turn, move.extra, move.paused_reason, move.state
        status, next_decision = move.status, move.next_decision
        audit = None
        if actor_id is not None:
            detail = f"vote {decision.seq}: {labels.get(outcome, outcome) if outcome else how}"
            audit = NewAudit(actor_id, how.value if how is CloseHow.DECIDE else "skip", now, detail)
        if turn is None:
            # The story refused: close nothing, pause the campaign with the vote's time kept.
            paused = await pause_for_fault(ctx, campaign, paused_reason or "the story failed.")
            raise errors.StoryUnavailable(paused.status_reason or "")
        next_row = await ctx.store.close_decision(
            decision.id,
            view_json=turns.view_json(turn, extra, paused_reason),
            closed_at=now,
            outcome=outcome,
            how=how,
            campaign_state_json=json.dumps(state.to_json()),
            campaign_status=status,
            status_reason=paused_reason,
            ended_at=now if status is CampaignStatus.ENDED else None,
            next_decision=next_decision,
            audit=audit,
            expect_tally=tally,
        )
        ctx.checks.forget(decision.id)
        ctx.unschedule(decision.id)
        ctx.schedule(next_row)
        updated = await ctx.store.get_campaign(campaign.id)
        assert updated is not None
        log.info(
            "%s vote %s closed (%s): %s, tally %s",
            where(campaign),
            decision.seq,
            how.value,
            outcome or "no decision",
            tally,
        )
        result = VoteResult(
            decision_id=decision.id,
            seq=decision.seq,
            scene_title=story.scenes[decision.scene_id].source.title,
            tally=tally,
            labels=labels,
            outcome=outcome,
            outcome_label=labels.get(outcome) if outcome else None,
            how=how,
            turn=turn,
            message_id=decision.message_id,
            extra_turns=tuple(extra),
        )
        after = Loaded(updated, story, state)
        next_vote = None
        if next_row is not None:
            next_vote = open_vote(after, next_row, settings, dict.fromkeys(next_row.choices, 0))
        ending = await epilogue(ctx.store, story, state, settings) if state.ended else None
        if state.ended:
            log.info("%s ended at '%s'", where(campaign), state.scene)
        return Closed(ctx.info(updated), result, next_vote, ending, paused_reason)

    async def _extend(
        self, loaded: Loaded, decision: Decision, settings: GuildSettings, tally: dict[str, int]
    ) -> Extended:
        ctx = self._ctx
        deadline = ctx.clock() + timedelta(seconds=settings.vote_seconds)
        if not await ctx.store.extend_decision(decision.id, deadline):
            raise AlreadyClosed(decision.id)
        ctx.checks.forget(decision.id)
        ctx.schedule(await ctx.store.get_decision(decision.id))
        log.info("%s vote %s extended: quorum not met", where(loaded.campaign), decision.seq)
        return Extended(
            ctx.info(loaded.campaign),
            decision.id,
            deadline,
            decision.message_id,
            sum(tally.values()),
            settings.quorum,
        )

    async def _wait(
        self, loaded: Loaded, decision: Decision, tally: dict[str, int], labels: dict[str, str]
    ) -> Waiting:
        ctx = self._ctx
        best = max(tally.values())
        leaders = tuple(c for c in decision.choices if tally.get(c, 0) == best)
        if not await ctx.store.wait_for_moderator(decision.id, reason=WAITING_REASON):
            raise AlreadyClosed(decision.id)
        ctx.checks.forget(decision.id)
        ctx.unschedule(decision.id)
        campaign = await ctx.store.get_campaign(loaded.campaign.id)
        assert campaign is not None
        log.info("%s vote %s tied; waiting for a moderator", where(campaign), decision.seq)
        return Waiting(ctx.info(campaign), decision.id, tally, leaders, labels, decision.message_id)
