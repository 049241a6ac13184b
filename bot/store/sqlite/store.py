"""`SqliteStore`: the store's contract on one SQLite file through aiosqlite, the default.

The table groups (guilds, campaigns, decisions, closes, ballots, crews, sweeps) each bring
their methods; this class adds opening, closing, diagnostics and the export's read.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any, Self

from bot.store.contract import Store
from bot.store.rows import CAMPAIGN_COLUMNS, DECISION_COLUMNS
from bot.store.snapshot import GuildSnapshot
from bot.store.sqlite.ballots import BallotTables
from bot.store.sqlite.campaigns import CampaignTables
from bot.store.sqlite.closes import CloseTables
from bot.store.sqlite.connection import open_connection
from bot.store.sqlite.crews import CrewTables
from bot.store.sqlite.decisions import DecisionTables
from bot.store.sqlite.guilds import GuildTables
from bot.store.sqlite.mappers import campaign_from_row, decision_from_row, settings_from_row
from bot.store.sqlite.sweeps import SweepTables

_GUILD_SETTINGS = "SELECT * FROM guild_settings WHERE guild_id = :g"
_GUILD_CAMPAIGNS = (
    f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE guild_id = :g ORDER BY started_at, id"
)
_GUILD_DECISIONS = (
    f"SELECT {', '.join('d.' + c.strip() for c in DECISION_COLUMNS.split(','))} "
    "FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id "
    "WHERE c.guild_id = :g ORDER BY d.campaign_id, d.seq"
)
# Counts per offered choice (zeros included), never who cast them.
_GUILD_TALLIES = (
    "SELECT d.id AS decision_id, j.value AS choice_id, "
    "(SELECT count(*) FROM ballots AS b "
    "  WHERE b.decision_id = d.id AND b.choice_id = j.value) AS n "
    "FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id "
    "JOIN json_each(d.choices) AS j "
    "WHERE c.guild_id = :g ORDER BY d.id, j.key"
)


class SqliteStore(
    GuildTables,
    CampaignTables,
    DecisionTables,
    CloseTables,
    BallotTables,
    CrewTables,
    SweepTables,
    Store,
):
    """Command Deck's persistence in one SQLite file: one connection, SQL only here.

    Every method runs as one unit on the connection (an asyncio lock); writes that span
    statements run in `BEGIN IMMEDIATE`, so a second process on the same file waits (busy
    timeout) rather than deadlocking. A method returns after its COMMIT.
    """

    @classmethod
    async def connect(cls, database: str | PurePath, *, synchronous: str = "FULL") -> Self:
        """Open (creating it and its folder) and migrate the file at `database`."""
        path = Path(database)
        return cls(await open_connection(path, synchronous), path)

    async def close(self) -> None:
        """Close the connection (and its worker thread) after pending work finishes."""
        async with self._lock:
            await self._db.close()

    async def pragma(self, name: str) -> Any:
        """Read one PRAGMA's value (for checks and diagnostics)."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a pragma name: {name!r}")
        async with self._lock:
            rows = list(await self._db.execute_fetchall(f"PRAGMA {name}"))
        return rows[0][0] if rows else None

    async def guild_snapshot(self, guild_id: int) -> GuildSnapshot:
        """One guild's export, read in one deferred transaction: a WAL snapshot that other
        connections' writes do not disturb."""
        params = {"g": guild_id}
        async with self._read() as db:
            [(version,)] = await db.execute_fetchall("PRAGMA user_version")
            settings = list(
                await db.execute_fetchall(
                    "SELECT * FROM guild_settings WHERE guild_id = :g", params
                )
            )
            campaigns = await db.execute_fetchall(_GUILD_CAMPAIGNS, params)
            decisions = await db.execute_fetchall(_GUILD_DECISIONS, params)
            tally_rows = await db.execute_fetchall(_GUILD_TALLIES, params)
        tallies: dict[int, dict[str, int]] = {}
        for row in tally_rows:
            tallies.setdefault(row["decision_id"], {})[row["choice_id"]] = row["n"]
        return GuildSnapshot(
            schema_version=int(version),
            settings=settings_from_row(settings[0]) if settings else None,
            campaigns=tuple(campaign_from_row(r) for r in campaigns),
            decisions=tuple(decision_from_row(r) for r in decisions),
            tallies=tallies,
        )
