"""Which backend a database string names, and the opener `Store.open` hands back.

`postgresql://...` and `postgres://...` URLs name the PostgreSQL backend; anything else is a
path to an SQLite file. Each backend is imported only when it is chosen, so a build without
PostgreSQL's driver still opens SQLite files.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Generator
from pathlib import PurePath
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from bot.store.errors import StoreError
from bot.store.postgres_url import PostgresUrl, is_postgres_url

if TYPE_CHECKING:
    from bot.store.contract import Store


def backend_for(database: str | PurePath | PostgresUrl) -> type[Store]:
    """The Store implementation that opens `database`.

    Raises StoreError when the string names PostgreSQL and this build cannot talk to it,
    or when a Path was made from a URL (`Path` folds its `//`, so a URL must stay a str).
    """
    if is_postgres_url(database):
        try:
            backend = importlib.import_module("bot.store.postgres").PostgresStore
        except (ImportError, AttributeError) as exc:
            raise StoreError(
                f"PostgreSQL support is not installed in this build ({exc}); use an SQLite"
                " file path, or install the PostgreSQL driver"
            ) from exc
        return cast("type[Store]", backend)
    if isinstance(database, PurePath) and str(database).lower().startswith(
        ("postgresql:", "postgres:")
    ):
        raise StoreError(f"{database} looks like a PostgreSQL URL turned into a path; pass a str")
    from bot.store.sqlite import SqliteStore

    return SqliteStore


class StoreOpening:
    """What `Store.open` returns: `await` it for an open Store, or `async with` it to have
    the store closed when the block ends."""

    def __init__(self, connect: Callable[[], Awaitable[Store]]) -> None:
        self._connect = connect
        self._store: Store | None = None

    def __await__(self) -> Generator[Any, None, Store]:
        return self._connect().__await__()

    async def __aenter__(self) -> Store:
        self._store = await self._connect()
        return self._store

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._store is not None:
            await self._store.close()
