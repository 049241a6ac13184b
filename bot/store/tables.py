"""The schema's tables as plain rows, for copying a database from one backend to another.

`migrate-db` reads every table of a stopped bot's SQLite file and writes it into an empty
PostgreSQL database of the same schema version. Both schemas have the same tables and
columns (version N means the same schema on both backends), so a table travels as its
column names and its rows. `TABLES` is the order a copy writes them in: a table after the
tables its foreign keys point at. A migration that adds a table adds it here too; a copy
meeting a table not listed refuses, rather than leave it behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

TABLES: tuple[str, ...] = (
    "guild_settings",
    "campaigns",
    "decisions",
    "ballots",
    "audit_log",
    "app_meta",
    "guild_departures",
    "crew_choices",
    "crew_servers",
    "crew_reach",
)

#: The tables whose `id` the database numbers itself: the copy moves their counters past it.
NUMBERED: tuple[str, ...] = ("campaigns", "decisions", "audit_log")


class CopyRefused(Exception):
    """The copy cannot go ahead (a target that is not empty, schemas that differ); nothing
    was written."""


@dataclass(frozen=True, slots=True)
class TableRows:
    """One table: its column names and every row, in column order."""

    name: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class DatabaseFacts:
    """What a copy checks on both sides: rows per table, and the open votes with deadlines
    (decision id -> deadline in microseconds, None while paused or waiting)."""

    schema_version: int
    counts: dict[str, int]
    open_votes: dict[int, int | None]
