"""The operator's commands: back up the database, export a server's data, check health."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from bot.config import Settings, SettingsError, load_settings
from bot.store import Store, StoreError
from bot.store._export import backup_database, export_guild
from bot.store.postgres_url import PostgresUrl
from bot.story import load_stories
from bot.story.loader import display_path


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("bytes", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def cmd_backup(
    database: Path | PostgresUrl, target: Path, force: bool, console: Console, errors: Console
) -> int:
    """Copy the live database with SQLite's online backup; never overwrite without --force.
    A PostgreSQL database is refused with a pointer to pg_dump."""
    try:
        # A worker thread, as the bot would run it, so the same call never blocks a loop.
        asyncio.run(asyncio.to_thread(backup_database, database, target, overwrite=force))
    except FileExistsError:
        errors.print(f"{escape(str(target))} exists; pass --force to overwrite it")
        return 1
    except FileNotFoundError:
        errors.print(f"No database at {escape(str(database))}")
        return 1
    except (OSError, ValueError, sqlite3.Error) as error:
        errors.print(f"Backup failed: {escape(str(error))}")
        return 1
    console.print(f"backed up {escape(str(database))} to {escape(str(target))} ({_size(target)})")
    return 0


async def _export(database: Path | PostgresUrl, guild_id: int) -> dict[str, Any]:
    async with Store.open(database) as store:
        return await export_guild(store, guild_id)


def cmd_export(
    database: Path | PostgresUrl,
    guild_id: int,
    output: Path | None,
    console: Console,
    errors: Console,
) -> int:
    """One guild's data as JSON: campaigns, decisions and ballot counts, no member ids."""
    if guild_id <= 0:
        errors.print("--guild must be a server id (a positive whole number)")
        return 2
    if isinstance(database, Path) and not database.is_file():  # opening would create one
        errors.print(f"No database at {escape(str(database))}")
        return 1
    try:
        data = asyncio.run(_export(database, guild_id))
    except (StoreError, OSError, sqlite3.Error) as error:
        errors.print(f"Export failed: {escape(str(error))}")
        return 1
    data = {**data, "exported_at": datetime.now(UTC).isoformat()}
    campaigns = data["campaigns"]
    if not campaigns:
        errors.print(f"Guild {guild_id} has no campaigns in {escape(str(database))}")
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
        return 0
    output.write_text(text, encoding="utf-8")
    decisions = sum(len(c["decisions"]) for c in campaigns)
    console.print(
        f"wrote {escape(display_path(output))}: {len(campaigns)} campaign(s),"
        f" {decisions} decision(s)"
    )
    return 0


async def _database_health(
    database: Path | PostgresUrl, synchronous: str
) -> tuple[str | None, str]:
    """(failure, fact): whether the bot could open the database, and its schema version.

    On PostgreSQL that is connecting and checking the schema version is this code's."""
    try:
        async with Store.open(database, synchronous=synchronous) as store:
            check = await store.pragma("quick_check")
            version = await store.pragma("user_version")
    except (StoreError, OSError, ValueError, sqlite3.Error) as error:
        return f"database {database} does not open: {error}", ""
    if check != "ok":
        return f"database {database} fails quick_check: {check}", ""
    return None, f"database {database} ok (schema {version})"


def cmd_health(database: Path | None, content: Path | None, console: Console) -> int:
    """One line and an exit code for Docker's HEALTHCHECK and for people.

    Unhealthy (1): bad settings, a database that does not open or fails `quick_check`, or no
    story that loads. A broken story next to working ones is a warning: the bot serves the
    others, as it does at start.
    """
    failures: list[str] = []
    facts: list[str] = []
    warnings: list[str] = []
    try:
        settings = load_settings()
    except SettingsError as error:
        bad = "; ".join(line.strip() for line in str(error).splitlines()[1:])
        console.print(escape(f"unhealthy: {bad}"))
        return 1
    settings = _with(settings, database, content)
    # Opening a missing file would create an empty one; a PostgreSQL URL is checked by
    # connecting (the database must exist, its schema be this code's version).
    if isinstance(settings.database, PostgresUrl) or settings.database.is_file():
        failure, fact = asyncio.run(
            _database_health(settings.database, settings.sqlite_synchronous)
        )
        failures.extend([failure] if failure else [])
        facts.extend([fact] if fact else [])
    else:
        failures.append(f"no database at {settings.database}")
    folder = settings.content_dir
    loaded = load_stories(folder)
    for where, problems in loaded.problems.items():
        warnings.append(f"story {where} is broken ({len(problems)} problem(s))")
    if not folder.is_dir():
        failures.append(f"no content folder {folder}")
    elif not loaded.stories:
        failures.append(f"no story loads under {folder}")
    else:
        count = len(loaded.stories)
        names = ", ".join(sorted(loaded.stories))
        facts.append(f"{count} {'story' if count == 1 else 'stories'} ({names})")
    status = "unhealthy" if failures else "healthy, with warnings" if warnings else "healthy"
    console.print(escape(f"{status}: " + "; ".join([*failures, *facts, *warnings])))
    return 1 if failures else 0


def _with(settings: Settings, database: Path | None, content: Path | None) -> Settings:
    """The settings with the command line's overrides applied."""
    changes: dict[str, Path] = {}
    if database is not None:
        changes["database"] = database
    if content is not None:
        changes["content_dir"] = content
    return settings.model_copy(update=changes)
