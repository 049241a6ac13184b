"""What every database must hold after any run, however it ended: read the same way from
either backend (`rows_of`), and checked campaign by campaign (`check_campaign`): decisions
numbered 1..n with only the last one open, the story moved once per close (a vote closed twice
would add a step or a second next vote), and the campaign's status matching its last vote.
Shared by the SIGKILL trials and the two shard processes' test."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Rows:
    """What a database holds after a kill, read the same way from either backend."""

    ballots: list[Any]
    decisions: list[Any]  # ordered by campaign and seq
    campaigns: list[Any]


BALLOTS = "SELECT decision_id, member_id, choice_id FROM ballots"
DECISIONS = "SELECT * FROM decisions ORDER BY campaign_id, seq"
CAMPAIGNS = "SELECT * FROM campaigns"


def sqlite_rows(db: Path) -> Rows | None:
    """The file's rows after its integrity checks; None if no migration had committed."""
    raw = sqlite3.connect(db)
    raw.row_factory = sqlite3.Row
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall()[0][0] == "ok"
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "ballots" not in tables:  # killed before the first migration committed
            return None
        return Rows(*(raw.execute(query).fetchall() for query in (BALLOTS, DECISIONS, CAMPAIGNS)))
    finally:
        raw.close()


async def postgres_rows(url: str) -> Rows | None:
    """The database's rows (PostgreSQL checks its foreign keys on every write); None if no
    migration had committed."""
    import asyncpg

    db = await asyncpg.connect(url)
    try:
        if await db.fetchval("SELECT to_regclass('ballots')") is None:
            return None
        return Rows(*[await db.fetch(query) for query in (BALLOTS, DECISIONS, CAMPAIGNS)])
    finally:
        await db.close()


async def rows_of(db: Path | str) -> Rows | None:
    return await postgres_rows(db) if isinstance(db, str) else sqlite_rows(db)


def check_campaign(campaign: Any, rows: list[Any]) -> list[tuple[int, int]]:
    where = f"campaign {campaign['id']} ({campaign['status']})"
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1)), where
    assert rows, f"{where} has no decision"
    assert all(r["closed_at"] is not None for r in rows[:-1]), where
    last = rows[-1]
    state = json.loads(campaign["state_json"])
    status = campaign["status"]
    # The story moved once per close (how 'ended' moves nothing); idle no-choice scenes
    # may add steps of their own, never a chosen one.
    moved = [r for r in rows if r["closed_at"] is not None and r["how"] != "ended"]
    path = state["path"]
    at = 0
    for row in moved:
        assert at < len(path), f"{where}: vote {row['seq']} closed but the story did not move"
        step = path[at]
        assert (step["scene"], step["choice"]) == (row["scene_id"], row["outcome"]), where
        at += 1
        while at < len(path) and step["to"] != (
            rows[row["seq"]]["scene_id"] if row["seq"] < len(rows) else state["scene"]
        ):
            assert path[at]["choice"] is None and path[at]["how"] == "no_decision", where
            step = path[at]
            at += 1
    assert at == len(path), f"{where}: the story moved {len(path)} times for {len(moved)} closes"
    if status == "running":
        assert last["closed_at"] is None and last["deadline"] is not None, where
        assert last["remaining_us"] is None and last["scene_id"] == state["scene"], where
        assert not state["ended"], where
        return [(last["id"], last["deadline"])]
    if status == "paused":
        assert last["closed_at"] is None and last["deadline"] is None, where
        assert last["remaining_us"] is not None, where
    elif status == "waiting":
        assert last["closed_at"] is None and last["deadline"] is None, where
        assert last["remaining_us"] is None, where
    else:
        assert status == "ended" and campaign["ended_at"] is not None, where
        assert last["closed_at"] is not None, where
        assert state["ended"] or last["how"] == "ended", where
    return []
