"""PostgreSQL's numbered migrations: each applied in its own transaction, counted in a table.

`migrations/NNNN_reason.sql` here mirrors SQLite's files number for number, so schema version
N means the same tables on both backends. The version is the highest number recorded in
`schema_version`. Every step takes a transaction-wide advisory lock first and reads the
version again under it, so two processes opening one new database at once apply each step
once; a step that fails leaves the database at the previous version.
"""

from __future__ import annotations

import asyncpg

from bot.store.errors import SchemaError
from bot.store.migrations import Migration, read_migrations

# pg_advisory_xact_lock's key for "migrating Command Deck's schema" (any fixed bigint).
MIGRATION_LOCK = 0x436F6D6D616E64  # "Command" in ASCII

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    integer PRIMARY KEY CHECK (version >= 1),
    name       text    NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


def load_migrations() -> tuple[Migration, ...]:
    """This backend's migration files, in order (see bot/store/migrations.py)."""
    return read_migrations("bot.store.postgres")


async def schema_version(db: asyncpg.Connection) -> int:
    """The version the database is at (0 for a new, empty database)."""
    exists = await db.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await db.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))


def _refuse_newer(current: int, latest: int) -> None:
    if current > latest:
        raise SchemaError(
            f"database is at schema version {current}, newer than this code's {latest}"
        )


async def migrate(
    db: asyncpg.Connection,
    migrations: tuple[Migration, ...],
    *,
    target: int | None = None,
) -> int:
    """Apply every pending migration up to `target` (default: all), each in one transaction.

    SchemaError, with both versions, when the database is newer than the code. Returns the
    version the database is at.
    """
    latest = len(migrations)
    goal = latest if target is None else target
    if not 0 <= goal <= latest:
        raise ValueError(f"target version {goal} outside 0..{latest}")
    current = await schema_version(db)
    _refuse_newer(current, latest)
    while current < goal:
        async with db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await db.execute(_VERSION_TABLE)
            current = await schema_version(db)  # again, under the lock
            _refuse_newer(current, latest)
            if current >= goal:
                break
            step = migrations[current]
            await db.execute(step.sql)  # no parameters: the simple protocol, many statements
            await db.execute(
                "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                step.version,
                step.name,
            )
            current = step.version
    return current
