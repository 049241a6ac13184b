"""The votes whose deadline passed while the bot was down, closed in batches at start.

Closed one at a time, each overdue vote costs some fifteen round trips to the database
(3,000 took 5.9 s). Here a batch is read in three queries (the votes with their campaigns,
their guilds' rules, their tallies), settled by the same rules and played by the same story
code as a one-by-one close (rules.settle, moves.advance), and committed in one transaction
(`Store.close_decisions`), each vote still closed exactly once. Every close is committed
unshown, with its turn, and the Discord layer shows them afterwards, oldest deadline first.

What does not fit a plain close is left to the one-by-one path, which already handles it:
a quorum extension, a tie left to a moderator, a story that is missing or refuses the
move, a vote whose scene was never posted (it gets its time once posted), and a vote whose
tally changed between the count and the commit.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime

from bot.domain import (
    Campaign,
    CampaignStatus,
    CloseHow,
    Decision,
    GuildSettings,
    NewClose,
    OpenDeadline,
)
from bot.store import Store
from bot.story import Story, StoryRuntimeError, StoryState

from . import turns
from .moves import advance
from .rules import Next, settle

log = logging.getLogger(__name__)

#: Votes closed in one transaction: a few round trips a batch, whatever its size, and the
#: connection is free again between batches.
BATCH_SIZE = 1000


@dataclass
class Backlog:
    """What the batch close did."""

    closed_at: datetime  # when (every close of the backlog has this time)
    closed: list[int] = field(default_factory=list)  # oldest deadline first, to be shown
    opened: list[Decision] = field(default_factory=list)  # the votes those closes opened
    one_by_one: list[int] = field(default_factory=list)  # left to the one-by-one close
    batches: int = 0


async def close_overdue(
    store: Store,
    stories: Mapping[str, Story],
    overdue: Sequence[OpenDeadline],
    now: datetime,
    *,
    hold_unposted: bool,
    batch_size: int = BATCH_SIZE,
) -> Backlog:
    """Close the `overdue` votes (soonest deadline first) in batches; the ones that need
    more than a plain close are listed in `one_by_one`, untouched."""
    done = Backlog(now)
    for start in range(0, len(overdue), batch_size):
        batch = [item.decision_id for item in overdue[start : start + batch_size]]
        votes = await store.votes_with_campaigns(batch)
        rules = await store.settings_of({campaign.guild_id for _, campaign in votes})
        tallies = await store.tallies([decision for decision, _ in votes])
        by_id = {decision.id: (decision, campaign) for decision, campaign in votes}
        closes = []
        for decision_id in batch:
            if decision_id not in by_id:
                continue  # closed meanwhile (another process): nothing left to do
            decision, campaign = by_id[decision_id]
            close = plan_close(
                stories.get(campaign.story_id),
                campaign,
                decision,
                rules[campaign.guild_id],
                tallies[decision_id],
                now,
                hold_unposted=hold_unposted,
            )
            if close is None:
                done.one_by_one.append(decision_id)
            else:
                closes.append(close)
        committed = await store.close_decisions(closes)
        done.batches += 1
        for close in closes:
            if close.decision_id not in committed:
                done.one_by_one.append(close.decision_id)  # its tally moved: recounted there
                continue
            done.closed.append(close.decision_id)
            following = committed[close.decision_id]
            if following is not None:
                done.opened.append(following)
        log.info(
            "overdue votes: %d closed in one batch, %d left to the one-by-one close",
            len(committed),
            len(batch) - len(committed),
        )
        await asyncio.sleep(0)  # let anything else waiting on the loop run between batches
    return done


def plan_close(
    story: Story | None,
    campaign: Campaign,
    decision: Decision,
    settings: GuildSettings,
    tally: dict[str, int],
    now: datetime,
    *,
    hold_unposted: bool,
) -> NewClose | None:
    """The timer's close of one overdue vote, or None when it needs the one-by-one path."""
    if campaign.status is not CampaignStatus.RUNNING or story is None:
        return None
    if decision.deadline is None or decision.deadline > now:
        return None
    if hold_unposted and decision.message_id is None:
        return None
    scene = story.scenes.get(decision.scene_id)
    if scene is None:
        return None
    try:
        state = StoryState.from_json(json.loads(campaign.state_json))
        story.check_state(state)
    except (StoryRuntimeError, ValueError):
        return None  # the one-by-one close pauses the campaign and says why
    verdict = settle(
        tally,
        decision.choices,
        closer=CloseHow.TIMER,
        tie_break=settings.tie_break,
        quorum=settings.quorum,
        extended=decision.extended,
        has_no_decision=scene.no_decision is not None,
        tie_seed=f"{campaign.seed}:{decision.seq}:tie",
    )
    if verdict.next is not Next.CLOSE or verdict.how is None:
        return None  # an extension or a wait for a moderator
    move = advance(
        story,
        state,
        decision.scene_id,
        verdict.outcome,
        verdict.how,
        tally,
        vote_seconds=settings.vote_seconds,
        now=now,
    )
    if move.turn is None:
        return None  # the story refused: the one-by-one close pauses the campaign
    return NewClose(
        decision_id=decision.id,
        closed_at=now,
        outcome=verdict.outcome,
        how=verdict.how,
        campaign_state_json=state_json(move.state),
        campaign_status=move.status,
        status_reason=move.paused_reason,
        ended_at=now if move.status is CampaignStatus.ENDED else None,
        next_decision=move.next_decision,
        expect_tally=tally,
        view_json=turns.view_json(move.turn, move.extra, move.paused_reason),
    )


def state_json(state: StoryState) -> str:
    """`json.dumps(state.to_json())`, without `dataclasses.asdict`'s deep copy of every
    field (most of a batch close's time): a state holds only JSON values, which the
    encoder reads in place. Tested to give the same text."""
    return json.dumps({f.name: getattr(state, f.name) for f in fields(state)})
