"""The cached vote checks a click needs; forget() drops check and counts together, never one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain import CampaignStatus
from bot.store import Store
from bot.story import Story

from . import errors
from .ballots import BallotBox
from .records import choice_labels


@dataclass(frozen=True, slots=True)
class VoteCheck:
    """What a click on one vote is checked against, kept while the vote is open so a click
    reads no row, decodes no state and loads no story."""

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


class VoteChecks:
    """The checks of the open votes, loaded once however many clicks wait for one."""

    def __init__(
        self, store: Store, ballots: BallotBox, stories: Callable[[], Mapping[str, Story]]
    ) -> None:
        self._store = store
        self._ballots = ballots
        self._stories = stories  # the stories loaded now (they may be swapped for edited ones)
        self._checks: dict[int, VoteCheck] = {}
        self._loading: dict[int, asyncio.Task[VoteCheck]] = {}
        self._generation = 0  # bumped by every forget: a load started before stays out

    async def get(self, decision_id: int) -> VoteCheck:
        """The cached check of a vote, loading it (once, however many clicks wait) if needed."""
        check = self._checks.get(decision_id)
        if check is not None and check.story is self._stories().get(check.story_id):
            return check
        task = self._loading.get(decision_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(
                self._load(decision_id), name=f"vote-check-{decision_id}"
            )
            self._loading[decision_id] = task
            task.add_done_callback(self._loaded(decision_id))
        return await asyncio.shield(task)

    def forget(self, decision_id: int) -> None:
        """Something about the vote changed (closed, paused, resumed, extended, waiting,
        ended, its deadline moved): drop its check and its live counts. Call after the
        change committed; the next click or count reads them again from the store."""
        self._generation += 1
        self._checks.pop(decision_id, None)
        self._loading.pop(decision_id, None)
        self._ballots.forget(decision_id)

    def forget_guild(self, guild_id: int) -> None:
        """A guild's voting rules changed: drop the checks of all its votes (their counts do
        not depend on the rules and stay)."""
        self._generation += 1
        for decision_id in [d for d, c in self._checks.items() if c.guild_id == guild_id]:
            del self._checks[decision_id]
        self._loading.clear()

    def _loaded(self, decision_id: int) -> Callable[[asyncio.Task[VoteCheck]], None]:
        def done(task: asyncio.Task[VoteCheck]) -> None:
            if self._loading.get(decision_id) is task:
                del self._loading[decision_id]
            if not task.cancelled():
                task.exception()  # each waiter got it; nothing left unretrieved

        return done

    async def _load(self, decision_id: int) -> VoteCheck:
        generation = self._generation
        decision = await self._store.get_decision(decision_id)
        if decision is None:
            raise errors.UnknownVote()
        campaign = await self._store.get_campaign(decision.campaign_id)
        if campaign is None:
            raise errors.UnknownVote()
        settings = await self._store.get_settings(campaign.guild_id)
        stories = self._stories()
        check = VoteCheck(
            campaign_id=campaign.id,
            guild_id=campaign.guild_id,
            story_id=campaign.story_id,
            story=stories.get(campaign.story_id),
            choices=decision.choices,
            labels=choice_labels(stories, campaign.story_id, decision),
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
