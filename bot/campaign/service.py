"""The campaign use cases: start, vote, close, pause, resume, skip, decide, end, and the
read-only views (status, recap, list, settings).

Each method takes plain ids, changes the store in one committed step, keeps the deadline
scheduler in line, and returns plain data for the caller to render. Refusals raise a
`CampaignError` before anything is written. Nothing here assumes it is the only process:
a vote is closed exactly once by the store, whoever gets there first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import (
    Campaign,
    CampaignStatus,
    CloseHow,
    Decision,
    GuildSettings,
    NewAudit,
    NewBallot,
    NewDecision,
    Shards,
)
from bot.store import AlreadyClosed, GuildFull, Store, TallyChanged
from bot.store import ChannelBusy as StoreChannelBusy
from bot.story import ChoiceView, Story, StoryRuntimeError, StoryState, Turn

from . import backlog, errors, turns
from .backlog import Backlog
from .ballots import BallotBox, WriteFailed
from .clock import Clock
from .crews import compare_with_crews
from .moves import advance, new_decision, run_idle_scenes
from .results import (
    BallotCast,
    CampaignInfo,
    ClockChange,
    Closed,
    CloseOutcome,
    CrewComparison,
    EndedCampaign,
    Epilogue,
    Extended,
    OpenVote,
    Recap,
    RecapEntry,
    ResumeReport,
    Started,
    Status,
    VoteResult,
    Waiting,
)
from .rules import Next, check_settings, settle
from .scheduler import DeadlineScheduler

log = logging.getLogger(__name__)

#: The least time a vote keeps when a fault (not a moderator) pauses its campaign.
FAULT_PAUSE_FLOOR_S = 60
#: Closing retries when ballots keep landing between the count and the close.
CLOSE_ATTEMPTS = 5
#: Why a campaign waits (its status reason while a tie is left to a moderator).
WAITING_REASON = "the vote tied; a moderator decides with /campaign decide."


@dataclass(frozen=True, slots=True)
class _VoteCheck:
    """What a click on one vote is checked against, kept while the vote is open so a click
    reads no row, decodes no state and loads no story. Dropped by every use case that
    changes any of it (close, pause, resume, extend, wait, end, the guild's settings)."""

    campaign_id: int
    guild_id: int
    story_id: str
    story: Story | None  # the loaded story the labels came from
    choices: tuple[str, ...]
    labels: dict[str, str]
    deadline: datetime | None
    is_open: bool
    status: CampaignStatus
    voter_role_id: int | None
    blind: bool


@dataclass
class _Loaded:
    """A campaign with its story and state, ready to play."""

    campaign: Campaign
    story: Story
    state: StoryState


class CampaignService:
    """The use cases over one store, the loaded stories and a clock."""

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
        self.store = store
        #: The shards this process serves (None: all). It schedules, closes at start and
        #: shows only their guilds' votes; another process takes the others.
        self.shards = shards
        #: The operator's cap on a server's campaigns that have not ended (None: no cap).
        self.max_campaigns_per_server = max_campaigns_per_server
        self.stories = stories
        self.clock = clock
        self.scheduler = scheduler
        #: The bot's rule: a vote whose scene message is not out yet does not close; it gets
        #: its full time once posted (see `set_message`). Engine tests leave it off.
        self.hold_unposted = hold_unposted
        #: Group commit of ballots and the open votes' live counts (see ballots.py).
        self.ballots = BallotBox(store, window_s=ballot_window_s)
        self._checks: dict[int, _VoteCheck] = {}
        self._loading: dict[int, asyncio.Task[_VoteCheck]] = {}
        self._generation = 0  # bumped by every invalidation: a load started before stays out

    async def close(self) -> None:
        """Write the ballots still waiting for their commit, then stop the ballot writer."""
        await self.ballots.close()

    # -- what a click is checked against ----------------------------------------------------

    async def _vote_check(self, decision_id: int) -> _VoteCheck:
        """The cached check of a vote, loading it (once, however many clicks wait) if needed."""
        check = self._checks.get(decision_id)
        if check is not None and check.story is self.stories.get(check.story_id):
            return check
        task = self._loading.get(decision_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(
                self._load_check(decision_id), name=f"vote-check-{decision_id}"
            )
            self._loading[decision_id] = task
            task.add_done_callback(self._loaded_check(decision_id))
        return await asyncio.shield(task)

    def _loaded_check(self, decision_id: int) -> Callable[[asyncio.Task[_VoteCheck]], None]:
        def done(task: asyncio.Task[_VoteCheck]) -> None:
            if self._loading.get(decision_id) is task:
                del self._loading[decision_id]
            if not task.cancelled():
                task.exception()  # each waiter got it; nothing left unretrieved

        return done

    async def _load_check(self, decision_id: int) -> _VoteCheck:
        generation = self._generation
        decision = await self.store.get_decision(decision_id)
        if decision is None:
            raise errors.UnknownVote()
        campaign = await self.store.get_campaign(decision.campaign_id)
        if campaign is None:
            raise errors.UnknownVote()
        settings = await self.store.get_settings(campaign.guild_id)
        check = _VoteCheck(
            campaign_id=campaign.id,
            guild_id=campaign.guild_id,
            story_id=campaign.story_id,
            story=self.stories.get(campaign.story_id),
            choices=decision.choices,
            labels=self._labels(campaign.story_id, decision),
            deadline=decision.deadline,
            is_open=decision.is_open,
            status=campaign.status,
            voter_role_id=settings.voter_role_id,
            blind=settings.blind,
        )
        keep = decision.is_open and campaign.status is not CampaignStatus.ENDED
        if keep and generation == self._generation:
            self._checks[decision_id] = check
        return check

    def _invalidate(self, decision_id: int) -> None:
        """Something a click is checked against changed (call after the change committed)."""
        self._generation += 1
        self._checks.pop(decision_id, None)
        self._loading.pop(decision_id, None)

    def _forget(self, decision_id: int) -> None:
        """The vote closed: keep nothing of it in memory."""
        self._invalidate(decision_id)
        self.ballots.forget(decision_id)

    def _invalidate_guild(self, guild_id: int) -> None:
        """A guild's voting rules changed: drop the checks of all its votes."""
        self._generation += 1
        for decision_id in [d for d, c in self._checks.items() if c.guild_id == guild_id]:
            del self._checks[decision_id]
        self._loading.clear()

    # -- helpers ----------------------------------------------------------------------------

    def _info(self, campaign: Campaign) -> CampaignInfo:
        story = self.stories.get(campaign.story_id)
        return CampaignInfo(
            id=campaign.id,
            guild_id=campaign.guild_id,
            channel_id=campaign.channel_id,
            story_id=campaign.story_id,
            story_title=story.title if story is not None else campaign.story_id,
            status=campaign.status,
            status_reason=campaign.status_reason,
            started_at=campaign.started_at,
            ended_at=campaign.ended_at,
        )

    async def _in_channel(self, guild_id: int, channel_id: int) -> Campaign:
        campaign = await self.store.active_campaign_in_channel(channel_id)
        if campaign is None or campaign.guild_id != guild_id:
            raise errors.NoCampaign()
        return campaign

    async def _pause_for(self, campaign: Campaign, reason: str) -> Campaign:
        """Stop a campaign that cannot go on, keep its vote's time, and say why. A fault often
        shows at the deadline itself; the vote then keeps a minute (or its whole time, if
        shorter), so that resuming does not close it before anyone can look."""
        decision = await self.store.open_decision_for(campaign.id)
        if decision is not None and decision.deadline is not None:
            settings = await self.store.get_settings(campaign.guild_id)
            floor = timedelta(seconds=min(settings.vote_seconds, FAULT_PAUSE_FLOOR_S))
            left = max(decision.deadline - self.clock(), floor)
            await self.store.pause_decision(decision.id, left, reason=reason)
            self._unschedule(decision.id)
        updated = await self.store.set_campaign_status(
            campaign.id, CampaignStatus.PAUSED, reason=reason
        )
        if decision is not None:
            self._invalidate(decision.id)
        log.warning("%s paused: %s", _where(campaign), reason)
        return updated

    async def _load(self, campaign: Campaign) -> _Loaded:
        """The campaign's story and state; pauses the campaign (and raises) if they no longer
        fit, e.g. the story was edited and the current scene is gone."""
        story = self.stories.get(campaign.story_id)
        if story is None:
            reason = f"its story '{campaign.story_id}' is not loaded (see the bot's log)."
            if campaign.status is not CampaignStatus.ENDED:
                await self._pause_for(campaign, reason)
            raise errors.StoryUnavailable(reason)
        try:
            state = StoryState.from_json(json.loads(campaign.state_json))
            story.check_state(state)
        except (StoryRuntimeError, ValueError) as exc:
            reason = f"the story changed and no longer fits this campaign ({exc})."
            if campaign.status is not CampaignStatus.ENDED:
                await self._pause_for(campaign, reason)
            raise errors.StoryUnavailable(reason) from exc
        return _Loaded(campaign, story, state)

    def _schedule(self, decision: Decision | None) -> None:
        if self.scheduler is not None and decision is not None and decision.deadline is not None:
            self.scheduler.schedule(decision.id, decision.deadline)

    def _unschedule(self, decision_id: int) -> None:
        if self.scheduler is not None:
            self.scheduler.cancel(decision_id)

    def _vote(
        self,
        loaded: _Loaded,
        decision: Decision,
        settings: GuildSettings,
        tally: dict[str, int] | None,
        *,
        waiting: bool = False,
    ) -> OpenVote:
        view = loaded.story.view(loaded.state)
        by_id = {choice.id: choice for choice in view.choices}
        scene = loaded.story.scenes.get(decision.scene_id)
        choices = []
        for choice_id in decision.choices:
            if choice_id in by_id:
                choices.append(by_id[choice_id])
            elif scene is not None and choice_id in scene.by_id:
                # Offered when the vote opened; keep its button even if the story was edited.
                compiled = scene.by_id[choice_id]
                choices.append(
                    ChoiceView(compiled.index, compiled.id, compiled.label, compiled.by, None)
                )
        return OpenVote(
            campaign_id=loaded.campaign.id,
            decision_id=decision.id,
            seq=decision.seq,
            scene=view,
            choices=tuple(choices),
            deadline=decision.deadline,
            remaining=decision.remaining,
            tally=None if settings.blind else tally,
            message_id=decision.message_id,
            waiting_for_moderator=waiting,
        )

    def _new_decision(
        self, story: Story, state: StoryState, settings: GuildSettings, now: datetime
    ) -> NewDecision:
        return new_decision(story, state, settings.vote_seconds, now)

    @staticmethod
    def _run_idle_scenes(story: Story, state: StoryState) -> tuple[list[Turn], str | None]:
        """See `moves.run_idle_scenes`."""
        return run_idle_scenes(story, state)

    async def _epilogue(self, story: Story, state: StoryState, settings: GuildSettings) -> Epilogue:
        turnouts = tuple(sum(step.get("counts", {}).values()) for step in state.path)
        return Epilogue(
            scene=story.view(state),
            ending_id=state.scene,
            endings_total=len(story.endings),
            decisions=len(state.path),
            ballots=sum(turnouts),
            turnouts=turnouts,
            margins=tuple(_margin(step.get("counts", {})) for step in state.path),
            crews=await compare_with_crews(self.store, story, settings, state.path),
        )

    # -- start ------------------------------------------------------------------------------

    @errors.storage_refusals
    async def start(
        self, *, guild_id: int, channel_id: int, story_id: str, actor_id: int
    ) -> Started:
        """Start `story_id` in a channel and open its first vote."""
        story = self.stories.get(story_id)
        if story is None:
            raise errors.UnknownStory(story_id, sorted(self.stories))
        existing = await self.store.active_campaign_in_channel(channel_id)
        if existing is not None:
            raise errors.ChannelBusy()
        now = self.clock()
        seed = random.SystemRandom().randrange(2**31)
        state = story.new_state(seed)
        _, stuck = self._run_idle_scenes(story, state)
        settings = await self.store.get_settings(guild_id)
        first = None if state.ended or stuck else self._new_decision(story, state, settings, now)
        try:
            campaign, decision = await self.store.create_campaign(
                guild_id,
                channel_id,
                story.id,
                story.content_hash,
                json.dumps(state.to_json()),
                seed,
                now,
                first,
                live_limit=self.max_campaigns_per_server,
            )
        except StoreChannelBusy:
            raise errors.ChannelBusy() from None
        except GuildFull as full:
            raise errors.TooManyCampaigns(full.limit) from None
        await self.store.add_audit(guild_id, campaign.id, actor_id, "start", story.id, now)
        if state.ended:
            campaign = await self.store.set_campaign_status(
                campaign.id, CampaignStatus.ENDED, ended_at=now
            )
        elif stuck:
            campaign = await self.store.set_campaign_status(
                campaign.id, CampaignStatus.PAUSED, reason=stuck
            )
        log.info("%s started: story %s by %s", _where(campaign), story.id, actor_id)
        self._schedule(decision)
        loaded = _Loaded(campaign, story, state)
        vote = None
        if decision is not None:
            vote = self._vote(loaded, decision, settings, dict.fromkeys(decision.choices, 0))
        epilogue = await self._epilogue(story, state, settings) if state.ended else None
        return Started(self._info(campaign), story.summary, vote, epilogue)

    # -- voting -----------------------------------------------------------------------------

    async def cast(
        self,
        *,
        guild_id: int,
        decision_id: int,
        choice_index: int,
        member_id: int,
        role_ids: Collection[int] = (),
    ) -> BallotCast:
        """Record a member's ballot (a later one replaces it); committed before returning.

        The click is checked against the vote's cached check (no query), then the ballot
        joins the next group commit. The store still refuses a ballot for a vote that closed
        meanwhile, so a stale check can never count one after the close.
        """
        check = await self._vote_check(decision_id)
        if check.guild_id != guild_id:
            raise errors.UnknownVote()
        if not check.is_open:
            raise errors.VoteClosed()
        if check.status is CampaignStatus.PAUSED:
            raise errors.CampaignPaused()
        if check.status is CampaignStatus.WAITING:
            raise errors.WaitingForModerator()
        if not 0 <= choice_index < len(check.choices):
            raise errors.ChoiceNotOffered()
        now = self.clock()
        if check.deadline is not None and now >= check.deadline:
            raise errors.VoteClosed()
        if check.voter_role_id is not None and check.voter_role_id not in role_ids:
            raise errors.NotAVoter()
        choice_id = check.choices[choice_index]
        try:
            counted = await self.ballots.cast(
                NewBallot(decision_id, member_id, choice_id, now), check.choices
            )
        except WriteFailed:
            raise errors.BallotNotSaved() from None
        if not counted.accepted:
            self._forget(decision_id)
            raise errors.VoteClosed()
        changed_from = None
        if counted.previous is not None and counted.previous != choice_id:
            changed_from = check.labels.get(counted.previous, counted.previous)
        return BallotCast(
            decision_id=decision_id,
            campaign_id=check.campaign_id,
            choice_id=choice_id,
            choice_label=check.labels.get(choice_id, choice_id),
            deadline=check.deadline,
            changed_from=changed_from,
            blind=check.blind,
        )

    def _labels(self, story_id: str, decision: Decision) -> dict[str, str]:
        story = self.stories.get(story_id)
        scene = story.scenes.get(decision.scene_id) if story is not None else None
        if scene is None:
            return {choice: choice for choice in decision.choices}
        return {
            choice: scene.by_id[choice].label if choice in scene.by_id else choice
            for choice in decision.choices
        }

    async def tally(self, decision_id: int) -> dict[str, int]:
        """Ballots per offered choice, in button order: from the live counts while this
        process holds them (every committed ballot is in them), else from the store."""
        counts = self.ballots.counts(decision_id)
        return counts if counts is not None else await self.store.tally(decision_id)

    # -- closing ----------------------------------------------------------------------------

    async def close_due(self, decision_id: int) -> CloseOutcome | None:
        """The timer fired: close the vote if it is still open and due (None otherwise)."""
        decision = await self.store.get_decision(decision_id)
        if decision is None or not decision.is_open or decision.deadline is None:
            return None
        if decision.deadline > self.clock():
            self._schedule(decision)  # moved since it was scheduled
            return None
        if self.hold_unposted and decision.message_id is None:
            return None  # nobody has seen it yet; set_message schedules it once posted
        try:
            return await self._close(decision, CloseHow.TIMER)
        except (AlreadyClosed, errors.StoryUnavailable):
            return None

    @errors.storage_refusals
    async def skip(self, *, guild_id: int, channel_id: int, actor_id: int) -> CloseOutcome:
        """Close the open vote now, counting the ballots cast so far."""
        campaign = await self._in_channel(guild_id, channel_id)
        decision = await self._open_vote(campaign)
        try:
            return await self._close(decision, CloseHow.SKIP, actor_id=actor_id)
        except AlreadyClosed:
            raise errors.VoteClosed() from None

    @errors.storage_refusals
    async def decide(
        self, *, guild_id: int, channel_id: int, choice_id: str, actor_id: int
    ) -> Closed:
        """A moderator's override: close the open vote with `choice_id`, whatever the tally."""
        campaign = await self._in_channel(guild_id, channel_id)
        decision = await self._open_vote(campaign, allow_waiting=True)
        if choice_id not in decision.choices:
            labels = self._labels(campaign.story_id, decision)
            matches = [c for c, label in labels.items() if label.casefold() == choice_id.casefold()]
            if len(matches) != 1:
                raise errors.ChoiceNotOffered(choice_id)
            choice_id = matches[0]
        try:
            outcome = await self._close(
                decision, CloseHow.DECIDE, actor_id=actor_id, forced=choice_id
            )
        except AlreadyClosed:
            raise errors.VoteClosed() from None
        assert isinstance(outcome, Closed)
        return outcome

    async def _open_vote(self, campaign: Campaign, *, allow_waiting: bool = False) -> Decision:
        decision = await self.store.open_decision_for(campaign.id)
        if decision is None:
            raise errors.NoOpenVote()
        if campaign.status is CampaignStatus.PAUSED:
            raise errors.CampaignPaused()
        if campaign.status is CampaignStatus.WAITING and not allow_waiting:
            raise errors.WaitingForModerator()
        return decision

    async def _close(
        self,
        decision: Decision,
        closer: CloseHow,
        *,
        actor_id: int | None = None,
        forced: str | None = None,
    ) -> CloseOutcome:
        campaign = await self.store.get_campaign(decision.campaign_id)
        assert campaign is not None
        loaded = await self._load(campaign)
        settings = await self.store.get_settings(campaign.guild_id)
        labels = self._labels(campaign.story_id, decision)
        for _ in range(CLOSE_ATTEMPTS):
            tally = await self.store.tally(decision.id)
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
                outcome, how = verdict.outcome, verdict.how
                assert how is not None
            try:
                return await self._apply(
                    loaded, decision, tally, labels, outcome, how, settings, actor_id
                )
            except AlreadyClosed:
                self._forget(decision.id)
                raise
            except TallyChanged:
                loaded = await self._load(campaign)
                continue
        raise RuntimeError(f"vote {decision.id}: ballots kept arriving during the close")

    async def _apply(
        self,
        loaded: _Loaded,
        decision: Decision,
        tally: dict[str, int],
        labels: dict[str, str],
        outcome: str | None,
        how: CloseHow,
        settings: GuildSettings,
        actor_id: int | None,
    ) -> Closed:
        story, campaign = loaded.story, loaded.campaign
        now = self.clock()
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
            updated = await self._pause_for(campaign, paused_reason or "the story failed.")
            raise errors.StoryUnavailable(updated.status_reason or "")
        next_row = await self.store.close_decision(
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
        self._forget(decision.id)
        self._unschedule(decision.id)
        self._schedule(next_row)
        updated = await self.store.get_campaign(campaign.id)
        assert updated is not None
        log.info(
            "%s vote %s closed (%s): %s, tally %s",
            _where(campaign),
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
        after = _Loaded(updated, story, state)
        next_vote = None
        if next_row is not None:
            next_vote = self._vote(after, next_row, settings, dict.fromkeys(next_row.choices, 0))
        epilogue = await self._epilogue(story, state, settings) if state.ended else None
        if state.ended:
            log.info("%s ended at '%s'", _where(campaign), state.scene)
        return Closed(self._info(updated), result, next_vote, epilogue, paused_reason)

    async def _extend(
        self, loaded: _Loaded, decision: Decision, settings: GuildSettings, tally: dict[str, int]
    ) -> Extended:
        deadline = self.clock() + timedelta(seconds=settings.vote_seconds)
        if not await self.store.extend_decision(decision.id, deadline):
            raise AlreadyClosed(decision.id)
        self._invalidate(decision.id)
        self._schedule(await self.store.get_decision(decision.id))
        log.info("%s vote %s extended: quorum not met", _where(loaded.campaign), decision.seq)
        return Extended(
            self._info(loaded.campaign),
            decision.id,
            deadline,
            decision.message_id,
            sum(tally.values()),
            settings.quorum,
        )

    async def _wait(
        self, loaded: _Loaded, decision: Decision, tally: dict[str, int], labels: dict[str, str]
    ) -> Waiting:
        best = max(tally.values())
        leaders = tuple(c for c in decision.choices if tally.get(c, 0) == best)
        if not await self.store.wait_for_moderator(decision.id, reason=WAITING_REASON):
            raise AlreadyClosed(decision.id)
        self._invalidate(decision.id)
        self._unschedule(decision.id)
        campaign = await self.store.get_campaign(loaded.campaign.id)
        assert campaign is not None
        log.info("%s vote %s tied; waiting for a moderator", _where(campaign), decision.seq)
        return Waiting(
            self._info(campaign), decision.id, tally, leaders, labels, decision.message_id
        )

    # -- the clock ----------------------------------------------------------------------------

    @errors.storage_refusals
    async def pause(self, *, guild_id: int, channel_id: int, actor_id: int) -> ClockChange:
        """Freeze the open vote's clock with the time that was left."""
        campaign = await self._in_channel(guild_id, channel_id)
        if campaign.status is CampaignStatus.PAUSED:
            raise errors.AlreadyPaused()
        decision = await self._open_vote(campaign)
        assert decision.deadline is not None
        now = self.clock()
        left = max(decision.deadline - now, timedelta(0))
        if not await self.store.pause_decision(decision.id, left, reason="paused by a moderator"):
            raise errors.VoteClosed()
        self._invalidate(decision.id)
        self._unschedule(decision.id)
        await self.store.add_audit(guild_id, campaign.id, actor_id, "pause", None, now)
        log.info("%s paused by %s", _where(campaign), actor_id)
        return await self._clock_change(campaign.id, decision.id)

    @errors.storage_refusals
    async def resume(self, *, guild_id: int, channel_id: int, actor_id: int) -> ClockChange:
        """Restart a paused vote with the time that was left."""
        campaign = await self._in_channel(guild_id, channel_id)
        if campaign.status is not CampaignStatus.PAUSED:
            raise errors.NotPaused()
        loaded = await self._load_for_resume(campaign)
        decision = await self.store.open_decision_for(campaign.id)
        now = self.clock()
        if decision is None:
            raise errors.NoOpenVote()
        if decision.deadline is None and decision.remaining is None:
            # A tie left to a moderator, then paused by a fault (its notice was refused):
            # it has no clock to restart, so it goes back to waiting for /campaign decide.
            if not await self.store.wait_for_moderator(decision.id, reason=WAITING_REASON):
                raise errors.VoteClosed()
        else:
            left = decision.remaining if decision.remaining is not None else timedelta(0)
            if not await self.store.resume_decision(decision.id, now + left):
                raise errors.VoteClosed()
        self._invalidate(decision.id)
        await self.store.add_audit(guild_id, campaign.id, actor_id, "resume", None, now)
        resumed = await self.store.get_decision(decision.id)
        self._schedule(resumed)
        log.info("%s resumed by %s", _where(loaded.campaign), actor_id)
        return await self._clock_change(campaign.id, decision.id)

    async def _load_for_resume(self, campaign: Campaign) -> _Loaded:
        """A paused campaign resumes only if its story fits again."""
        story = self.stories.get(campaign.story_id)
        if story is None:
            raise errors.StoryUnavailable(f"its story '{campaign.story_id}' is not loaded.")
        try:
            state = StoryState.from_json(json.loads(campaign.state_json))
            story.check_state(state)
        except (StoryRuntimeError, ValueError) as exc:
            raise errors.StoryUnavailable(
                f"the story no longer fits this campaign ({exc})."
            ) from exc
        return _Loaded(campaign, story, state)

    async def _clock_change(self, campaign_id: int, decision_id: int) -> ClockChange:
        campaign = await self.store.get_campaign(campaign_id)
        decision = await self.store.get_decision(decision_id)
        assert campaign is not None and decision is not None
        loaded = await self._load_for_resume(campaign)
        settings = await self.store.get_settings(campaign.guild_id)
        tally = await self.tally(decision_id)
        waiting = campaign.status is CampaignStatus.WAITING
        vote = self._vote(loaded, decision, settings, tally, waiting=waiting)
        return ClockChange(self._info(campaign), vote)

    async def pause_campaign(self, campaign_id: int, reason: str) -> CampaignInfo | None:
        """Pause a campaign the bot cannot serve (its message or channel is gone, a missing
        permission): the vote keeps its time for when a moderator resumes."""
        campaign = await self.store.get_campaign(campaign_id)
        if campaign is None or campaign.status is CampaignStatus.ENDED:
            return None
        if campaign.status is CampaignStatus.PAUSED:
            return self._info(campaign)
        return self._info(await self._pause_for(campaign, reason))

    @errors.storage_refusals
    async def end(self, *, guild_id: int, channel_id: int, actor_id: int) -> EndedCampaign:
        """End the channel's campaign; it stays readable in list and recap."""
        campaign = await self._in_channel(guild_id, channel_id)
        decision = await self.store.open_decision_for(campaign.id)
        now = self.clock()
        updated = await self.store.set_campaign_status(
            campaign.id, CampaignStatus.ENDED, reason="ended by a moderator", ended_at=now
        )
        if decision is not None:
            self._forget(decision.id)
            self._unschedule(decision.id)
        await self.store.add_audit(guild_id, campaign.id, actor_id, "end", None, now)
        log.info("%s ended by %s", _where(campaign), actor_id)
        decisions = [d for d in await self.store.decisions_of(campaign.id) if d.outcome]
        return EndedCampaign(
            self._info(updated),
            decision.message_id if decision is not None else None,
            len(decisions),
        )

    # -- reading ------------------------------------------------------------------------------

    async def status(self, *, guild_id: int, channel_id: int) -> Status:
        """The channel's campaign: scene, state and the open vote with its tally."""
        campaign = await self._in_channel(guild_id, channel_id)
        loaded = await self._load_for_resume(campaign)
        decision = await self.store.open_decision_for(campaign.id)
        settings = await self.store.get_settings(guild_id)
        vote = None
        if decision is not None:
            tally = await self.tally(decision.id)
            waiting = campaign.status is CampaignStatus.WAITING
            vote = self._vote(loaded, decision, settings, tally, waiting=waiting)
        return Status(
            self._info(campaign), loaded.story.view(loaded.state), vote, len(loaded.state.path)
        )

    async def recap(self, *, guild_id: int, channel_id: int) -> Recap:
        """The story so far in this channel (the latest campaign, even if it ended)."""
        campaign = await self.store.active_campaign_in_channel(channel_id)
        if campaign is None:
            latest = [
                c for c in await self.store.list_campaigns(guild_id) if c.channel_id == channel_id
            ]
            if not latest:
                raise errors.NoCampaign()
            campaign = latest[0]
        if campaign.guild_id != guild_id:
            raise errors.NoCampaign()
        story = self.stories.get(campaign.story_id)
        state = StoryState.from_json(json.loads(campaign.state_json))
        crews: tuple[CrewComparison | None, ...] = (None,) * len(state.path)
        if story is not None:
            settings = await self.store.get_settings(guild_id)
            crews = await compare_with_crews(self.store, story, settings, state.path)
        entries = []
        for step, compared in zip(state.path, crews, strict=True):
            scene = story.scenes.get(step["scene"]) if story is not None else None
            title = scene.source.title if scene is not None else step["scene"]
            labels = {c.id: c.label for c in scene.choices} if scene is not None else {}
            choice = step.get("choice")
            entries.append(
                RecapEntry(
                    scene_title=title,
                    choice_label=labels.get(choice, choice) if choice else None,
                    how=step.get("how", ""),
                    tally=dict(step.get("counts", {})),
                    labels=labels,
                    roll=step.get("roll"),
                    crews=compared,
                )
            )
        place = None
        if story is not None:
            place = story.scenes.get(state.scene) or story.endings.get(state.scene)
        current = place.source.title if place is not None else state.scene
        return Recap(self._info(campaign), tuple(entries), current, state.ended)

    async def campaigns(self, guild_id: int) -> list[CampaignInfo]:
        """This server's campaigns, newest first."""
        return [self._info(c) for c in await self.store.list_campaigns(guild_id)]

    async def open_choices(self, *, guild_id: int, channel_id: int) -> dict[str, str]:
        """The open vote's choices (id to label), for /campaign decide's autocomplete."""
        campaign = await self.store.active_campaign_in_channel(channel_id)
        if campaign is None or campaign.guild_id != guild_id:
            return {}
        decision = await self.store.open_decision_for(campaign.id)
        return self._labels(campaign.story_id, decision) if decision is not None else {}

    async def settings(self, guild_id: int) -> GuildSettings:
        """This server's voting rules."""
        return await self.store.get_settings(guild_id)

    @errors.storage_refusals
    async def update_settings(
        self, *, guild_id: int, actor_id: int, changes: Mapping[str, object]
    ) -> GuildSettings:
        """Change some voting rules; every value is checked first and a bad one changes none."""
        checked = check_settings(changes)
        if not checked:
            return await self.store.get_settings(guild_id)
        updated = await self.store.update_settings(guild_id, **checked)
        self._invalidate_guild(guild_id)
        detail = ", ".join(f"{k}={v}" for k, v in checked.items())
        await self.store.add_audit(guild_id, None, actor_id, "settings", detail, self.clock())
        log.info("guild %s settings changed by %s: %s", guild_id, actor_id, detail)
        return updated

    async def vote(self, decision_id: int) -> tuple[CampaignInfo, OpenVote] | None:
        """An open vote as it stands (for refreshing its message), or None once closed."""
        decision = await self.store.get_decision(decision_id)
        if decision is None or not decision.is_open:
            return None
        campaign = await self.store.get_campaign(decision.campaign_id)
        if campaign is None or campaign.status is CampaignStatus.ENDED:
            return None
        loaded = await self._load_for_resume(campaign)
        settings = await self.store.get_settings(campaign.guild_id)
        tally = await self.tally(decision_id)
        waiting = campaign.status is CampaignStatus.WAITING
        vote = self._vote(loaded, decision, settings, tally, waiting=waiting)
        return self._info(campaign), vote

    async def set_message(self, decision_id: int, message_id: int, *, late: bool = False) -> None:
        """Remember which message carries a vote's buttons. A vote whose scene went out `late`
        (Discord refused it for a while, or the bot restarted before posting it) gets a whole
        vote's time from now, so nobody loses their say to an outage."""
        await self.store.set_message_id(decision_id, message_id)
        if not late:
            return
        decision = await self.store.get_decision(decision_id)
        if decision is None or not decision.is_open or decision.deadline is None:
            return
        campaign = await self.store.get_campaign(decision.campaign_id)
        if campaign is None:
            return
        settings = await self.store.get_settings(campaign.guild_id)
        deadline = self.clock() + timedelta(seconds=settings.vote_seconds)
        if deadline > decision.deadline and await self.store.move_deadline(decision_id, deadline):
            self._invalidate(decision_id)
            self._schedule(await self.store.get_decision(decision_id))
            log.info(
                "%s vote %s was posted late; it now closes at %s",
                _where(campaign),
                decision.seq,
                deadline.isoformat(),
            )

    async def close_overdue_votes(self) -> Backlog:
        """At start, before `resume_open_votes`: close the votes of this process's shards
        whose deadline passed while the bot was down, in batches (see backlog.py). Each
        close is committed unshown; the caller shows `closed` (oldest deadline first).
        The votes that need more than a plain close stay open and overdue, for
        `resume_open_votes` to schedule into the one-by-one close; it also schedules the
        votes these closes opened."""
        now = self.clock()
        overdue = await self.store.open_deadlines(self.shards, due_by=now)
        done = await backlog.close_overdue(
            self.store, self.stories, overdue, now, hold_unposted=self.hold_unposted
        )
        for decision_id in done.closed:
            self._forget(decision_id)
            self._unschedule(decision_id)
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
        deadlines = await self.store.open_deadlines(self.shards)
        now = self.clock()
        if self.scheduler is not None:
            self.scheduler.load(deadlines)
        overdue = [d.decision_id for d in deadlines if d.deadline <= now]
        return ResumeReport(len(deadlines), overdue)

    # -- closes not shown yet ---------------------------------------------------------------

    async def close_shown(self, decision_id: int) -> None:
        """The channel shows this close now (its message marked, what follows posted)."""
        await self.store.mark_close_shown(decision_id)

    async def unshown_closes(self, closed_before: datetime | None) -> list[int]:
        """This process's closes that were committed before `closed_before` and never
        shown (a failure after the commit), oldest first."""
        return await self.store.unshown_closes(self.shards, closed_before=closed_before)

    async def unshown_close(self, decision_id: int) -> Closed | None:
        """An unshown close rebuilt from the store, to show it now; None once it is shown
        (or when its story is not loaded: it waits for it)."""
        view = await self.store.close_view(decision_id)
        decision = await self.store.get_decision(decision_id)
        if view is None or decision is None or decision.how is None:
            return None
        campaign = await self.store.get_campaign(decision.campaign_id)
        story = self.stories.get(campaign.story_id) if campaign is not None else None
        if campaign is None or story is None:
            return None
        state = StoryState.from_json(json.loads(campaign.state_json))
        settings = await self.store.get_settings(campaign.guild_id)
        tally = await self.store.tally(decision_id)
        labels = self._labels(campaign.story_id, decision)
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
        later = [d for d in await self.store.decisions_of(campaign.id) if d.seq > decision.seq]
        next_vote = None
        if later and later[0].is_open and campaign.status is not CampaignStatus.ENDED:
            waiting = campaign.status is CampaignStatus.WAITING
            following = later[0]
            next_vote = self._vote(
                _Loaded(campaign, story, state),
                following,
                settings,
                await self.tally(following.id),
                waiting=waiting,
            )
        epilogue = None
        if state.ended and not later:
            epilogue = await self._epilogue(story, state, settings)
        return Closed(self._info(campaign), result, next_vote, epilogue, paused_reason)


def _margin(counts: Mapping[str, int]) -> int | None:
    """The winner's lead over the runner-up, when at least two ballots were cast."""
    if sum(counts.values()) < 2:
        return None
    ranked = [*sorted(counts.values(), reverse=True), 0]
    return ranked[0] - ranked[1]


def _where(campaign: Campaign) -> str:
    """How a log line names a campaign: with its guild and channel, for grep."""
    return f"campaign {campaign.id} (guild {campaign.guild_id}, channel {campaign.channel_id})"
