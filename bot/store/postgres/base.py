"""The PostgreSQL store's connection pool: opening, migrating, closing, and running a unit.

Every method of the store runs through `_connection` (statements that commit on their own),
`_snapshot` (a read-only moment) or
`_write` (one transaction, committed before the method returns) on a connection borrowed
from an asyncpg pool. A lost connection becomes `StoreUnavailable` (nothing was written:
the server rolled the transaction back) and the pool replaces the connection, so the next
call works once the server answers again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import asyncpg

from bot.store.postgres.errors import DatabaseUnreachable, translated, unavailable_reason
from bot.store.postgres.migrate import load_migrations, migrate
from bot.store.postgres_url import PostgresUrl

POOL_MIN = 1
POOL_MAX = 10
CONNECT_TIMEOUT_S = 10.0


#: What every connection's session runs with, whatever the server's defaults: durable commits
#: and UTC. Sent with the login, so they are the session's own defaults: nothing resets them.
SESSION_SETTINGS = {"synchronous_commit": "on", "TimeZone": "UTC"}


async def _release_as_is(db: asyncpg.Connection) -> None:
    """What the pool does to a connection given back, besides rolling back a transaction
    left open (asyncpg does that itself): nothing. The store changes no session state (no
    SET, LISTEN or cursor; its advisory locks are per transaction), and asyncpg's default
    reset costs one more round trip per statement's connection, on the click path, for a
    RESET ALL that would undo settings made after the login."""


async def open_pool(url: PostgresUrl) -> asyncpg.Pool:
    """A pool on the database at `url`, its schema migrated to this code's version.

    DatabaseUnreachable (naming host:port, never the password) when the server cannot be
    reached or refuses the login; SchemaError when the database is newer than the code.
    """
    try:
        pool = await asyncpg.create_pool(
            dsn=url.secret(),
            min_size=POOL_MIN,
            max_size=POOL_MAX,
            timeout=CONNECT_TIMEOUT_S,
            server_settings=SESSION_SETTINGS,
            reset=_release_as_is,
        )
    except (asyncpg.PostgresError, asyncpg.exceptions.InterfaceError, OSError) as exc:
        reason = unavailable_reason(exc) or f"the server refused the connection ({exc})"
        raise DatabaseUnreachable(url.where, reason) from exc
    try:
        with translated(url):
            async with pool.acquire() as db:
                await migrate(db, load_migrations())
    except BaseException:
        await pool.close()
        raise
    return pool


@contextmanager
def _dropped_when_lost(db: asyncpg.Connection) -> Iterator[None]:
    """Close a connection the server cut off, so the pool opens a fresh one for the next
    call instead of handing this one out again."""
    try:
        yield
    except BaseException as exc:
        if unavailable_reason(exc) is not None and not db.is_closed():
            db.terminate()
        raise


class PostgresBase:
    """The pool and the transaction helpers the store's parts share; use `PostgresStore`."""

    def __init__(self, pool: asyncpg.Pool, url: PostgresUrl) -> None:
        """Wrap an open pool on a migrated database; use `Store.open(url)` instead."""
        self._pool = pool
        self.url = url

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url.masked()!r})"

    # --- units of work -----------------------------------------------------------------------

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection outside any transaction: each statement commits on its own."""
        with translated(self.url):
            async with self._pool.acquire() as db:
                with _dropped_when_lost(db):
                    yield db

    @asynccontextmanager
    async def _snapshot(self) -> AsyncIterator[asyncpg.Connection]:
        """A read-only transaction that sees one moment across several statements."""
        with translated(self.url):
            async with self._pool.acquire() as db:
                with _dropped_when_lost(db):
                    async with db.transaction(isolation="repeatable_read", readonly=True):
                        yield db

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[asyncpg.Connection]:
        """One transaction: committed when the block ends, rolled back on any error.

        A method returns only after its COMMIT; a lost connection rolls the transaction back
        on the server, so nothing is ever half-written.
        """
        with translated(self.url):
            async with self._pool.acquire() as db:
                with _dropped_when_lost(db):
                    async with db.transaction():
                        yield db
