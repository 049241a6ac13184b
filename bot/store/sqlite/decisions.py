"""The decisions table: votes opened, read, posted, paused, resumed, extended and due."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime, timedelta

from bot.domain import (
    Campaign,
    CampaignStatus,
    Decision,
    NewDecision,
    OpenDeadline,
    Shards,
)
from bot.store.rows import DECISION_COLUMNS
from bot.store.sqlite.base import SqliteBase
from bot.store.sqlite.connection import GuardedConnection
from bot.store.sqlite.mappers import (
    Prefixed,
    campaign_from_row,
    decision_from_row,
    decision_params,
    shard_params,
)
from bot.store.sqlite.statements import (
    GET_DECISION,
    INSERT_DECISION,
    OPEN_DEADLINES,
    OPEN_DECISION_FOR,
    VOTES_WITH_CAMPAIGNS,
)
from bot.store.times import duration_us, from_us, to_us


async def insert_decision(
    db: GuardedConnection, campaign_id: int, seq: int, new: NewDecision
) -> Decision:
    """Open vote `seq` of a campaign inside the caller's transaction; returns it as stored."""
    cursor = await db.execute(INSERT_DECISION, decision_params(campaign_id, seq, new))
    rows = list(await db.execute_fetchall(GET_DECISION, {"id": cursor.lastrowid}))
    return decision_from_row(rows[0])


async def set_status_of(
    db: GuardedConnection,
    decision_id: int,
    status: CampaignStatus,
    reason: str | None,
) -> None:
    """Set the status of a decision's campaign, inside the caller's transaction."""
    await db.execute(
        "UPDATE campaigns SET status = :s, status_reason = :r "
        "WHERE id = (SELECT campaign_id FROM decisions WHERE id = :d)",
        {"s": status.value, "r": reason, "d": decision_id},
    )


class DecisionTables(SqliteBase):
    """`decisions` while they are open (part of SqliteStore; closing is `CloseTables`)."""

    async def get_decision(self, decision_id: int) -> Decision | None:
        """A decision by id, open or closed, or None."""
        row = await self._fetchone(GET_DECISION, {"id": decision_id})
        return None if row is None else decision_from_row(row)

    async def open_decision_for(self, campaign_id: int) -> Decision | None:
        """The campaign's open vote (there is at most one), or None."""
        row = await self._fetchone(OPEN_DECISION_FOR, {"campaign_id": campaign_id})
        return None if row is None else decision_from_row(row)

    async def decisions_of(self, campaign_id: int) -> list[Decision]:
        """Every decision of a campaign in order, for the recap."""
        rows = await self._fetchall(
            f"SELECT {DECISION_COLUMNS} FROM decisions WHERE campaign_id = :c ORDER BY seq",
            {"c": campaign_id},
        )
        return [decision_from_row(r) for r in rows]

    async def votes_with_campaigns(
        self, decision_ids: Collection[int]
    ) -> list[tuple[Decision, Campaign]]:
        """Open votes by id, each with its campaign, in one query (the overdue votes at
        start, read in bulk rather than a vote at a time); closed or unknown ids are left
        out."""
        if not decision_ids:
            return []
        rows = await self._fetchall(VOTES_WITH_CAMPAIGNS, {"ids": json.dumps(sorted(decision_ids))})
        return [(decision_from_row(row), campaign_from_row(Prefixed(row, "c_"))) for row in rows]

    async def set_message_id(self, decision_id: int, message_id: int) -> bool:
        """Remember the scene message that carries the vote's buttons; False if unknown."""
        async with self._lock:
            cursor = await self._db.execute(
                "UPDATE decisions SET message_id = :m WHERE id = :id",
                {"m": message_id, "id": decision_id},
            )
            return cursor.rowcount == 1

    async def pause_decision(
        self, decision_id: int, remaining: timedelta, *, reason: str | None = None
    ) -> bool:
        """Freeze an open, running vote's clock with `remaining` left; the campaign is paused.

        False (nothing changed) when the vote is closed, unknown or has no running clock.
        """
        async with self._write() as db:
            cursor = await db.execute(
                "UPDATE decisions SET deadline = NULL, remaining_us = :r "
                "WHERE id = :id AND closed_at IS NULL AND deadline IS NOT NULL",
                {"r": duration_us(remaining), "id": decision_id},
            )
            if cursor.rowcount != 1:
                return False
            await set_status_of(db, decision_id, CampaignStatus.PAUSED, reason)
        return True

    async def resume_decision(self, decision_id: int, deadline: datetime) -> bool:
        """Restart a paused vote's clock to fire at `deadline`; the campaign runs again.

        False (nothing changed) when the vote is closed, unknown or not paused.
        """
        async with self._write() as db:
            cursor = await db.execute(
                "UPDATE decisions SET deadline = :d, remaining_us = NULL "
                "WHERE id = :id AND closed_at IS NULL AND remaining_us IS NOT NULL",
                {"d": to_us(deadline), "id": decision_id},
            )
            if cursor.rowcount != 1:
                return False
            await set_status_of(db, decision_id, CampaignStatus.RUNNING, None)
        return True

    async def move_deadline(self, decision_id: int, deadline: datetime) -> bool:
        """Give a running vote a later deadline (its scene was posted late); False when the
        vote is closed, paused or unknown."""
        async with self._write() as db:
            cursor = await db.execute(
                "UPDATE decisions SET deadline = :d "
                "WHERE id = :id AND closed_at IS NULL AND deadline IS NOT NULL",
                {"d": to_us(deadline), "id": decision_id},
            )
            return cursor.rowcount == 1

    async def wait_for_moderator(self, decision_id: int, *, reason: str | None = None) -> bool:
        """Leave the vote open with no clock and mark the campaign waiting (tie rule
        'moderator'); `/campaign decide` then closes it. False when the vote is closed."""
        async with self._write() as db:
            cursor = await db.execute(
                "UPDATE decisions SET deadline = NULL, remaining_us = NULL "
                "WHERE id = :id AND closed_at IS NULL",
                {"id": decision_id},
            )
            if cursor.rowcount != 1:
                return False
            await set_status_of(db, decision_id, CampaignStatus.WAITING, reason)
        return True

    async def extend_decision(self, decision_id: int, deadline: datetime) -> bool:
        """Give an open vote its one extension (quorum rule); False if closed or extended."""
        async with self._lock:
            cursor = await self._db.execute(
                "UPDATE decisions SET deadline = :d, extended = 1 "
                "WHERE id = :id AND closed_at IS NULL AND extended = 0",
                {"d": to_us(deadline), "id": decision_id},
            )
            return cursor.rowcount == 1

    async def open_deadlines(
        self, shards: Shards | None = None, *, due_by: datetime | None = None
    ) -> list[OpenDeadline]:
        """Every open vote of a running campaign with its deadline, soonest first (only in
        the guilds of `shards`, and only those due by `due_by`, when given).

        Read at start to reschedule the timers; a deadline in the past fires at once.
        """
        due = {"due_by": 2**63 - 1 if due_by is None else to_us(due_by)}
        rows = await self._fetchall(OPEN_DEADLINES, {**shard_params(shards), **due})
        return [OpenDeadline(r[0], from_us(r[1])) for r in rows]
