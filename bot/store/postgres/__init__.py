"""Command Deck's storage on PostgreSQL (DATABASE=postgresql://user:password@host:port/db).

`PostgresStore` implements the store's contract (`bot.store.Store`, which opens it for such a
URL) with the same guarantees as SQLite, on an asyncpg pool. Its schema comes from
`migrations/NNNN_reason.sql`, numbered as SQLite's so version N is the same schema on both;
each step is applied in its own transaction and recorded in `schema_version`, and a database
newer than the code is refused (SchemaError). Times are bigint microseconds, as on SQLite,
so both give back identical datetimes.
"""

from bot.store.postgres.errors import DatabaseUnreachable
from bot.store.postgres.migrate import load_migrations
from bot.store.postgres.store import PostgresStore
from bot.store.postgres_url import PostgresUrl, is_postgres_url

__all__ = [
    "DatabaseUnreachable",
    "PostgresStore",
    "PostgresUrl",
    "is_postgres_url",
    "load_migrations",
]
