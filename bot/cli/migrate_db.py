"""`python -m bot migrate-db --to postgresql://...`: move a stopped bot to PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.store import StoreError
from bot.store.postgres_url import PostgresUrl, is_postgres_url
from bot.store.transfer import CopyRefused, copy_to_postgres


def cmd_migrate_db(
    source: Path | PostgresUrl, target: str, console: Console, errors: Console
) -> int:
    """Copy the SQLite database `source` into the empty PostgreSQL database `target`, then
    show what was checked; one line and exit 1 when the copy is refused (nothing written)."""
    if isinstance(source, PostgresUrl):
        errors.print("migrate-db copies an SQLite file: DATABASE is already a PostgreSQL URL")
        return 1
    if not is_postgres_url(target):
        errors.print("--to takes a postgresql://user:password@host:port/dbname URL")
        return 1
    url = PostgresUrl(target)
    try:
        facts = asyncio.run(copy_to_postgres(source, url))
    except (CopyRefused, StoreError, OSError, sqlite3.Error) as error:
        errors.print(f"migrate-db refused: {escape(str(error))}")
        return 1
    table = Table(title=f"copied {escape(str(source))} to {escape(url.masked())}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in facts.counts.items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    paused = sum(deadline is None for deadline in facts.open_votes.values())
    console.print(
        f"schema {facts.schema_version}; {len(facts.open_votes):,} open votes with the same"
        f" deadlines ({paused:,} paused or waiting); rows per table match. Point DATABASE at"
        " the PostgreSQL URL and start the bot."
    )
    return 0
