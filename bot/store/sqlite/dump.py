"""Every table of an SQLite database as rows, for `migrate-db` (see bot/store/tables.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.store.tables import TABLES, CopyRefused, DatabaseFacts, TableRows


def read_tables(path: Path) -> tuple[list[TableRows], DatabaseFacts]:
    """Read every table of the file at `path`, read-only, in one transaction (the bot should
    be stopped; a reader never blocks it anyway). Refuses a table `TABLES` does not list."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        db.execute("BEGIN")
        names = {
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        unknown = sorted(names - set(TABLES))
        if unknown:
            raise CopyRefused(f"the SQLite file has tables this code does not copy: {unknown}")
        tables = []
        for name in TABLES:
            if name not in names:
                raise CopyRefused(f"the SQLite file has no table {name!r}: not this schema")
            cursor = db.execute(f'SELECT * FROM "{name}"')
            columns = tuple(column[0] for column in cursor.description)
            tables.append(TableRows(name, columns, cursor.fetchall()))
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        open_votes = {
            int(row[0]): row[1]
            for row in db.execute("SELECT id, deadline FROM decisions WHERE closed_at IS NULL")
        }
        db.execute("COMMIT")
    finally:
        db.close()
    counts = {table.name: len(table.rows) for table in tables}
    return tables, DatabaseFacts(version, counts, open_votes)
