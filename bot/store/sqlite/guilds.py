"""The guilds' tables: voting rules, and departures with their grace period and purge."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import fields
from datetime import datetime
from typing import Any

from bot.domain import (
    GuildSettings,
    TieBreak,
)
from bot.store.sqlite.base import SqliteBase
from bot.store.sqlite.mappers import (
    settings_from_row,
)
from bot.store.times import to_us

SETTING_NAMES = tuple(f.name for f in fields(GuildSettings) if f.name != "guild_id")


class GuildTables(SqliteBase):
    """`guild_settings` and `guild_departures` (part of SqliteStore)."""

    async def get_settings(self, guild_id: int) -> GuildSettings:
        """The guild's voting rules, or the defaults when it never changed them."""
        row = await self._fetchone(
            "SELECT * FROM guild_settings WHERE guild_id = :g", {"g": guild_id}
        )
        return GuildSettings(guild_id) if row is None else settings_from_row(row)

    async def update_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Change some rules and return them all; the values were checked by the rules layer.

        Unknown names raise TypeError; the table's CHECKs refuse nonsense (IntegrityError).
        """
        unknown = set(changes) - set(SETTING_NAMES)
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        if "tie_break" in changes:
            changes["tie_break"] = TieBreak(changes["tie_break"]).value
        for flag in ("blind", "share_choices"):
            if flag in changes:
                changes[flag] = int(bool(changes[flag]))
        names = [n for n in SETTING_NAMES if n in changes]  # fixed names, never user text
        columns = "".join(f", {n}" for n in names)
        values = "".join(f", :{n}" for n in names)
        updates = ", ".join(f"{n} = excluded.{n}" for n in names) or "guild_id = guild_id"
        async with self._write() as db:
            await db.execute(
                f"INSERT INTO guild_settings (guild_id{columns}) VALUES (:guild_id{values}) "
                f"ON CONFLICT (guild_id) DO UPDATE SET {updates}",
                {"guild_id": guild_id, **changes},
            )
            rows = list(
                await db.execute_fetchall(
                    "SELECT * FROM guild_settings WHERE guild_id = :g", {"g": guild_id}
                )
            )
        return settings_from_row(rows[0])

    async def settings_of(self, guild_ids: Collection[int]) -> dict[int, GuildSettings]:
        """The voting rules of many guilds in one query (defaults for those never changed)."""
        found = {guild_id: GuildSettings(guild_id) for guild_id in guild_ids}
        if not found:
            return found
        rows = await self._fetchall(
            "SELECT s.* FROM json_each(:ids) AS j CROSS JOIN guild_settings AS s "
            "ON s.guild_id = j.value",
            {"ids": json.dumps(sorted(found))},
        )
        for row in rows:
            found[row["guild_id"]] = settings_from_row(row)
        return found

    async def guild_departed(self, guild_id: int, at: datetime) -> None:
        """The bot was removed from a guild: start its data's grace period."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO guild_departures (guild_id, departed_at) VALUES (:g, :at) "
                "ON CONFLICT (guild_id) DO NOTHING",
                {"g": guild_id, "at": to_us(at)},
            )

    async def guild_returned(self, guild_id: int) -> bool:
        """The bot is back in a guild within the grace period: keep its data."""
        async with self._write() as db:
            cursor = await db.execute(
                "DELETE FROM guild_departures WHERE guild_id = :g", {"g": guild_id}
            )
            return cursor.rowcount == 1

    async def guilds_returned(self, guild_ids: list[int]) -> list[int]:
        """Cancel the departure of every guild listed (the bot is in them); returns those
        that had one."""
        if not guild_ids:
            return []
        async with self._write() as db:
            rows = await db.execute_fetchall(
                "DELETE FROM guild_departures WHERE guild_id IN "
                "(SELECT value FROM json_each(:ids)) RETURNING guild_id",
                {"ids": json.dumps(guild_ids)},
            )
            return [int(r["guild_id"]) for r in rows]

    async def purge_departed(self, before: datetime) -> list[int]:
        """Delete every trace of guilds that left before `before`; returns their ids."""
        async with self._write() as db:
            rows = await db.execute_fetchall(
                "SELECT guild_id FROM guild_departures WHERE departed_at < :b",
                {"b": to_us(before)},
            )
            gone = [int(r["guild_id"]) for r in rows]
            for guild_id in gone:
                params = {"g": guild_id}
                await db.execute(
                    "DELETE FROM ballots WHERE decision_id IN (SELECT d.id FROM decisions AS d "
                    "JOIN campaigns AS c ON c.id = d.campaign_id WHERE c.guild_id = :g)",
                    params,
                )
                await db.execute(
                    "DELETE FROM decisions WHERE campaign_id IN "
                    "(SELECT id FROM campaigns WHERE guild_id = :g)",
                    params,
                )
                await db.execute(
                    "UPDATE crew_reach SET servers = servers - 1 WHERE (story_id, scene_id) IN "
                    "(SELECT story_id, scene_id FROM crew_servers WHERE guild_id = :g)",
                    params,
                )
                await db.execute("DELETE FROM crew_servers WHERE guild_id = :g", params)
                await db.execute("DELETE FROM audit_log WHERE guild_id = :g", params)
                await db.execute("DELETE FROM campaigns WHERE guild_id = :g", params)
                await db.execute("DELETE FROM guild_settings WHERE guild_id = :g", params)
                await db.execute("DELETE FROM guild_departures WHERE guild_id = :g", params)
            return gone
