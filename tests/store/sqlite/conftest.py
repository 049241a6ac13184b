"""SQLite-only store tests: pragmas, migrations of a file, query plans, a killed writer. The
`backend` here is always SQLite, whatever `tests/store/conftest.py`'s BACKENDS holds."""

from __future__ import annotations

import pytest


@pytest.fixture
def backend() -> str:
    return "sqlite"
