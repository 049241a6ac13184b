"""The contract itself: `Store.open` picks the backend from the database string, and the
SQLite store offers exactly the contract's methods (so the campaign layer needs no other)."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import pytest

from bot.store import SqliteStore, Store, StoreError


def test_the_contract_cannot_be_opened_or_made_by_itself() -> None:
    assert inspect.isabstract(Store)
    with pytest.raises(TypeError):
        Store()  # type: ignore[abstract]


def test_every_public_method_of_the_sqlite_store_is_in_the_contract() -> None:
    public = {name for name in dir(SqliteStore) if not name.startswith("_")}
    assert public - set(dir(Store)) == set()
    assert not inspect.isabstract(SqliteStore)
    for name in public & set(dir(Store)):
        mine, theirs = getattr(SqliteStore, name), getattr(Store, name)
        if callable(theirs):
            assert inspect.signature(mine) == inspect.signature(theirs), name


async def test_a_path_opens_an_sqlite_file(db_path: Path) -> None:
    async with Store.open(db_path) as store:
        assert isinstance(store, SqliteStore)
    async with Store.open(str(db_path)) as store:
        assert isinstance(store, SqliteStore)
    async with SqliteStore.open(db_path) as store:
        assert isinstance(store, SqliteStore)


@pytest.mark.parametrize("url", ["postgresql://deck@db/deck", "postgres://deck@db/deck"])
async def test_a_postgres_url_needs_the_postgres_backend(url: str) -> None:
    if importlib.util.find_spec("bot.store.postgres") is not None:
        pytest.skip("this build has the PostgreSQL backend")
    with pytest.raises(StoreError, match="PostgreSQL support is not installed in this build"):
        await Store.open(url)


async def test_a_url_turned_into_a_path_is_refused_not_opened_as_a_file() -> None:
    with pytest.raises(StoreError, match="pass a str"):
        await Store.open(Path("postgresql://deck@db/deck"))


def test_a_subclass_of_the_bare_contract_says_what_it_lacks(db_path: Path) -> None:
    class Unfinished(Store):  # type: ignore[misc]
        pass

    with pytest.raises(TypeError, match=r"lacks .*cast_ballot"):
        Unfinished.open(db_path)
