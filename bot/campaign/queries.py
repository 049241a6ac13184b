"""The read views (status, recap, lists, a vote as it stands); they never change a campaign."""

from __future__ import annotations

import json

from bot.domain import CampaignStatus, Decision
from bot.story import StoryState

from . import errors
from .context import Context
from .crews import compare_with_crews
from .loader import load
from .records import Loaded, choice_labels, open_vote
from .results import (
    CampaignInfo,
    ClockChange,
    CrewComparison,
    OpenVote,
    Recap,
    RecapEntry,
    Status,
)


class Queries:
    """What the adapters show about campaigns and votes."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def status(self, *, guild_id: int, channel_id: int) -> Status:
        """The channel's campaign: scene, state and the open vote with its tally."""
        ctx = self._ctx
        campaign = await ctx.in_channel(guild_id, channel_id)
        loaded = load(ctx.stories, campaign)
        decision = await ctx.store.open_decision_for(campaign.id)
        vote = None
        if decision is not None:
            vote = await self.current_vote(loaded, decision)
        return Status(
            ctx.info(campaign), loaded.story.view(loaded.state), vote, len(loaded.state.path)
        )

    async def recap(self, *, guild_id: int, channel_id: int) -> Recap:
        """The story so far in this channel (the latest campaign, even if it ended)."""
        ctx = self._ctx
        campaign = await ctx.store.active_campaign_in_channel(channel_id)
        if campaign is None:
            latest = [
                c for c in await ctx.store.list_campaigns(guild_id) if c.channel_id == channel_id
            ]
            if not latest:
                raise errors.NoCampaign()
            campaign = latest[0]
        if campaign.guild_id != guild_id:
            raise errors.NoCampaign()
        story = ctx.stories.get(campaign.story_id)
        state = StoryState.from_json(json.loads(campaign.state_json))
        crews: tuple[CrewComparison | None, ...] = (None,) * len(state.path)
        if story is not None:
            settings = await ctx.store.get_settings(guild_id)
            crews = await compare_with_crews(ctx.store, story, settings, state.path)
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
        return Recap(ctx.info(campaign), tuple(entries), current, state.ended)

    async def campaigns(self, guild_id: int) -> list[CampaignInfo]:
        """This server's campaigns, newest first."""
        return [self._ctx.info(c) for c in await self._ctx.store.list_campaigns(guild_id)]

    async def open_choices(self, *, guild_id: int, channel_id: int) -> dict[str, str]:
        """The open vote's choices (id to label), for /campaign decide's autocomplete."""
        ctx = self._ctx
        campaign = await ctx.store.active_campaign_in_channel(channel_id)
        if campaign is None or campaign.guild_id != guild_id:
            return {}
        decision = await ctx.store.open_decision_for(campaign.id)
        if decision is None:
            return {}
        return choice_labels(ctx.stories, campaign.story_id, decision)

    async def vote(self, decision_id: int) -> tuple[CampaignInfo, OpenVote] | None:
        """An open vote as it stands (for refreshing its message), or None once closed."""
        ctx = self._ctx
        decision = await ctx.store.get_decision(decision_id)
        if decision is None or not decision.is_open:
            return None
        campaign = await ctx.store.get_campaign(decision.campaign_id)
        if campaign is None or campaign.status is CampaignStatus.ENDED:
            return None
        loaded = load(ctx.stories, campaign)
        return ctx.info(campaign), await self.current_vote(loaded, decision)

    async def clock_change(self, campaign_id: int, decision_id: int) -> ClockChange:
        """A vote whose clock was just stopped or restarted, read back as it is now."""
        ctx = self._ctx
        campaign = await ctx.store.get_campaign(campaign_id)
        decision = await ctx.store.get_decision(decision_id)
        assert campaign is not None and decision is not None
        loaded = load(ctx.stories, campaign)
        return ClockChange(ctx.info(campaign), await self.current_vote(loaded, decision))

    async def current_vote(self, loaded: Loaded, decision: Decision) -> OpenVote:
        """An open vote of a loaded campaign, with its tally as this process knows it."""
        ctx = self._ctx
        campaign = loaded.campaign
        settings = await ctx.store.get_settings(campaign.guild_id)
        tally = await ctx.tally(decision.id)
        waiting = campaign.status is CampaignStatus.WAITING
        return open_vote(loaded, decision, settings, tally, waiting=waiting)
