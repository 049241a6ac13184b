"""A fresh, empty PostgreSQL database per test, on the server that DECK_TEST_POSTGRES names.

`.ci/run` starts a throwaway cluster and sets DECK_TEST_POSTGRES to its URL (a database
anyone may connect to, usually `postgres`) and DECK_TEST_POSTGRES_REQUIRED=1. Elsewhere the
tests that need PostgreSQL skip and say why, so the README's test command passes on a
machine without a server; with REQUIRED set, a missing or unreachable server fails them.
Each test gets its own database (CREATE DATABASE on the server, dropped after the test).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import pytest

SERVER_VARIABLE = "DECK_TEST_POSTGRES"
REQUIRED_VARIABLE = "DECK_TEST_POSTGRES_REQUIRED"


def server_url() -> str | None:
    """The test server's URL from the environment, or None."""
    return os.environ.get(SERVER_VARIABLE) or None


def with_database(url: str, name: str) -> str:
    """`url` pointing at database `name` on the same server, with the same user."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def no_server(reason: str) -> None:
    """Skip the test, or fail it where CI requires a server."""
    if os.environ.get(REQUIRED_VARIABLE):
        pytest.fail(f"PostgreSQL is required here ({REQUIRED_VARIABLE}) but {reason}")
    pytest.skip(f"PostgreSQL tests need a server: {reason}")


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """The URL of a new empty database, dropped after the test."""
    url = server_url()
    if url is None:
        no_server(f"{SERVER_VARIABLE} is not set (see .ci/postgres)")
        raise AssertionError("unreachable")
    try:
        import asyncpg
    except ImportError:
        no_server("asyncpg is not installed")
        raise AssertionError("unreachable") from None
    try:
        admin = await asyncpg.connect(url, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        host = urlsplit(url).hostname
        port = urlsplit(url).port
        no_server(f"cannot connect to {host}:{port} ({type(exc).__name__})")
        raise AssertionError("unreachable") from None
    name = "deck_test_" + secrets.token_hex(6)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')  # a name we made, never input
        yield with_database(url, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
