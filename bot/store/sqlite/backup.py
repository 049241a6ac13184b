"""A consistent copy of a live SQLite database file, with SQLite's online backup API.

Only the SQLite backend has a file to copy; a PostgreSQL database is backed up with its own
tools (`pg_dump`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path, PurePath

from bot.store.postgres_url import PostgresUrl, is_postgres_url
from bot.store.sqlite.connection import BUSY_TIMEOUT_MS


def backup_database(
    source: str | PurePath | PostgresUrl, target: Path, *, overwrite: bool = False
) -> None:
    """Copy the live database to `target` with SQLite's online backup API.

    Safe while the bot has the file open: the copy is one consistent snapshot (committed
    transactions only, never half of one), unlike copying the file with `cp`, which can tear
    a page or miss the WAL. Blocking: async callers run it with `asyncio.to_thread`. The copy
    is written beside `target`, checked with `PRAGMA quick_check`, switched to a single-file
    journal and only then renamed into place, so `target` is never a partial copy.

    Raises FileNotFoundError (no `source`), FileExistsError (`target` exists and not
    `overwrite`), ValueError (the same file, or a PostgreSQL URL: use `pg_dump`),
    sqlite3.Error (not a database, corrupt copy).
    """
    if isinstance(source, PostgresUrl) or is_postgres_url(source):
        raise ValueError("backup copies an SQLite file; back up PostgreSQL with pg_dump")
    source = Path(source)
    target = Path(target)
    if not source.is_file():
        raise FileNotFoundError(f"no database at {source}")
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists")
    if target.exists() and target.resolve() == source.resolve():
        raise ValueError(f"{target} is the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".partial", dir=target.parent
    )
    os.close(handle)
    temp = Path(temp_name)
    try:
        # mode=rw: never create an empty database where the real one was expected.
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True)
        try:
            src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            dst = sqlite3.connect(temp)
            try:
                src.backup(dst)  # all pages in one step: one read snapshot of the source
                dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
                check = dst.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise sqlite3.DatabaseError(f"the copy fails quick_check: {check}")
            finally:
                dst.close()
        finally:
            src.close()
        with temp.open("rb") as written:
            os.fsync(written.fileno())
        if target.exists() and not overwrite:
            raise FileExistsError(f"{target} already exists")
        temp.replace(target)
    finally:
        for leftover in (temp, *(Path(f"{temp}{end}") for end in ("-journal", "-wal", "-shm"))):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable too (POSIX); a no-op where folders cannot be opened."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(handle)
    finally:
        os.close(handle)
