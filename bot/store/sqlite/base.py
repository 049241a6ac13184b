"""What every table group of the SQLite store shares: one guarded connection, the lock that
keeps a method's statements together, and the transaction helpers.

One connection per store; an asyncio lock keeps each method's statements from interleaving
with another coroutine's. Multi-statement writes use `BEGIN IMMEDIATE`, so a second store or
process on the same file waits for the busy timeout rather than deadlocking.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.sqlite.connection import GuardedConnection


class SqliteBase:
    """The connection and its lock, under every table group of `SqliteStore`."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        """Wrap an open, migrated connection; use `Store.open` instead."""
        self._db = GuardedConnection(db)  # a read-only or full file: StoreUnavailable
        self._lock = asyncio.Lock()
        self.path = path

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[GuardedConnection]:
        """Hold the connection for one IMMEDIATE transaction; commit, or roll back on error.

        A cancelled caller still leaves the connection clean: a statement already sent runs
        on the connection's thread anyway, so the rollback is queued behind it, and that
        includes the BEGIN itself (hence inside the try). Rolling back with no transaction
        open is a no-op. A caller cancelled while its COMMIT was in flight may find the
        change made; the exactly-once checks make a retry safe.
        """
        async with self._lock:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.rollback()
                raise

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[GuardedConnection]:
        """Hold the connection for one read transaction: every read inside sees one
        consistent moment while other connections write (WAL); nothing is written."""
        async with self._lock:
            try:
                # Deferred: a read snapshot, no write lock. Inside the try, as in `_write`:
                # a cancelled BEGIN still runs on the connection's thread and must be ended.
                await self._db.execute("BEGIN")
                yield self._db
            finally:
                await self._db.rollback()  # nothing was written; ends the read transaction

    async def _fetchall(self, sql: str, params: Mapping[str, Any]) -> list[sqlite3.Row]:
        async with self._lock:
            return list(await self._db.execute_fetchall(sql, params))

    async def _fetchone(self, sql: str, params: Mapping[str, Any]) -> sqlite3.Row | None:
        rows = await self._fetchall(sql, params)
        return rows[0] if rows else None
