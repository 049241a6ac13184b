"""PostgreSQL-only store tests: migrations of a database, the password in no message, many
processes racing, connections killed under a running store, and the same answers as SQLite.
The `backend` here is always PostgreSQL, whatever `tests/store/conftest.py`'s BACKENDS holds;
the tests skip, saying why, where no server is reachable (tests/postgres.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def backend() -> str:
    return "postgres"
