"""The campaigns table: starting one (with its first vote), reading them, moving their status."""

from __future__ import annotations

from datetime import datetime

from bot.domain import (
    Campaign,
    CampaignStatus,
    Decision,
    NewDecision,
)
from bot.store.checks import check_ending
from bot.store.errors import (
    CampaignEnded,
    ChannelBusy,
    GuildFull,
    NotFound,
)
from bot.store.rows import CAMPAIGN_COLUMNS
from bot.store.sqlite.base import SqliteBase
from bot.store.sqlite.decisions import insert_decision
from bot.store.sqlite.mappers import (
    campaign_from_row,
    optional_us,
)
from bot.store.sqlite.statements import (
    ACTIVE_CAMPAIGN_IN_CHANNEL,
    GET_CAMPAIGN,
)
from bot.store.times import to_us


class CampaignTables(SqliteBase):
    """`campaigns` (part of SqliteStore)."""

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

        Raises ChannelBusy when the channel has a campaign that has not ended (the partial
        unique index enforces it even against another process), GuildFull when the guild
        already has `live_limit` campaigns that have not ended (counted inside the same
        IMMEDIATE transaction, so two starts cannot both take the last place). `seed` must fit
        in a signed 64-bit integer; `state_json` must be valid JSON (CHECK).
        """
        async with self._write() as db:
            busy = list(
                await db.execute_fetchall(
                    "SELECT id FROM campaigns WHERE channel_id = :c AND status <> 'ended'",
                    {"c": channel_id},
                )
            )
            if busy:
                raise ChannelBusy(channel_id, busy[0]["id"])
            if live_limit is not None:
                [(live,)] = await db.execute_fetchall(
                    "SELECT count(*) FROM campaigns WHERE guild_id = :g AND status <> 'ended'",
                    {"g": guild_id},
                )
                if live >= live_limit:
                    raise GuildFull(guild_id, live_limit)
            cursor = await db.execute(
                "INSERT INTO campaigns (guild_id, channel_id, story_id, story_hash, status, "
                "state_json, seed, started_at) VALUES (:guild_id, :channel_id, :story_id, "
                ":story_hash, 'running', :state_json, :seed, :started_at)",
                {
                    "guild_id": guild_id,
                    "channel_id": channel_id,
                    "story_id": story_id,
                    "story_hash": story_hash,
                    "state_json": state_json,
                    "seed": seed,
                    "started_at": to_us(started_at),
                },
            )
            campaign_id = cursor.lastrowid
            assert campaign_id is not None
            decision = None
            if first_decision is not None:
                decision = await insert_decision(db, campaign_id, 1, first_decision)
            rows = list(await db.execute_fetchall(GET_CAMPAIGN, {"id": campaign_id}))
        return campaign_from_row(rows[0]), decision

    async def get_campaign(self, campaign_id: int) -> Campaign | None:
        """A campaign by id, or None."""
        row = await self._fetchone(GET_CAMPAIGN, {"id": campaign_id})
        return None if row is None else campaign_from_row(row)

    async def active_campaign_in_channel(self, channel_id: int) -> Campaign | None:
        """The channel's campaign that has not ended (running, paused or waiting), or None."""
        row = await self._fetchone(ACTIVE_CAMPAIGN_IN_CHANNEL, {"channel_id": channel_id})
        return None if row is None else campaign_from_row(row)

    async def list_campaigns(self, guild_id: int) -> list[Campaign]:
        """The guild's campaigns, newest first."""
        rows = await self._fetchall(
            f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE guild_id = :g "
            "ORDER BY started_at DESC, id DESC",
            {"g": guild_id},
        )
        return [campaign_from_row(r) for r in rows]

    async def set_campaign_status(
        self,
        campaign_id: int,
        status: CampaignStatus | str,
        reason: str | None = None,
        ended_at: datetime | None = None,
    ) -> Campaign:
        """Move a campaign to `status` with an optional reason (why it is paused).

        Ending closes its open vote, if any, with how='ended' in the same transaction, so an
        ended campaign never leaves a timer behind. An ended campaign cannot change again
        (CampaignEnded). To pause or resume a campaign with an open vote use
        `pause_decision` / `resume_decision`, which also stop and restart the vote's clock.
        """
        new_status = CampaignStatus(status)
        check_ending(new_status, ended_at)
        async with self._write() as db:
            rows = list(await db.execute_fetchall(GET_CAMPAIGN, {"id": campaign_id}))
            if not rows:
                raise NotFound(f"no campaign {campaign_id}")
            if rows[0]["status"] == CampaignStatus.ENDED:
                raise CampaignEnded(f"campaign {campaign_id} has ended")
            if new_status is CampaignStatus.ENDED:
                await db.execute(
                    "UPDATE decisions SET closed_at = :at, how = 'ended', remaining_us = NULL "
                    "WHERE campaign_id = :c AND closed_at IS NULL",
                    {"at": optional_us(ended_at), "c": campaign_id},
                )
            await db.execute(
                "UPDATE campaigns SET status = :s, status_reason = :r, ended_at = :e "
                "WHERE id = :id",
                {
                    "s": new_status.value,
                    "r": reason,
                    "e": optional_us(ended_at),
                    "id": campaign_id,
                },
            )
            rows = list(await db.execute_fetchall(GET_CAMPAIGN, {"id": campaign_id}))
        return campaign_from_row(rows[0])

    async def ended_scenes(self, guild_id: int, story_id: str) -> set[str]:
        """Where the guild's ended campaigns of a story stopped (their endings, for
        "endings discovered in this server")."""
        rows = await self._fetchall(
            "SELECT DISTINCT json_extract(state_json, '$.scene') AS scene FROM campaigns "
            "WHERE guild_id = :g AND story_id = :s AND status = 'ended'",
            {"g": guild_id, "s": story_id},
        )
        return {str(r["scene"]) for r in rows if r["scene"] is not None}
