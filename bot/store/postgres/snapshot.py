"""One guild's data at one moment on PostgreSQL, for the operator's export (`bot.store._export`
turns it into the same JSON on both backends). Read in one read-only REPEATABLE READ
transaction, so every statement sees the same snapshot while the bot writes.

Backups of a PostgreSQL database are the server's job: `pg_dump` (see README.md).
"""

from __future__ import annotations

from bot.store.postgres import rows
from bot.store.postgres.base import PostgresBase
from bot.store.postgres.migrate import schema_version
from bot.store.snapshot import GuildSnapshot

_SETTINGS = f"SELECT {rows.SETTINGS_COLUMNS} FROM guild_settings WHERE guild_id = $1"
_CAMPAIGNS = (
    f"SELECT {rows.CAMPAIGN_COLUMNS} FROM campaigns WHERE guild_id = $1 ORDER BY started_at, id"
)
_DECISIONS = (
    f"SELECT {rows.prefixed(rows.DECISION_COLUMNS, 'd')} "
    "FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id "
    "WHERE c.guild_id = $1 ORDER BY d.campaign_id, d.seq"
)
# Counts per offered choice (zeros included), never who cast them: member ids stay in here.
_TALLIES = """
SELECT d.id AS decision_id, j.value AS choice_id,
       (SELECT count(*) FROM ballots AS b
         WHERE b.decision_id = d.id AND b.choice_id = j.value) AS n
  FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id
 CROSS JOIN LATERAL json_array_elements_text(d.choices) WITH ORDINALITY AS j (value, ord)
 WHERE c.guild_id = $1 ORDER BY d.id, j.ord
"""


class Snapshots(PostgresBase):
    """The export's read of one guild."""

    async def guild_snapshot(self, guild_id: int) -> GuildSnapshot:
        """Everything of one guild an export shows, from one consistent moment; ballots only
        as tallies, no member id."""
        async with self._snapshot() as db:
            version = await schema_version(db)
            settings = await db.fetchrow(_SETTINGS, guild_id)
            campaigns = await db.fetch(_CAMPAIGNS, guild_id)
            decisions = await db.fetch(_DECISIONS, guild_id)
            tally_rows = await db.fetch(_TALLIES, guild_id)
        tallies: dict[int, dict[str, int]] = {}
        for row in tally_rows:
            tallies.setdefault(row["decision_id"], {})[row["choice_id"]] = int(row["n"])
        return GuildSnapshot(
            schema_version=version,
            settings=None if settings is None else rows.settings(settings),
            campaigns=tuple(rows.campaign(r) for r in campaigns),
            decisions=tuple(rows.decision(r) for r in decisions),
            tallies=tallies,
        )
