"""Pausing a campaign the bot cannot carry on: an explicit step, apart from reading."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.domain import Campaign, CampaignStatus

from . import errors
from .context import USE_CASE_LOG, Context
from .loader import Unplayable, load
from .records import Loaded, where

log = logging.getLogger(USE_CASE_LOG)

#: The least time a vote keeps when a fault (not a moderator) pauses its campaign.
FAULT_PAUSE_FLOOR_S = 60


async def pause_for_fault(ctx: Context, campaign: Campaign, reason: str) -> Campaign:
    """Stop a campaign that cannot go on, keep its vote's time, and say why. A fault often
    shows at the deadline itself; the vote then keeps a minute (or its whole time, if
    shorter), so that resuming does not close it before anyone can look."""
    decision = await ctx.store.open_decision_for(campaign.id)
    if decision is not None and decision.deadline is not None:
        settings = await ctx.store.get_settings(campaign.guild_id)
        floor = timedelta(seconds=min(settings.vote_seconds, FAULT_PAUSE_FLOOR_S))
        left = max(decision.deadline - ctx.clock(), floor)
        await ctx.store.pause_decision(decision.id, left, reason=reason)
        ctx.unschedule(decision.id)
    updated = await ctx.store.set_campaign_status(campaign.id, CampaignStatus.PAUSED, reason=reason)
    if decision is not None:
        ctx.checks.forget(decision.id)
    log.warning("%s paused: %s", where(campaign), reason)
    return updated


async def load_or_pause(ctx: Context, campaign: Campaign) -> Loaded:
    """The campaign's story and state for playing a move; if they no longer fit (the story
    was edited and the current scene is gone, say), pause the campaign (unless it ended)
    and refuse with StoryUnavailable giving the pause's reason."""
    try:
        return load(ctx.stories, campaign)
    except Unplayable as unplayable:
        if campaign.status is not CampaignStatus.ENDED:
            await pause_for_fault(ctx, campaign, unplayable.fault)
        raise errors.StoryUnavailable(unplayable.fault) from unplayable
