"""Votes on PostgreSQL: reading them, their clocks (pause, resume, extend, wait for a
moderator), the timers to reschedule at start and the posts and closes still to show.

Every change is one conditional UPDATE (`WHERE closed_at IS NULL ...`): whatever another
process did first, a vote's row changes only from the state the method expects.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

import asyncpg

from bot.domain import Campaign, CampaignStatus, Decision, OpenDeadline, Shards
from bot.store.postgres import rows
from bot.store.postgres.base import PostgresBase
from bot.store.postgres.campaigns import GET_DECISION
from bot.store.times import duration_us, from_us, to_us

OPEN_DECISION_FOR = (
    f"SELECT {rows.DECISION_COLUMNS} FROM decisions WHERE campaign_id = $1 AND closed_at IS NULL"
)

# Whether campaign `c` is in a guild on this process's shards: `$1` lists them (NULL: every
# shard), `$2` is how many there are (Discord's rule: (guild_id >> 22) % shard_count).
ON_MY_SHARDS = "($1::bigint[] IS NULL OR (c.guild_id >> 22) % $2 = ANY($1::bigint[]))"

OPEN_DEADLINES = f"""
SELECT d.id, d.deadline
  FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id
 WHERE d.closed_at IS NULL AND d.deadline IS NOT NULL AND d.deadline <= $3
   AND c.status = 'running' AND {ON_MY_SHARDS}
 ORDER BY d.deadline, d.id
"""

VOTES_WITH_CAMPAIGNS = f"""
SELECT {rows.prefixed(rows.DECISION_COLUMNS, "d")},
       {", ".join(f"c.{c.strip()} AS c_{c.strip()}" for c in rows.CAMPAIGN_COLUMNS.split(","))}
  FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id
 WHERE d.id = ANY($1::bigint[]) AND d.closed_at IS NULL
 ORDER BY d.id
