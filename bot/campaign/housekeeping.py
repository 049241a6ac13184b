"""Keeping a server's campaigns whole around the edges: votes whose message never went out,
servers that removed the bot (kept for a grace period, then deleted), and what a server has
discovered of a story."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.store import Store
from bot.story import Story, StoryState
from bot.story.graph import Journey

from . import errors
from .clock import Clock
from .results import CampaignInfo, OpenVote
from .service import CampaignService

log = logging.getLogger(__name__)


class Housekeeping:
    """Start-up repairs, guild departures and discovery counts."""

    def __init__(
        self, store: Store, stories: Mapping[str, Story], clock: Clock, service: CampaignService
    ) -> None:
        self.store = store
        self.stories = stories
        self.clock = clock
        self.service = service

    async def unposted_votes(
        self, opened_before: datetime | None = None
    ) -> list[tuple[CampaignInfo, OpenVote]]:
        """Open votes of this process's shards whose scene message was never posted (opened
        before `opened_before`, when given), oldest first, ready to post now."""
        found = []
        shards = self.service.shards
        for decision_id in await self.store.unposted_votes(shards, opened_before=opened_before):
            current = await self.service.vote(decision_id)
            if current is not None:
                found.append(current)
        return found

    async def guild_left(self, guild_id: int) -> None:
        """The bot was removed from a server: its data waits out the grace period."""
        await self.store.guild_departed(guild_id, self.clock())
        log.info("guild %s removed the bot; its data is kept for the grace period", guild_id)

    async def guild_joined(self, guild_id: int) -> None:
        """The bot is in a server (again): nothing of it is to be deleted."""
        if await self.store.guild_returned(guild_id):
            log.info("guild %s re-added the bot within the grace period; data kept", guild_id)

    async def guilds_present(self, guild_ids: list[int]) -> None:
        """The bot is in these servers now (e.g. re-added while it was down, which Discord
        reports in the next READY rather than as a join): keep their data."""
        for guild_id in await self.store.guilds_returned(guild_ids):
            log.info("guild %s has the bot again; its data is kept", guild_id)

    async def purge(self, grace: timedelta) -> list[int]:
        """Delete the data of servers that left longer than `grace` ago."""
        gone = await self.store.purge_departed(self.clock() - grace)
        for guild_id in gone:
            log.info("guild %s: data deleted after the grace period", guild_id)
        return gone

    async def journey(self, guild_id: int, channel_id: int) -> tuple[CampaignInfo, Story, Journey]:
        """The channel's campaign (running, or the latest one) with its way through the story,
        for its map."""
        campaign = await self.store.active_campaign_in_channel(channel_id)
        if campaign is None:
            here = [
                c for c in await self.store.list_campaigns(guild_id) if c.channel_id == channel_id
            ]
            campaign = here[0] if here else None
        if campaign is None or campaign.guild_id != guild_id:
            raise errors.NoCampaign()
        story = self.stories.get(campaign.story_id)
        if story is None:
            raise errors.StoryUnavailable(f"its story '{campaign.story_id}' is not loaded.")
        state = StoryState.from_json(json.loads(campaign.state_json))
        steps = tuple((step["scene"], step.get("choice"), step["to"]) for step in state.path)
        seen = frozenset(state.visits) | {story.start}
        info = await self.service.campaigns(guild_id)
        current = next(c for c in info if c.id == campaign.id)
        return current, story, Journey(seen, steps)

    async def endings_found(self, guild_id: int, story_id: str) -> tuple[int, int]:
        """How many of a story's endings this server's campaigns have reached, of how many."""
        story = self.stories.get(story_id)
        if story is None:
            return 0, 0
        reached = await self.store.ended_scenes(guild_id, story_id)
        return len(reached & set(story.endings)), len(story.endings)
