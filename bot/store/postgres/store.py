"""`PostgresStore`: the store's contract (`bot.store.Store`) on PostgreSQL through an asyncpg
pool, for several bot processes sharing one database.

The table groups (guilds, campaigns, decisions, ballots, closes, the export's snapshot) each
bring their methods; this class adds opening, closing and the diagnostics `health` reads.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any, Self

from bot.store.contract import Store
from bot.store.postgres.ballots import BallotRows
from bot.store.postgres.base import open_pool
from bot.store.postgres.campaigns import CampaignRows
from bot.store.postgres.closing import Closing
from bot.store.postgres.decisions import DecisionRows
from bot.store.postgres.guilds import GuildRows
from bot.store.postgres.migrate import load_migrations, schema_version
from bot.store.postgres.snapshot import Snapshots
from bot.store.postgres_url import PostgresUrl

# Indexes left unusable by an interrupted build: what "damaged" can mean on PostgreSQL, which
# checks its pages and foreign keys itself.
_INVALID_INDEXES = """
SELECT c.relname FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
 WHERE NOT i.indisvalid AND c.relnamespace = current_schema()::regnamespace
 ORDER BY c.relname
"""


class PostgresStore(GuildRows, CampaignRows, DecisionRows, BallotRows, Closing, Snapshots, Store):
    """Command Deck's persistence in a PostgreSQL database: a pool of connections, SQL only
    here. Every write commits before it returns; a lost connection raises StoreUnavailable
    (nothing written) and the pool reconnects for the next call."""

    @classmethod
    async def connect(cls, database: str | PurePath, *, synchronous: str = "FULL") -> Self:
        """Connect to the database at the URL `database` and migrate it.

        `synchronous` is SQLite's knob and is ignored: every connection commits with
        `synchronous_commit = on`, so a commit survives a crash of the server.
        """
        url = database if isinstance(database, PostgresUrl) else PostgresUrl(str(database))
        return cls(await open_pool(url), url)

    async def close(self) -> None:
        """Close the pool once the calls in flight have finished."""
        await self._pool.close()

    async def pragma(self, name: str) -> Any:
        """The diagnostics every backend answers: `user_version` (the schema version),
        `quick_check` and `integrity_check` ("ok", or what is wrong) and
        `foreign_key_check` (None: PostgreSQL refuses a broken foreign key on every write)."""
        if name == "foreign_key_check":
            return None
        if name not in ("user_version", "quick_check", "integrity_check"):
            raise ValueError(f"PostgreSQL has no diagnostic {name!r}")
        async with self._snapshot() as db:
            version = await schema_version(db)
            invalid = [r["relname"] for r in await db.fetch(_INVALID_INDEXES)]
        if name == "user_version":
            return version
        latest = len(load_migrations())
        if version != latest:
            return f"schema version {version}, expected {latest}"
        if invalid:
            return f"invalid indexes: {', '.join(invalid)}"
        return "ok"
