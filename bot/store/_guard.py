"""The store's connection, saying plainly when the file cannot be written.

SQLite reports a read-only file, a full disk and a failing disk as `sqlite3.OperationalError`
with a result code, the same class as a bug in a statement. The bot must tell those apart:
a full disk is the operator's to fix, the member only needs to hear that nothing was saved,
and the bot must keep running (and retry its timers) until the file takes writes again. So
every statement of the store goes through this wrapper, which turns those result codes into
`StoreUnavailable` and lets every other error through unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import aiosqlite

from bot.store._records import StoreUnavailable

# SQLite's primary result codes (the low byte of an extended code) that mean "the file
# cannot take writes right now", with the words an operator needs.
_REASONS = {
    3: "the database file's permissions refuse it (SQLITE_PERM)",
    8: "the database file is read-only (SQLITE_READONLY)",
    10: "the disk failed to read or write the database (SQLITE_IOERR)",
    13: "the disk is full (SQLITE_FULL)",
    14: "the database file cannot be opened (SQLITE_CANTOPEN)",
}


def unavailable_reason(error: BaseException) -> str | None:
    """Why the file cannot be written, if that is what `error` says; else None."""
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(error, sqlite3.Error) or not isinstance(code, int):
        return None
    return _REASONS.get(code & 0xFF)


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        reason = unavailable_reason(exc)
        if reason is None:
            raise
        raise StoreUnavailable(reason) from exc


class GuardedConnection:
    """An aiosqlite connection whose statements raise StoreUnavailable for a read-only,
    full or failing file. Everything else is the connection's own."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.raw = db

    async def execute(self, sql: str, parameters: Any = None) -> aiosqlite.Cursor:
        """`Connection.execute`, translated."""
        with _translated():
            return await self.raw.execute(sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> aiosqlite.Cursor:
        """`Connection.executemany`, translated."""
        with _translated():
            return await self.raw.executemany(sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Any = None) -> Iterable[sqlite3.Row]:
        """`Connection.execute_fetchall`, translated."""
        with _translated():
            return await self.raw.execute_fetchall(sql, parameters)

    async def rollback(self) -> None:
        """`Connection.rollback`, translated."""
        with _translated():
            await self.raw.rollback()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)
