"""Numbered migration files, read the same way for every backend.

Each backend keeps its own `migrations/NNNN_reason.sql` beside its code, numbered alike, so
schema version N means the same tables on SQLite and on PostgreSQL; how a step is applied
(and where the version is kept) is the backend's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources

from bot.store.errors import SchemaError

_NAME = re.compile(r"^(?P<version>\d{4})_(?P<reason>[a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered schema step read from `migrations/NNNN_reason.sql`."""

    version: int
    name: str
    sql: str = field(repr=False)


def read_migrations(package: str) -> tuple[Migration, ...]:
    """Read `package`'s `migrations/NNNN_reason.sql`; numbers must run 1, 2, 3... with no gap
    or repeat."""
    folder = resources.files(package).joinpath("migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match is None:
            if entry.name.endswith(".sql"):
                raise SchemaError(f"migration file {entry.name!r} is not named NNNN_reason.sql")
            continue
        found.append(Migration(int(match["version"]), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise SchemaError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return tuple(found)
