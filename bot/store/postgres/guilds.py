"""Per-guild rows on PostgreSQL: voting rules, the grace period after the bot leaves a server
(and the purge after it), the moderators' audit log, and the bot's own small facts."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import fields
from datetime import datetime
from typing import Any

from bot.domain import AuditEntry, GuildSettings, TieBreak
from bot.store.postgres import rows
from bot.store.postgres.base import PostgresBase
from bot.store.times import from_us, to_us

_SETTING_NAMES = tuple(f.name for f in fields(GuildSettings) if f.name != "guild_id")
_FLAGS = ("blind", "share_choices")

INSERT_AUDIT = (
    "INSERT INTO audit_log (guild_id, campaign_id, actor_id, action, detail, at) "
    "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
)

# A departed guild's rows, children first (foreign keys); $1 is the guild id.
_PURGE = (
    "DELETE FROM ballots WHERE decision_id IN (SELECT d.id FROM decisions AS d "
    "JOIN campaigns AS c ON c.id = d.campaign_id WHERE c.guild_id = $1)",
    "DELETE FROM decisions WHERE campaign_id IN (SELECT id FROM campaigns WHERE guild_id = $1)",
    "UPDATE crew_reach SET servers = servers - 1 WHERE (story_id, scene_id) IN "
    "(SELECT story_id, scene_id FROM crew_servers WHERE guild_id = $1)",
    "DELETE FROM crew_servers WHERE guild_id = $1",
    "DELETE FROM audit_log WHERE guild_id = $1",
    "DELETE FROM campaigns WHERE guild_id = $1",
    "DELETE FROM guild_settings WHERE guild_id = $1",
    "DELETE FROM guild_departures WHERE guild_id = $1",
)


class GuildRows(PostgresBase):
    """Settings, departures, audit and meta: the store's per-guild and per-bot rows."""

    # --- guild settings ----------------------------------------------------------------------

    async def get_settings(self, guild_id: int) -> GuildSettings:
        """The guild's voting rules, or the defaults when it never changed them."""
        async with self._connection() as db:
            row = await db.fetchrow(
                f"SELECT {rows.SETTINGS_COLUMNS} FROM guild_settings WHERE guild_id = $1",
                guild_id,
            )
        return GuildSettings(guild_id) if row is None else rows.settings(row)

    async def update_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Change some rules and return them all; the values were checked by the rules layer.

        Unknown names raise TypeError; the table's CHECKs refuse nonsense.
        """
        unknown = set(changes) - set(_SETTING_NAMES)
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        if "tie_break" in changes:
            changes["tie_break"] = TieBreak(changes["tie_break"]).value
        for flag in _FLAGS:
            if flag in changes:
                changes[flag] = bool(changes[flag])
        names = [n for n in _SETTING_NAMES if n in changes]  # fixed names, never user text
        columns = "".join(f", {n}" for n in names)
        values = "".join(f", ${i}" for i in range(2, len(names) + 2))
        updates = ", ".join(f"{n} = excluded.{n}" for n in names) or "guild_id = excluded.guild_id"
        async with self._write() as db:
            row = await db.fetchrow(
                f"INSERT INTO guild_settings (guild_id{columns}) VALUES ($1{values}) "
                f"ON CONFLICT (guild_id) DO UPDATE SET {updates} "
                f"RETURNING {rows.SETTINGS_COLUMNS}",
                guild_id,
                *(changes[n] for n in names),
            )
        assert row is not None
        return rows.settings(row)

    async def settings_of(self, guild_ids: Collection[int]) -> dict[int, GuildSettings]:
        """The voting rules of many guilds in one query (defaults for those never changed)."""
        found = {guild_id: GuildSettings(guild_id) for guild_id in guild_ids}
        if not found:
            return found
        async with self._connection() as db:
            for row in await db.fetch(
                f"SELECT {rows.SETTINGS_COLUMNS} FROM guild_settings "
                "WHERE guild_id = ANY($1::bigint[])",
                sorted(found),
            ):
                found[row["guild_id"]] = rows.settings(row)
        return found

    # --- departures --------------------------------------------------------------------------

    async def guild_departed(self, guild_id: int, at: datetime) -> None:
        """The bot was removed from a guild: start its data's grace period."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO guild_departures (guild_id, departed_at) VALUES ($1, $2) "
                "ON CONFLICT (guild_id) DO NOTHING",
                guild_id,
                to_us(at),
            )

    async def guild_returned(self, guild_id: int) -> bool:
        """The bot is back in a guild within the grace period: keep its data."""
        async with self._write() as db:
            status = await db.execute("DELETE FROM guild_departures WHERE guild_id = $1", guild_id)
        return rows.row_count(status) == 1

    async def guilds_returned(self, guild_ids: list[int]) -> list[int]:
        """Cancel the departure of every guild listed (the bot is in them); returns those
        that had one."""
        if not guild_ids:
            return []
        async with self._write() as db:
            found = await db.fetch(
                "DELETE FROM guild_departures WHERE guild_id = ANY($1::bigint[]) "
                "RETURNING guild_id",
                list(guild_ids),
            )
        returned = {int(r["guild_id"]) for r in found}
        return [g for g in dict.fromkeys(guild_ids) if g in returned]

    async def purge_departed(self, before: datetime) -> list[int]:
        """Delete every trace of guilds that left before `before`; returns their ids."""
        async with self._write() as db:
            found = await db.fetch(
                "SELECT guild_id FROM guild_departures WHERE departed_at < $1 "
                "ORDER BY guild_id FOR UPDATE",
                to_us(before),
            )
            gone = [int(r["guild_id"]) for r in found]
            for guild_id in gone:
                for statement in _PURGE:
                    await db.execute(statement, guild_id)
        return gone

    # --- the bot's own facts -----------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        """A fact the bot keeps about itself (e.g. the synced commands' fingerprint)."""
        async with self._connection() as db:
            value = await db.fetchval("SELECT value FROM app_meta WHERE key = $1", key)
        return None if value is None else str(value)

    async def set_meta(self, key: str, value: str) -> None:
        """Remember a fact about the bot itself, replacing the previous value."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO app_meta (key, value) VALUES ($1, $2) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                key,
                value,
            )

    # --- audit -------------------------------------------------------------------------------

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
        moment = to_us(at)
        async with self._write() as db:
            entry_id = await db.fetchval(
                INSERT_AUDIT, guild_id, campaign_id, actor_id, action, detail, moment
            )
        return AuditEntry(
            int(entry_id), guild_id, campaign_id, actor_id, action, detail, from_us(moment)
        )

    async def audit_log(self, guild_id: int, *, limit: int = 50) -> list[AuditEntry]:
        """The guild's latest moderator actions, newest first."""
        async with self._connection() as db:
            found = await db.fetch(
                f"SELECT {rows.AUDIT_COLUMNS} FROM audit_log WHERE guild_id = $1 "
                "ORDER BY at DESC, id DESC LIMIT $2",
                guild_id,
                limit,
            )
        return [rows.audit(r) for r in found]