"""

SET_STATUS_OF = (
    "UPDATE campaigns SET status = $1, status_reason = $2 "
    "WHERE id = (SELECT campaign_id FROM decisions WHERE id = $3)"
)


async def _set_status_of(
    db: asyncpg.Connection, decision_id: int, status: CampaignStatus, reason: str | None
) -> None:
    await db.execute(SET_STATUS_OF, status.value, reason, decision_id)


class DecisionRows(PostgresBase):
    """Reading votes and moving their clocks."""

    async def get_decision(self, decision_id: int) -> Decision | None:
        """A decision by id, open or closed, or None."""
        async with self._connection() as db:
            row = await db.fetchrow(GET_DECISION, decision_id)
        return None if row is None else rows.decision(row)

    async def open_decision_for(self, campaign_id: int) -> Decision | None:
        """The campaign's open vote (there is at most one), or None."""
        async with self._connection() as db:
            row = await db.fetchrow(OPEN_DECISION_FOR, campaign_id)
        return None if row is None else rows.decision(row)

    async def decisions_of(self, campaign_id: int) -> list[Decision]:
        """Every decision of a campaign in order, for the recap."""
        async with self._connection() as db:
            found = await db.fetch(
                f"SELECT {rows.DECISION_COLUMNS} FROM decisions WHERE campaign_id = $1 "
                "ORDER BY seq",
                campaign_id,
            )
        return [rows.decision(r) for r in found]

    async def votes_with_campaigns(
        self, decision_ids: Collection[int]
    ) -> list[tuple[Decision, Campaign]]:
        """Open votes by id, each with its campaign, in one query; closed or unknown ids are
        left out."""
        if not decision_ids:
            return []
        async with self._connection() as db:
            found = await db.fetch(VOTES_WITH_CAMPAIGNS, sorted(decision_ids))
        return [(rows.decision(row), rows.campaign(row, "c_")) for row in found]

    async def set_message_id(self, decision_id: int, message_id: int) -> bool:
        """Remember the scene message that carries the vote's buttons; False if unknown."""
        async with self._write() as db:
            status = await db.execute(
                "UPDATE decisions SET message_id = $1 WHERE id = $2", message_id, decision_id
            )
        return rows.row_count(status) == 1

    async def pause_decision(
        self, decision_id: int, remaining: timedelta, *, reason: str | None = None
    ) -> bool:
        """Freeze an open, running vote's clock with `remaining` left; the campaign is paused.

        False (nothing changed) when the vote is closed, unknown or has no running clock.
        """
        left = duration_us(remaining)
        async with self._write() as db:
            status = await db.execute(
                "UPDATE decisions SET deadline = NULL, remaining_us = $1 "
                "WHERE id = $2 AND closed_at IS NULL AND deadline IS NOT NULL",
                left,
                decision_id,
            )
            if rows.row_count(status) != 1:
                return False
            await _set_status_of(db, decision_id, CampaignStatus.PAUSED, reason)
        return True

    async def resume_decision(self, decision_id: int, deadline: datetime) -> bool:
        """Restart a paused vote's clock to fire at `deadline`; the campaign runs again.

        False (nothing changed) when the vote is closed, unknown or not paused.
        """
        due = to_us(deadline)
        async with self._write() as db:
            status = await db.execute(
                "UPDATE decisions SET deadline = $1, remaining_us = NULL "
                "WHERE id = $2 AND closed_at IS NULL AND remaining_us IS NOT NULL",
                due,
                decision_id,
            )
            if rows.row_count(status) != 1:
                return False
            await _set_status_of(db, decision_id, CampaignStatus.RUNNING, None)
        return True

    async def move_deadline(self, decision_id: int, deadline: datetime) -> bool:
        """Give a running vote a later deadline (its scene was posted late); False when the
        vote is closed, paused or unknown."""
        due = to_us(deadline)
        async with self._write() as db:
            status = await db.execute(
                "UPDATE decisions SET deadline = $1 "
                "WHERE id = $2 AND closed_at IS NULL AND deadline IS NOT NULL",
                due,
                decision_id,
            )
        return rows.row_count(status) == 1

    async def wait_for_moderator(self, decision_id: int, *, reason: str | None = None) -> bool:
        """Leave the vote open with no clock and mark the campaign waiting (tie rule
        'moderator'); `/campaign decide` then closes it. False when the vote is closed."""
        async with self._write() as db:
            status = await db.execute(
                "UPDATE decisions SET deadline = NULL, remaining_us = NULL "
                "WHERE id = $1 AND closed_at IS NULL",
                decision_id,
            )
            if rows.row_count(status) != 1:
                return False
            await _set_status_of(db, decision_id, CampaignStatus.WAITING, reason)
        return True

    async def extend_decision(self, decision_id: int, deadline: datetime) -> bool:
        """Give an open vote its one extension (quorum rule); False if closed or extended."""
        due = to_us(deadline)
        async with self._write() as db:
            status = await db.execute(
                "UPDATE decisions SET deadline = $1, extended = true "
                "WHERE id = $2 AND closed_at IS NULL AND NOT extended",
                due,
                decision_id,
            )
        return rows.row_count(status) == 1

    async def open_deadlines(
        self, shards: Shards | None = None, *, due_by: datetime | None = None
    ) -> list[OpenDeadline]:
        """Every open vote of a running campaign with its deadline, soonest first (only in
        the guilds of `shards`, and only those due by `due_by`, when given)."""
        async with self._connection() as db:
            found = await db.fetch(
                OPEN_DEADLINES, *rows.shard_values(shards), rows.before_us(due_by)
            )
        return [OpenDeadline(r["id"], from_us(r["deadline"])) for r in found]

    # --- posts and closes still to show ------------------------------------------------------

    async def forget_vote_messages(self) -> int:
        """Forget the scene messages of running campaigns' open votes, so the next start
        posts those votes again (`unposted_votes`); returns how many were forgotten."""
        async with self._write() as db:
            status = await db.execute(
                "UPDATE decisions SET message_id = NULL WHERE closed_at IS NULL"
                " AND message_id IS NOT NULL AND campaign_id IN"
                " (SELECT id FROM campaigns WHERE status = 'running')"
            )
        return rows.row_count(status)

    async def unposted_votes(
        self, shards: Shards | None = None, *, opened_before: datetime | None = None
    ) -> list[int]:
        """Open votes of running campaigns whose scene message was never posted, oldest
        first; only in the guilds of `shards` and opened before `opened_before`, if given."""
        async with self._connection() as db:
            found = await db.fetch(
                "SELECT d.id FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id "
                "WHERE d.closed_at IS NULL AND d.message_id IS NULL AND c.status = 'running' "
                f"AND d.opened_at < $3 AND {ON_MY_SHARDS} ORDER BY d.id",
                *rows.shard_values(shards),
                rows.before_us(opened_before),
            )
        return [int(r["id"]) for r in found]

    async def unshown_closes(
        self, shards: Shards | None = None, *, closed_before: datetime | None = None
    ) -> list[int]:
        """Closed votes the channel was never shown (see `close_decision`'s `view_json`),
        oldest close first; only in the guilds of `shards` and closed before
        `closed_before`, when given."""
        async with self._connection() as db:
            found = await db.fetch(
                "SELECT d.id FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id "
                f"WHERE NOT d.close_shown AND d.closed_at < $3 AND {ON_MY_SHARDS} "
                "ORDER BY d.closed_at, d.id",
                *rows.shard_values(shards),
                rows.before_us(closed_before),
            )
        return [int(r["id"]) for r in found]

    async def close_view(self, decision_id: int) -> str | None:
        """What an unshown close did (its `view_json`), or None once shown."""
        async with self._connection() as db:
            value = await db.fetchval(
                "SELECT close_view FROM decisions WHERE id = $1 AND NOT close_shown", decision_id
            )
        return None if value is None else str(value)

    async def mark_close_shown(self, decision_id: int) -> bool:
        """The channel shows the close now; False if it was already marked (or unknown)."""
        async with self._write() as db:
            status = await db.execute(
                "UPDATE decisions SET close_shown = true, close_view = NULL "
                "WHERE id = $1 AND NOT close_shown",
                decision_id,
            )
        return rows.row_count(status) == 1
