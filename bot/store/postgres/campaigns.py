"""Campaigns on PostgreSQL: starting one with its first vote, reading them, moving their status.

SQLite serialises writers on the file; PostgreSQL lets transactions run side by side, so the
checks that must see every other start (one live campaign per channel, at most `live_limit`
per guild) run under a per-guild advisory lock, and the partial unique index stays the last
word for the channel.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from bot.domain import Campaign, CampaignStatus, Decision, NewDecision
from bot.store.checks import check_ending
from bot.store.errors import CampaignEnded, ChannelBusy, GuildFull, NotFound
from bot.store.postgres import rows
from bot.store.postgres.base import PostgresBase
from bot.store.times import to_us

GET_CAMPAIGN = f"SELECT {rows.CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1"
ACTIVE_CAMPAIGN_IN_CHANNEL = (
    f"SELECT {rows.CAMPAIGN_COLUMNS} FROM campaigns WHERE channel_id = $1 AND status <> 'ended'"
)
GET_DECISION = f"SELECT {rows.DECISION_COLUMNS} FROM decisions WHERE id = $1"
INSERT_DECISION = (
    "INSERT INTO decisions (campaign_id, seq, scene_id, choices, opened_at, deadline, "
    f"remaining_us) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {rows.DECISION_COLUMNS}"
)
# One guild's starts, one at a time: the key is a hash of the guild id (a collision only
# makes two guilds wait for each other).
GUILD_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('command-deck guild ' || $1, 0))"


async def insert_decision(
    db: asyncpg.Connection, campaign_id: int, seq: int, new: NewDecision
) -> Decision:
    """Open a vote inside the caller's transaction and return it as stored."""
    row = await db.fetchrow(INSERT_DECISION, *rows.decision_values(campaign_id, seq, new))
    assert row is not None
    return rows.decision(row)


class CampaignRows(PostgresBase):
    """Starting, reading and moving campaigns."""

    async def create_campaign(
        self,
        guild_id: int,
        channel_id: int,
        story_id: str,
        story_hash: str,
        state_json: str,
        seed: int,
        started_at: datetime,
        first_decision: NewDecision | None,
        *,
        live_limit: int | None = None,
    ) -> tuple[Campaign, Decision | None]:
        """Start a running campaign and open its first vote, together or not at all.

        ChannelBusy when the channel has a campaign that has not ended, GuildFull when the
        guild already has `live_limit` of them (counted under the guild's lock, so two
        starts cannot both take the last place). `state_json` must be valid JSON.
        """
        try:
            async with self._write() as db:
                await db.execute(GUILD_LOCK, str(guild_id))
                busy = await db.fetchval(
                    "SELECT id FROM campaigns WHERE channel_id = $1 AND status <> 'ended'",
                    channel_id,
                )
                if busy is not None:
                    raise ChannelBusy(channel_id, int(busy))
                if live_limit is not None:
                    live = await db.fetchval(
                        "SELECT count(*) FROM campaigns WHERE guild_id = $1 AND status <> 'ended'",
                        guild_id,
                    )
                    if live >= live_limit:
                        raise GuildFull(guild_id, live_limit)
                row = await db.fetchrow(
                    "INSERT INTO campaigns (guild_id, channel_id, story_id, story_hash, status, "
                    "state_json, seed, started_at) VALUES ($1, $2, $3, $4, 'running', $5, $6, $7) "
                    f"RETURNING {rows.CAMPAIGN_COLUMNS}",
                    guild_id,
                    channel_id,
                    story_id,
                    story_hash,
                    state_json,
                    seed,
                    to_us(started_at),
                )
                assert row is not None
                decision = None
                if first_decision is not None:
                    decision = await insert_decision(db, row["id"], 1, first_decision)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name != "campaigns_live_in_channel":
                raise
            live_campaign = await self.active_campaign_in_channel(channel_id)
            raise ChannelBusy(
                channel_id, -1 if live_campaign is None else live_campaign.id
            ) from exc
        return rows.campaign(row), decision

    async def get_campaign(self, campaign_id: int) -> Campaign | None:
        """A campaign by id, or None."""
        async with self._connection() as db:
            row = await db.fetchrow(GET_CAMPAIGN, campaign_id)
        return None if row is None else rows.campaign(row)

    async def active_campaign_in_channel(self, channel_id: int) -> Campaign | None:
        """The channel's campaign that has not ended (running, paused or waiting), or None."""
        async with self._connection() as db:
            row = await db.fetchrow(ACTIVE_CAMPAIGN_IN_CHANNEL, channel_id)
        return None if row is None else rows.campaign(row)

    async def list_campaigns(self, guild_id: int) -> list[Campaign]:
        """The guild's campaigns, newest first."""
        async with self._connection() as db:
            found = await db.fetch(
                f"SELECT {rows.CAMPAIGN_COLUMNS} FROM campaigns WHERE guild_id = $1 "
                "ORDER BY started_at DESC, id DESC",
                guild_id,
            )
        return [rows.campaign(r) for r in found]

    async def set_campaign_status(
        self,
        campaign_id: int,
        status: CampaignStatus | str,
        reason: str | None = None,
        ended_at: datetime | None = None,
    ) -> Campaign:
        """Move a campaign to `status` with an optional reason (why it is paused).

        Ending closes its open vote, if any, with how='ended' in the same transaction. An
        ended campaign cannot change again (CampaignEnded). Pausing or resuming a campaign
        with an open vote is `pause_decision` / `resume_decision`'s job.
        """
        new_status = CampaignStatus(status)
        check_ending(new_status, ended_at)
        ended_us = rows.optional_us(ended_at)
        async with self._write() as db:
            current = await db.fetchval(
                "SELECT status FROM campaigns WHERE id = $1 FOR UPDATE", campaign_id
            )
            if current is None:
                raise NotFound(f"no campaign {campaign_id}")
            if current == CampaignStatus.ENDED:
                raise CampaignEnded(f"campaign {campaign_id} has ended")
            if new_status is CampaignStatus.ENDED:
                await db.execute(
                    "UPDATE decisions SET closed_at = $1, how = 'ended', remaining_us = NULL "
                    "WHERE campaign_id = $2 AND closed_at IS NULL",
                    ended_us,
                    campaign_id,
                )
            row = await db.fetchrow(
                "UPDATE campaigns SET status = $1, status_reason = $2, ended_at = $3 "
                f"WHERE id = $4 RETURNING {rows.CAMPAIGN_COLUMNS}",
                new_status.value,
                reason,
                ended_us,
                campaign_id,
            )
        assert row is not None
        return rows.campaign(row)

    async def ended_scenes(self, guild_id: int, story_id: str) -> set[str]:
        """Where the guild's ended campaigns of a story stopped (their endings, for
        "endings discovered in this server")."""
        async with self._connection() as db:
            found = await db.fetch(
                "SELECT DISTINCT state_json ->> 'scene' AS scene FROM campaigns "
                "WHERE guild_id = $1 AND story_id = $2 AND status = 'ended'",
                guild_id,
                story_id,
            )
        return {str(r["scene"]) for r in found if r["scene"] is not None}
