"""The SQLite implementation of the store's contract: one file, the zero-set-up default.

`SqliteStore` is `bot.store.Store` on one SQLite file through aiosqlite; opening runs the
numbered migrations of `migrations/` (see `bot.store.sqlite.migrate` for the schema).
"""

from bot.store.migrations import Migration
from bot.store.sqlite.migrate import load_migrations
from bot.store.sqlite.statements import BATCH_QUERIES, HOT_QUERIES
from bot.store.sqlite.store import SqliteStore

__all__ = ["BATCH_QUERIES", "HOT_QUERIES", "Migration", "SqliteStore", "load_migrations"]
