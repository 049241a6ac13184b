"""PostgreSQL rows as the domain's records, and the records' values as query parameters.

Times are bigint microseconds (as on SQLite), so a moment comes back as an equal aware UTC
datetime to the microsecond; JSON columns come back as the text that was written.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from bot.domain import Campaign, NewDecision, Shards
from bot.store.rows import (
    CAMPAIGN_COLUMNS,
    DECISION_COLUMNS,
    Prefixed,
    audit_from_row,
    ballot_from_row,
    before_us,
    campaign_from_row,
    decision_from_row,
    optional_us,
    settings_from_row,
)
from bot.store.times import duration_us, to_us

__all__ = [
    "CAMPAIGN_COLUMNS",
    "DECISION_COLUMNS",
    "audit",
    "ballot",
    "before_us",
    "campaign",
    "decision",
    "optional_us",
    "settings",
]

SETTINGS_COLUMNS = (
    "guild_id, vote_seconds, tie_break, quorum, blind, voter_role_id, moderator_role_id, "
    "share_choices"
)
AUDIT_COLUMNS = "id, guild_id, campaign_id, actor_id, action, detail, at"


def prefixed(columns: str, table: str) -> str:
    """`columns` qualified with a table alias: `d.id, d.campaign_id, ...`."""
    return ", ".join(f"{table}.{name.strip()}" for name in columns.split(","))


def campaign(row: asyncpg.Record, prefix: str = "") -> Campaign:
    """A campaigns row (or a joined row's columns named with `prefix`)."""
    return campaign_from_row(Prefixed(row, prefix) if prefix else row)


decision = decision_from_row
settings = settings_from_row
audit = audit_from_row
ballot = ballot_from_row


def decision_values(campaign_id: int, seq: int, new: NewDecision) -> tuple[Any, ...]:
    """INSERT_DECISION's parameters for a new vote, in order."""
    return (
        campaign_id,
        seq,
        new.scene_id,
        json.dumps(list(new.choices)),
        to_us(new.opened_at),
        optional_us(new.deadline),
        None if new.remaining is None else duration_us(new.remaining),
    )


def shard_values(shards: Shards | None) -> tuple[list[int] | None, int]:
    """(the shard ids, or None for every shard; how many shards there are)."""
    if shards is None:
        return None, 1
    return sorted(shards.ids), shards.count


def row_count(status: str) -> int:
    """The number of rows a command changed, from its status tag ("UPDATE 1", "INSERT 0 1")."""
    return int(status.rsplit(" ", 1)[-1])
