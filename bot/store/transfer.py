"""`migrate-db`: a stopped bot's SQLite database copied into an empty PostgreSQL database.

The file is first brought to this code's schema (as the bot would at start), then read in
one read transaction and written in one PostgreSQL transaction, which compares what it
wrote with what it read (rows per table, the open votes and their deadlines) before it
commits: the target ends up either a faithful copy or untouched.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.store.postgres.load import load_tables
from bot.store.postgres_url import PostgresUrl
from bot.store.sqlite.dump import read_tables
from bot.store.sqlite.store import SqliteStore
from bot.store.tables import CopyRefused, DatabaseFacts

__all__ = ["CopyRefused", "copy_to_postgres"]


async def copy_to_postgres(source: Path, target: PostgresUrl) -> DatabaseFacts:
    """Copy the SQLite database at `source` into the empty PostgreSQL database `target`;
    returns what the target holds after the commit. CopyRefused (nothing written) for a
    missing file, a target that is not empty or a copy that does not match."""
    if not await asyncio.to_thread(source.is_file):
        raise CopyRefused(f"no SQLite database at {source}")
    store = await SqliteStore.connect(source)  # migrates the file to this code's schema
    await store.close()
    tables, facts = await asyncio.to_thread(read_tables, source)
    return await load_tables(target, tables, facts)
