"""Opening a PostgreSQL database: numbered migrations, each in one transaction, the version
table, a newer schema refused, two openers at once, and what an unreachable server says."""

from __future__ import annotations

import asyncio
import inspect
import socket
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.store import SchemaError, Store, StoreUnavailable
from bot.store import load_migrations as sqlite_migrations
from bot.store.migrations import Migration
from bot.store.postgres import PostgresStore, PostgresUrl, load_migrations
from bot.store.postgres.migrate import migrate, schema_version

LATEST = len(load_migrations())


def free_port() -> int:
    """A loopback port nothing listens on (bound a moment ago, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_migrations_mirror_sqlite_number_for_number() -> None:
    ours = load_migrations()
    theirs = sqlite_migrations()
    assert [m.version for m in ours] == list(range(1, len(ours) + 1))
    assert [m.name for m in ours] == [m.name for m in theirs]


def test_the_postgres_store_is_exactly_the_contract() -> None:
    public = {name for name in dir(PostgresStore) if not name.startswith("_")}
    assert public - set(dir(Store)) == set()
    assert not inspect.isabstract(PostgresStore)
    for name in public & set(dir(Store)):
        mine, theirs = getattr(PostgresStore, name), getattr(Store, name)
        if callable(theirs):
            assert inspect.signature(mine) == inspect.signature(theirs), name


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
async def test_a_url_opens_postgres_and_answers_the_diagnostics(
    postgres_url: str, scheme: str
) -> None:
    url = scheme + postgres_url[postgres_url.index(":") :]
    async with Store.open(url) as store:
        assert isinstance(store, PostgresStore)
        assert await store.pragma("user_version") == LATEST
        assert await store.pragma("quick_check") == "ok"
        assert await store.pragma("integrity_check") == "ok"
        assert await store.pragma("foreign_key_check") is None
        with pytest.raises(ValueError, match="no diagnostic"):
            await store.pragma("journal_mode")
    async with Store.open(PostgresUrl(url)) as store:  # as the settings hold it
        assert isinstance(store, PostgresStore)


async def test_a_new_database_gets_every_migration_recorded(postgres_url: str) -> None:
    async with PostgresStore.open(postgres_url) as store:
        assert await store.pragma("user_version") == LATEST
    db = await asyncpg.connect(postgres_url)
    try:
        recorded = await db.fetch("SELECT version, name FROM schema_version ORDER BY version")
        assert [(r["version"], r["name"]) for r in recorded] == [
            (m.version, m.name) for m in load_migrations()
        ]
    finally:
        await db.close()


async def test_opening_again_applies_nothing_and_keeps_the_data(postgres_url: str) -> None:
    async with PostgresStore.open(postgres_url) as store:
        await store.set_meta("k", "v")
    async with PostgresStore.open(postgres_url) as store:
        assert await store.get_meta("k") == "v"
        assert await store.pragma("user_version") == LATEST


async def test_each_step_is_one_transaction_and_a_failing_one_leaves_the_previous(
    postgres_url: str,
) -> None:
    steps = (
        Migration(1, "0001_a.sql", "CREATE TABLE a (x integer);"),
        Migration(2, "0002_b.sql", "CREATE TABLE b (x integer); INSERT INTO nowhere VALUES (1);"),
    )
    db = await asyncpg.connect(postgres_url)
    try:
        with pytest.raises(asyncpg.UndefinedTableError):
            await migrate(db, steps)
        assert await schema_version(db) == 1
        assert await db.fetchval("SELECT to_regclass('a') IS NOT NULL")
        assert not await db.fetchval("SELECT to_regclass('b') IS NOT NULL")  # rolled back
    finally:
        await db.close()


async def test_a_database_from_newer_code_is_refused_with_both_versions(postgres_url: str) -> None:
    async with PostgresStore.open(postgres_url):
        pass
    db = await asyncpg.connect(postgres_url)
    try:
        await db.execute(
            "INSERT INTO schema_version (version, name) VALUES ($1, 'from the future')", LATEST + 3
        )
    finally:
        await db.close()
    with pytest.raises(
        SchemaError, match=rf"version {LATEST + 3}, newer than this code's {LATEST}"
    ):
        await PostgresStore.open(postgres_url)


async def test_two_openers_of_one_new_database_both_get_the_schema(postgres_url: str) -> None:
    first, second = await asyncio.gather(
        PostgresStore.open(postgres_url), PostgresStore.open(postgres_url)
    )
    try:
        assert await first.pragma("user_version") == LATEST
        assert await second.pragma("user_version") == LATEST
    finally:
        await first.close()
        await second.close()


def test_the_password_never_shows_in_the_url_text() -> None:
    url = PostgresUrl("postgresql://deck:hunter2@db.example:6543/deck")
    for shown in (repr(url), str(url), url.masked()):
        assert "hunter2" not in shown
    assert str(url) == "postgresql://deck:***@db.example:6543/deck"
    assert url.where == "db.example:6543"
    assert url.secret().endswith("hunter2@db.example:6543/deck")
    assert PostgresUrl("postgres://h/d").port == 5432


@pytest.mark.parametrize(
    "bad", ["postgresql://", "postgresql://user:pw@host", "postgresql://u:pw@host:notaport/d"]
)
def test_an_unusable_url_is_refused_without_quoting_it(bad: str) -> None:
    with pytest.raises(ValueError) as caught:
        PostgresUrl(bad)
    assert "pw" not in str(caught.value)


async def test_an_unreachable_server_names_host_and_port_but_not_the_password() -> None:
    port = free_port()
    url = f"postgresql://deck:s3cret-pw@127.0.0.1:{port}/deck"
    with pytest.raises(StoreUnavailable) as caught:
        await PostgresStore.open(url)
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message
    assert "s3cret-pw" not in message
    assert "s3cret-pw" not in repr(caught.value)


async def test_a_wrong_password_is_refused_without_quoting_it(postgres_url: str) -> None:
    parts = urlsplit(postgres_url)
    wrong = postgres_url.replace(f":{parts.password}@", ":not-the-password@", 1)
    with pytest.raises(StoreUnavailable) as caught:
        await PostgresStore.open(wrong)
    assert "not-the-password" not in str(caught.value)
    assert parts.password is None or parts.password not in str(caught.value)


async def test_every_connection_commits_durably_even_where_the_server_says_otherwise(
    postgres_url: str,
) -> None:
    """A database whose default is `synchronous_commit = off` (commits acknowledged before
    they are on disk): the store's connections still run with `on`, also after being given
    back to the pool and borrowed again, which resets a session."""
    admin = await asyncpg.connect(postgres_url)
    try:
        name = await admin.fetchval("SELECT current_database()")
        await admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await admin.close()
    async with PostgresStore.open(postgres_url) as store:
        for _ in range(3):  # every borrowing of every connection the pool holds
            async with store._pool.acquire() as db, store._pool.acquire() as other:
                for connection in (db, other):
                    assert await connection.fetchval("SHOW synchronous_commit") == "on"
                    assert await connection.fetchval("SHOW TimeZone") == "UTC"
