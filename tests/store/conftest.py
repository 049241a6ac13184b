"""Fixtures for the store tests: a fresh, real database per test, never a mock.

The tests of `tests/store` run against the contract (`bot.store.Store`) once per backend in
BACKENDS, through the `backend` fixture: ask for `store` (an open store) or `database` (what
`Store.open` takes, to open it again or from a second "process"). Adding a backend is adding
its name to BACKENDS and a `<name>_url` fixture that gives a fresh, empty database of it
(e.g. `postgres_url`), plus a `<name>_integrity_error` fixture if its integrity error is not
SQLite's. A test that asks for `db_path` is SQLite-specific (it opens the file itself) and
runs once, whatever BACKENDS holds; `tests/store/sqlite/` holds the SQLite-only modules.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.postgres import postgres_url

#: The backends every contract test runs on. PostgreSQL's runs skip, saying why, where no
#: server is reachable (see tests/postgres.py; .ci/run starts one).
BACKENDS = ("sqlite", "postgres")

__all__ = ["postgres_url"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend this run of a contract test is on."""
    return str(request.param)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """An SQLite file (not yet created): the test using it is SQLite-specific."""
    return tmp_path / "data" / "command-deck.db"


@pytest.fixture
def database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str | Path:
    """A fresh, empty database of `backend`, as `Store.open` takes it."""
    if backend == "sqlite":
        return tmp_path / "data" / "command-deck.db"
    return request.getfixturevalue(f"{backend}_url")  # e.g. `postgres_url`: a str URL


@pytest.fixture
def integrity_error(backend: str, request: pytest.FixtureRequest) -> type[Exception]:
    """What the backend's database raises when a value breaks a table's CHECK."""
    if backend == "sqlite":
        return sqlite3.IntegrityError
    return request.getfixturevalue(f"{backend}_integrity_error")


@pytest.fixture
def postgres_integrity_error() -> tuple[type[Exception], ...]:
    """What PostgreSQL raises for a value a table refuses: a CHECK or key broken (integrity
    constraint violation), or text that is not JSON for a json column (data exception)."""
    import asyncpg

    return (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError)


@pytest.fixture
async def store(database: str | Path) -> AsyncIterator[Store]:
    async with Store.open(database) as opened:
        yield opened
