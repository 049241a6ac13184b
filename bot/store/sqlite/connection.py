"""The SQLite store's connection: opened with its pragmas and migrations, and saying plainly
when the file cannot be written.

Every connection runs WAL mode, `foreign_keys=ON`, a 5 s busy timeout and `synchronous`
FULL (default: a commit survives power loss) or NORMAL (faster; survives the process dying,
not the machine). Needs SQLite 3.37+ (STRICT tables) with the JSON functions.

SQLite reports a read-only file, a full disk and a failing disk as `sqlite3.OperationalError`
with a result code, the same class as a bug in a statement. The bot must tell those apart:
a full disk is the operator's to fix, the member only needs to hear that nothing was saved,
and the bot must keep running (and retry its timers) until the file takes writes again. So
every statement of the store goes through this wrapper, which turns those result codes into
`StoreUnavailable` and lets every other error through unchanged.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.errors import SchemaError, StoreUnavailable
from bot.store.sqlite.migrate import load_migrations, migrate

SYNCHRONOUS_MODES = frozenset({"FULL", "NORMAL", "EXTRA"})
BUSY_TIMEOUT_MS = 5000
MIN_SQLITE = (3, 37, 0)  # STRICT tables
WAL_ATTEMPTS = 20

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


async def _switch_to_wal(db: aiosqlite.Connection) -> list[sqlite3.Row]:
    """`PRAGMA journal_mode = WAL`, retried: switching a new file's journal does not wait on
    the busy handler, so two processes creating one file at once can see 'database is
    locked' for a moment."""
    for attempt in range(WAL_ATTEMPTS):
        try:
            return list(await db.execute_fetchall("PRAGMA journal_mode = WAL"))
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


async def open_connection(path: Path, synchronous: str) -> aiosqlite.Connection:
    """Open (creating it and its folder) and migrate the file; the connection is left in
    autocommit mode with WAL, foreign keys, the busy timeout and `synchronous` set."""
    mode = synchronous.upper()
    if mode not in SYNCHRONOUS_MODES:
        raise ValueError(f"synchronous must be one of {sorted(SYNCHRONOUS_MODES)}")
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        raise SchemaError(
            f"SQLite {sqlite3.sqlite_version} is too old; "
            f"{'.'.join(map(str, MIN_SQLITE))} or newer is needed"
        )
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        db.row_factory = sqlite3.Row
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        journal = await _switch_to_wal(db)
        if str(journal[0][0]).lower() != "wal":
            raise SchemaError(f"could not switch {path} to WAL (got {journal[0][0]})")
        await db.execute(f"PRAGMA synchronous = {mode}")  # validated above
        await migrate(db, load_migrations())  # leaves foreign_keys ON
    except BaseException:
        await db.close()
        raise
    return db
