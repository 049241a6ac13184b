"""PostgreSQL's failures that mean "the database cannot take this now", as StoreUnavailable.

A lost connection (the server restarted, an operator ran pg_terminate_backend, the network
dropped), a server that refuses connections, a full disk or a read-only standby all leave
nothing written: the transaction is rolled back by the server. The bot must tell those apart
from a bug in a statement, tell the member to try again, and keep running while the pool
reconnects. Messages name the server as host:port and never carry the password.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from bot.store.errors import StoreUnavailable
from bot.store.postgres_url import PostgresUrl

# SQLSTATE classes and codes that mean "not now", with the words an operator needs.
_REASONS: dict[type[BaseException], str] = {
    asyncpg.exceptions.PostgresConnectionError: "the connection failed",
    asyncpg.exceptions.AdminShutdownError: "the server ended the connection (a shutdown or"
    " pg_terminate_backend)",
    asyncpg.exceptions.CrashShutdownError: "the server restarted after a crash",
    asyncpg.exceptions.CannotConnectNowError: "the server is starting up or shutting down",
    asyncpg.exceptions.QueryCanceledError: "the server cancelled the statement",
    asyncpg.exceptions.InsufficientResourcesError: "the server is out of resources (disk full,"
    " too many connections)",
    asyncpg.exceptions.ReadOnlySQLTransactionError: "the server is read-only (a standby?)",
}


class DatabaseUnreachable(StoreUnavailable):
    """The PostgreSQL server cannot take writes now; nothing was written. Say try again."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(reason)
        self.args = (f"PostgreSQL at {where}: {reason}",)  # what str() and logs show
        self.where = where
        self.message = (
            "Command Deck could not save this: its database could not be reached. Your"
            " click was not counted; please try again in a moment."
        )


def unavailable_reason(error: BaseException) -> str | None:
    """Why the server cannot take work now, if that is what `error` says; else None."""
    for kind, reason in _REASONS.items():
        if isinstance(error, kind):
            return reason
    if isinstance(error, asyncpg.exceptions.InterfaceError) and "closed" in str(error):
        return "the connection was closed"
    if isinstance(error, asyncpg.exceptions._base.InternalClientError):
        # The driver's state after the server cut a connection it was using; the store never
        # shares a connection between calls, so nothing else leads here.
        return "the connection was cut off"
    if isinstance(error, TimeoutError):
        return "no answer in time"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(error, socket.gaierror):
        return "the host name is not known"
    if isinstance(error, OSError):
        return f"cannot connect ({error.strerror or type(error).__name__})"
    return None


@contextmanager
def translated(url: PostgresUrl) -> Iterator[None]:
    """Run a block; a "not now" failure leaves it as DatabaseUnreachable naming host:port."""
    try:
        yield
    except (
        asyncpg.PostgresError,
        asyncpg.exceptions.InterfaceError,
        asyncpg.exceptions._base.InternalClientError,
        OSError,
    ) as exc:
        reason = unavailable_reason(exc)
        if reason is None:
            raise
        raise DatabaseUnreachable(url.where, reason) from exc
