"""Casting ballots: checked against the cached check, saved by the ballot box's group commit."""

from __future__ import annotations

from collections.abc import Collection

from bot.domain import CampaignStatus, NewBallot

from . import errors
from .ballots import WriteFailed
from .context import Context
from .results import BallotCast


class Voting:
    """Members' ballots."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

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
        ctx = self._ctx
        check = await ctx.checks.get(decision_id)
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
        now = ctx.clock()
        if check.deadline is not None and now >= check.deadline:
            raise errors.VoteClosed()
        if check.voter_role_id is not None and check.voter_role_id not in role_ids:
            raise errors.NotAVoter()
        choice_id = check.choices[choice_index]
        try:
            counted = await ctx.ballots.cast(
                NewBallot(decision_id, member_id, choice_id, now), check.choices
            )
        except WriteFailed:
            raise errors.BallotNotSaved() from None
        if not counted.accepted:
            ctx.checks.forget(decision_id)
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
