"""Numbered `.sql` migrations, applied in order in one transaction, counted in user_version.

The files are `bot/store/sqlite/migrations/NNNN_reason.sql`, numbered from 1 without gaps.
Opening applies every pending one in ONE transaction and records the number in `PRAGMA
user_version`; a file newer than the code is refused (SchemaError). A new migration is a new
file; never edit a released one. (Packaging: the `.sql` files ship as package data.)

The tables:
- `guild_settings`: the voting rules; no row means the defaults of `GuildSettings`.
- `campaigns`: guild, channel, story id and content hash, status and why, the story state as
  JSON, the random seed, started and ended times. A partial UNIQUE index allows one campaign
  that has not ended per channel.
- `decisions`: campaign, seq (1, 2, 3...), scene, the offered choice ids in button order
  (JSON array), the scene message id, opened at, deadline (NULL while paused or waiting),
  time left while paused, whether the one quorum extension was used, closed at, outcome and
  how (`CloseHow`), whether the close was shown. A partial UNIQUE index allows one open
  decision per campaign.
- `ballots`: (decision, member) primary key, choice, cast at: one row per member.
- `audit_log`, `app_meta`, `guild_departures`; `crew_choices`, `crew_reach`, `crew_servers`
  (how crews chose, counted as votes close).
Times are integer microseconds since the epoch (`bot.store.times`).
"""

from __future__ import annotations

import sqlite3

import aiosqlite

from bot.store.errors import SchemaError
from bot.store.migrations import Migration, read_migrations


def load_migrations() -> tuple[Migration, ...]:
    """This backend's migration files, in order (see bot/store/migrations.py)."""
    return read_migrations("bot.store.sqlite")


def split_statements(script: str) -> list[str]:
    """Cut a script into statements, since `executescript` would commit our transaction."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    leftover = [ln for ln in buffer.splitlines() if ln.strip() and not ln.strip().startswith("--")]
    if leftover:
        raise SchemaError(f"unterminated SQL statement: {' '.join(leftover)[:80]!r}")
    return statements


async def user_version(db: aiosqlite.Connection) -> int:
    """The schema version recorded in the file (0 for a new file)."""
    rows = list(await db.execute_fetchall("PRAGMA user_version"))
    return int(rows[0][0])


async def migrate(
    db: aiosqlite.Connection,
    migrations: tuple[Migration, ...],
    *,
    target: int | None = None,
) -> int:
    """Apply every pending migration up to `target` (default: all) in one transaction.

    Either the file ends at the target version or nothing changed. Foreign keys are off
    while migrating (SQLite's advice for table rebuilds) and checked before the commit.
    Two processes opening one new file at once are safe: the version is read again after
    the write lock is taken. Returns the version the file is at.
    """
    latest = len(migrations)
    goal = latest if target is None else target
    if not 0 <= goal <= latest:
        raise ValueError(f"target version {goal} outside 0..{latest}")
    await db.execute("PRAGMA foreign_keys = OFF")
    try:
        await db.execute("BEGIN IMMEDIATE")
        try:
            current = await user_version(db)
            if current > latest:
                raise SchemaError(
                    f"database is at schema version {current}, newer than this code's {latest}"
                )
            for migration in migrations[current:goal]:
                for statement in split_statements(migration.sql):
                    await db.execute(statement)
            if goal > current:
                # PRAGMA takes no parameters; goal is an int we computed.
                await db.execute(f"PRAGMA user_version = {int(goal)}")
                broken = list(await db.execute_fetchall("PRAGMA foreign_key_check"))
                if broken:
                    raise SchemaError(f"migration left broken foreign keys: {broken[:5]}")
            await db.execute("COMMIT")
        except BaseException:
            await db.rollback()
            raise
        return max(current, goal)
    finally:
        await db.execute("PRAGMA foreign_keys = ON")
