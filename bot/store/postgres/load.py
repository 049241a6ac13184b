"""Writing a copied database's tables into an empty PostgreSQL database, for `migrate-db`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from bot.store.postgres.base import open_pool
from bot.store.postgres.errors import translated
from bot.store.postgres.migrate import schema_version
from bot.store.postgres_url import PostgresUrl
from bot.store.tables import NUMBERED, TABLES, CopyRefused, DatabaseFacts, TableRows


async def _facts(db: asyncpg.Connection) -> DatabaseFacts:
    counts = {name: int(await db.fetchval(f'SELECT count(*) FROM "{name}"')) for name in TABLES}
    rows = await db.fetch("SELECT id, deadline FROM decisions WHERE closed_at IS NULL")
    return DatabaseFacts(
        await schema_version(db), counts, {int(r["id"]): r["deadline"] for r in rows}
    )


def _typed(rows: Sequence[tuple[Any, ...]], booleans: list[int]) -> list[tuple[Any, ...]]:
    """SQLite keeps booleans as 0 and 1; PostgreSQL's boolean columns want True and False."""
    if not booleans:
        return [tuple(row) for row in rows]
    out = []
    for row in rows:
        values = list(row)
        for index in booleans:
            if values[index] is not None:
                values[index] = bool(values[index])
        out.append(tuple(values))
    return out


async def load_tables(
    url: PostgresUrl, tables: Sequence[TableRows], expected: DatabaseFacts
) -> DatabaseFacts:
    """Migrate the database at `url`, check it is empty and of the source's schema version,
    then write every table in ONE transaction and move the id counters past the copied ids.
    Before the commit, what the database holds is read back and compared with `expected`
    (rows per table, the open votes and their deadlines): a difference rolls it all back."""
    version = expected.schema_version
    pool = await open_pool(url)
    try:
        with translated(url):
            async with pool.acquire() as db, db.transaction():
                before = await _facts(db)
                if before.schema_version != version:
                    raise CopyRefused(
                        f"the SQLite file is at schema {version}, PostgreSQL at"
                        f" {before.schema_version}: run both on the same version of the bot"
                    )
                filled = {name: n for name, n in before.counts.items() if n}
                if filled:
                    raise CopyRefused(f"the PostgreSQL database is not empty: {filled}")
                for table in tables:
                    kinds = {
                        r["column_name"]: r["data_type"]
                        for r in await db.fetch(
                            "SELECT column_name, data_type FROM information_schema.columns"
                            " WHERE table_schema = current_schema() AND table_name = $1",
                            table.name,
                        )
                    }
                    missing = [column for column in table.columns if column not in kinds]
                    if missing or len(kinds) != len(table.columns):
                        raise CopyRefused(
                            f"table {table.name}: the columns differ (SQLite {table.columns},"
                            f" PostgreSQL {tuple(sorted(kinds))})"
                        )
                    booleans = [
                        i for i, column in enumerate(table.columns) if kinds[column] == "boolean"
                    ]
                    if table.rows:
                        await db.copy_records_to_table(
                            table.name,
                            records=_typed(table.rows, booleans),
                            columns=list(table.columns),
                        )
                for name in NUMBERED:
                    await db.execute(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"
                        f" coalesce(max(id), 1), max(id) IS NOT NULL) FROM {name}"
                    )
                after = await _facts(db)
                if after != expected:
                    raise CopyRefused(
                        "the copy does not match its source (nothing was kept):"
                        f" {after.counts} and {len(after.open_votes)} open votes, expected"
                        f" {expected.counts} and {len(expected.open_votes)}"
                    )
                return after
    finally:
        await pool.close()
