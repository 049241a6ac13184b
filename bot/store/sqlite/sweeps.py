"""What a crash or an outage left undone (unposted votes, unshown closes), the bot's own facts
and the moderators' audit log."""

from __future__ import annotations

from datetime import datetime

from bot.domain import (
    AuditEntry,
    Shards,
)
from bot.store.sqlite.base import SqliteBase
from bot.store.sqlite.mappers import (
    audit_from_row,
    before_us,
    shard_params,
)
from bot.store.sqlite.statements import (
    INSERT_AUDIT,
    ON_MY_SHARDS,
)
from bot.store.times import from_us, to_us


class SweepTables(SqliteBase):
    """The sweeps' reads of `decisions`, `app_meta` and `audit_log` (part of SqliteStore)."""

    async def unposted_votes(
        self, shards: Shards | None = None, *, opened_before: datetime | None = None
    ) -> list[int]:
        """Open votes of running campaigns whose scene message was never posted (a crash or
        an outage between the close that opened them and the post), oldest first; only in
        the guilds of `shards` and opened before `opened_before`, when given."""
        rows = await self._fetchall(
            "SELECT d.id FROM decisions AS d CROSS JOIN campaigns AS c ON c.id = d.campaign_id "
            "WHERE d.closed_at IS NULL AND d.message_id IS NULL AND c.status = 'running' "
            f"AND d.opened_at < :before AND {ON_MY_SHARDS} ORDER BY d.id",
            {**shard_params(shards), "before": before_us(opened_before)},
        )
        return [int(r["id"]) for r in rows]

    async def forget_vote_messages(self) -> int:
        """Forget the scene messages of running campaigns' open votes, so the next start
        posts those votes again (`unposted_votes`). For a Discord that keeps no messages from
        one run to the next, as the preview's in-memory one; returns how many were forgotten."""
        async with self._write() as db:
            cursor = await db.execute(
                "UPDATE decisions SET message_id = NULL WHERE closed_at IS NULL"
                " AND message_id IS NOT NULL AND campaign_id IN"
                " (SELECT id FROM campaigns WHERE status = 'running')"
            )
            return cursor.rowcount

    async def unshown_closes(
        self, shards: Shards | None = None, *, closed_before: datetime | None = None
    ) -> list[int]:
        """Closed votes the channel was never shown (see `close_decision`'s `view_json`),
        oldest close first; only in the guilds of `shards` and closed before
        `closed_before`, when given."""
        rows = await self._fetchall(
            "SELECT d.id FROM decisions AS d CROSS JOIN campaigns AS c ON c.id = d.campaign_id "
            f"WHERE d.close_shown = 0 AND d.closed_at < :before AND {ON_MY_SHARDS} "
            "ORDER BY d.closed_at, d.id",
            {**shard_params(shards), "before": before_us(closed_before)},
        )
        return [int(r["id"]) for r in rows]

    async def close_view(self, decision_id: int) -> str | None:
        """What an unshown close did (its `view_json`), or None once shown."""
        row = await self._fetchone(
            "SELECT close_view FROM decisions WHERE id = :id AND close_shown = 0",
            {"id": decision_id},
        )
        return None if row is None else row[0]

    async def mark_close_shown(self, decision_id: int) -> bool:
        """The channel shows the close now; False if it was already marked (or unknown)."""
        async with self._lock:
            cursor = await self._db.execute(
                "UPDATE decisions SET close_shown = 1, close_view = NULL "
                "WHERE id = :id AND close_shown = 0",
                {"id": decision_id},
            )
            return cursor.rowcount == 1

    async def get_meta(self, key: str) -> str | None:
        """A fact the bot keeps about itself (e.g. the synced commands' fingerprint)."""
        row = await self._fetchone("SELECT value FROM app_meta WHERE key = :key", {"key": key})
        return None if row is None else str(row["value"])

    async def set_meta(self, key: str, value: str) -> None:
        """Remember a fact about the bot itself, replacing the previous value."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO app_meta (key, value) VALUES (:key, :value) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                {"key": key, "value": value},
            )

    async def add_audit(
        self,
        guild_id: int,
        campaign_id: int | None,
        actor_id: int,
        action: str,
        detail: str | None,
        at: datetime,
    ) -> AuditEntry:
        """Log a moderator action that changes nothing else (e.g. a settings change)."""
        at_us = to_us(at)
        params = {
            "guild_id": guild_id,
            "campaign_id": campaign_id,
            "actor_id": actor_id,
            "action": action,
            "detail": detail,
            "at": at_us,
        }
        async with self._lock:
            cursor = await self._db.execute(INSERT_AUDIT, params)
            entry_id = cursor.lastrowid
        assert entry_id is not None
        return AuditEntry(entry_id, guild_id, campaign_id, actor_id, action, detail, from_us(at_us))

    async def audit_log(self, guild_id: int, *, limit: int = 50) -> list[AuditEntry]:
        """The guild's latest moderator actions, newest first."""
        rows = await self._fetchall(
            "SELECT * FROM audit_log WHERE guild_id = :g ORDER BY at DESC, id DESC LIMIT :n",
            {"g": guild_id, "n": limit},
        )
        return [audit_from_row(r) for r in rows]
