"""Command Deck's storage: the store's contract and its backends. All of the bot's SQL lives
here.

    store = await Store.open(database)   ...   await store.close()
    async with Store.open(database) as store: ...

`Store` (`bot.store.contract`) is the interface the campaign layer uses, with the guarantees
each backend keeps. `database` chooses the backend: a `postgresql://` or `postgres://` URL
opens `bot.store.postgres.PostgresStore` (several processes, one database); anything else is
the path of an SQLite file, `bot.store.sqlite.SqliteStore` (the default, created with its
folder if missing). The errors the store raises on purpose are in `bot.store.errors`.
"""

from bot.store.contract import Store
from bot.store.errors import (
    AlreadyClosed,
    CampaignEnded,
    ChannelBusy,
    GuildFull,
    NotFound,
    SchemaError,
    StoreError,
    StoreUnavailable,
    TallyChanged,
)
from bot.store.opening import StoreOpening
from bot.store.snapshot import GuildSnapshot
from bot.store.sqlite import BATCH_QUERIES, HOT_QUERIES, SqliteStore, load_migrations

__all__ = [
    "BATCH_QUERIES",
    "HOT_QUERIES",
    "AlreadyClosed",
    "CampaignEnded",
    "ChannelBusy",
    "GuildFull",
    "GuildSnapshot",
    "NotFound",
    "SchemaError",
    "SqliteStore",
    "Store",
    "StoreError",
    "StoreOpening",
    "StoreUnavailable",
    "TallyChanged",
    "load_migrations",
]
