"""Operator reads: a consistent backup of the file and one guild's data as plain JSON.

Kept beside the repository because the bot's SQL lives only in `bot/store`. Neither function
writes to the live database, and both work while the bot has it open (WAL mode lets a reader
see a consistent snapshot while a writer carries on).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.store._records import Campaign, Decision
from bot.store._store import BUSY_TIMEOUT_MS, Store, _campaign, _decision

EXPORT_FORMAT = "command-deck-guild-export"
EXPORT_VERSION = 1

_CAMPAIGNS = (
    "SELECT id, guild_id, channel_id, story_id, story_hash, status, status_reason, state_json, "
    "seed, started_at, ended_at FROM campaigns WHERE guild_id = :g ORDER BY started_at, id"
)
_DECISIONS = (
    "SELECT d.id, d.campaign_id, d.seq, d.scene_id, d.choices, d.message_id, d.opened_at, "
    "d.deadline, d.remaining_us, d.extended, d.closed_at, d.outcome, d.how "
    "FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id "
    "WHERE c.guild_id = :g ORDER BY d.campaign_id, d.seq"
)
# Counts per offered choice (zeros included), never who cast them: member ids stay in here.
_TALLIES = (
    "SELECT d.id AS decision_id, j.value AS choice_id, "
    "(SELECT count(*) FROM ballots AS b "
    "  WHERE b.decision_id = d.id AND b.choice_id = j.value) AS n "
    "FROM decisions AS d JOIN campaigns AS c ON c.id = d.campaign_id "
    "JOIN json_each(d.choices) AS j "
    "WHERE c.guild_id = :g ORDER BY d.id, j.key"
)
_SETTINGS = (
    "SELECT vote_seconds, tie_break, quorum, blind, share_choices, voter_role_id, "
    "moderator_role_id "
    "FROM guild_settings WHERE guild_id = :g"
)


def _snowflake(value: int | None) -> str | None:
    """Discord ids as strings, as Discord's API writes them: JSON readers in JavaScript would
    round a 64-bit number."""
    return None if value is None else str(value)


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _decision_json(decision: Decision, tally: dict[str, int]) -> dict[str, Any]:
    return {
        "seq": decision.seq,
        "scene": decision.scene_id,
        "choices": list(decision.choices),
        "message_id": _snowflake(decision.message_id),
        "opened_at": _time(decision.opened_at),
        "deadline": _time(decision.deadline),
        "paused_seconds_left": (
            None if decision.remaining is None else decision.remaining.total_seconds()
        ),
        "extended": decision.extended,
        "closed_at": _time(decision.closed_at),
        "outcome": decision.outcome,
        "how": None if decision.how is None else decision.how.value,
        "tally": tally,
        "ballots": sum(tally.values()),
    }


def _campaign_json(campaign: Campaign, decisions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "channel_id": _snowflake(campaign.channel_id),
        "story_id": campaign.story_id,
        "story_hash": campaign.story_hash,
        "status": campaign.status.value,
        "status_reason": campaign.status_reason,
        "seed": campaign.seed,
        "started_at": _time(campaign.started_at),
        "ended_at": _time(campaign.ended_at),
        "state": json.loads(campaign.state_json),
        "decisions": decisions,
    }


async def export_guild(store: Store, guild_id: int) -> dict[str, Any]:
    """One guild's voting rules, campaigns, decisions and ballot counts, as JSON-ready data.

    Read in one transaction, so the export is a single consistent moment even while the bot
    writes. Ballots leave only as counts per choice: no member id is in the result.
    """
    params = {"g": guild_id}
    async with store._lock:
        db = store._db
        try:
            # Deferred: a read snapshot, no write lock. Inside the try, as in Store._write:
            # a cancelled BEGIN still runs on the connection's thread and must be ended.
            await db.execute("BEGIN")
            version = next(iter(await db.execute_fetchall("PRAGMA user_version")))[0]
            settings = list(await db.execute_fetchall(_SETTINGS, params))
            campaigns = [_campaign(r) for r in await db.execute_fetchall(_CAMPAIGNS, params)]
            decisions = [_decision(r) for r in await db.execute_fetchall(_DECISIONS, params)]
            tally_rows = list(await db.execute_fetchall(_TALLIES, params))
        finally:
            await db.rollback()  # nothing was written; ends the read transaction
    tallies: dict[int, dict[str, int]] = {}
    for row in tally_rows:
        tallies.setdefault(row["decision_id"], {})[row["choice_id"]] = row["n"]
    by_campaign: dict[int, list[dict[str, Any]]] = {}
    for decision in decisions:
        by_campaign.setdefault(decision.campaign_id, []).append(
            _decision_json(decision, tallies.get(decision.id, {}))
        )
    rules = None
    if settings:
        row = settings[0]
        rules = {
            "vote_seconds": row["vote_seconds"],
            "tie_break": row["tie_break"],
            "quorum": row["quorum"],
            "blind": bool(row["blind"]),
            "share_choices": bool(row["share_choices"]),
            "voter_role_id": _snowflake(row["voter_role_id"]),
            "moderator_role_id": _snowflake(row["moderator_role_id"]),
        }
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "schema_version": int(version),
        "guild_id": _snowflake(guild_id),
        "settings": rules,  # None: the guild never changed the defaults
        "campaigns": [_campaign_json(c, by_campaign.get(c.id, [])) for c in campaigns],
    }


def backup_database(source: Path, target: Path, *, overwrite: bool = False) -> None:
    """Copy the live database to `target` with SQLite's online backup API.

    Safe while the bot has the file open: the copy is one consistent snapshot (committed
    transactions only, never half of one), unlike copying the file with `cp`, which can tear
    a page or miss the WAL. Blocking: async callers run it with `asyncio.to_thread`. The copy
    is written beside `target`, checked with `PRAGMA quick_check`, switched to a single-file
    journal and only then renamed into place, so `target` is never a partial copy.

    Raises FileNotFoundError (no `source`), FileExistsError (`target` exists and not
    `overwrite`), ValueError (the same file), sqlite3.Error (not a database, corrupt copy).
    """
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


__all__ = ["EXPORT_FORMAT", "EXPORT_VERSION", "backup_database", "export_guild"]
