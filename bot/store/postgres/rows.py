"""PostgreSQL rows as the domain's records, and the records' values as query parameters.

Times are bigint microseconds (as on SQLite), so a moment comes back as an equal aware UTC
datetime to the microsecond; JSON columns come back as the text that was written.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bot.domain import (
    AuditEntry,
    Ballot,
    Campaign,
    CampaignStatus,
    CloseHow,
    Decision,
    GuildSettings,
    NewDecision,
    Shards,
    TieBreak,
)
from bot.store.times import duration_us, from_us, to_us

CAMPAIGN_COLUMNS = (
    "id, guild_id, channel_id, story_id, story_hash, status, status_reason, state_json, seed, "
    "started_at, ended_at"
)
DECISION_COLUMNS = (
    "id, campaign_id, seq, scene_id, choices, message_id, opened_at, deadline, remaining_us, "
    "extended, closed_at, outcome, how"
)
SETTINGS_COLUMNS = (
    "guild_id, vote_seconds, tie_break, quorum, blind, voter_role_id, moderator_role_id, "
    "share_choices"
)
AUDIT_COLUMNS = "id, guild_id, campaign_id, actor_id, action, detail, at"
NEVER = 2**63 - 1  # "no bound" for a bigint microseconds comparison


def prefixed(columns: str, table: str) -> str:
    """`columns` qualified with a table alias: `d.id, d.campaign_id, ...`."""
    return ", ".join(f"{table}.{name.strip()}" for name in columns.split(","))


def optional_us(moment: datetime | None) -> int | None:
    """Microseconds for a moment that may be missing."""
    return None if moment is None else to_us(moment)


def before_us(moment: datetime | None) -> int:
    """An upper bound in microseconds; no bound when `moment` is None."""
    return NEVER if moment is None else to_us(moment)


def campaign(row: asyncpg.Record, prefix: str = "") -> Campaign:
    """A campaigns row (or a joined row's columns named with `prefix`)."""
    ended = row[prefix + "ended_at"]
    return Campaign(
        id=row[prefix + "id"],
        guild_id=row[prefix + "guild_id"],
        channel_id=row[prefix + "channel_id"],
        story_id=row[prefix + "story_id"],
        story_hash=row[prefix + "story_hash"],
        status=CampaignStatus(row[prefix + "status"]),
        status_reason=row[prefix + "status_reason"],
        state_json=row[prefix + "state_json"],
        seed=row[prefix + "seed"],
        started_at=from_us(row[prefix + "started_at"]),
        ended_at=None if ended is None else from_us(ended),
    )


def decision(row: asyncpg.Record) -> Decision:
    """A decisions row."""
    return Decision(
        id=row["id"],
        campaign_id=row["campaign_id"],
        seq=row["seq"],
        scene_id=row["scene_id"],
        choices=tuple(json.loads(row["choices"])),
        message_id=row["message_id"],
        opened_at=from_us(row["opened_at"]),
        deadline=None if row["deadline"] is None else from_us(row["deadline"]),
        remaining=(
            None if row["remaining_us"] is None else timedelta(microseconds=row["remaining_us"])
        ),
        extended=bool(row["extended"]),
        closed_at=None if row["closed_at"] is None else from_us(row["closed_at"]),
        outcome=row["outcome"],
        how=None if row["how"] is None else CloseHow(row["how"]),
    )


def settings(row: asyncpg.Record) -> GuildSettings:
    """A guild_settings row."""
    return GuildSettings(
        guild_id=row["guild_id"],
        vote_seconds=row["vote_seconds"],
        tie_break=TieBreak(row["tie_break"]),
        quorum=row["quorum"],
        blind=bool(row["blind"]),
        voter_role_id=row["voter_role_id"],
        moderator_role_id=row["moderator_role_id"],
        share_choices=bool(row["share_choices"]),
    )


def audit(row: asyncpg.Record) -> AuditEntry:
    """An audit_log row."""
    return AuditEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        campaign_id=row["campaign_id"],
        actor_id=row["actor_id"],
        action=row["action"],
        detail=row["detail"],
        at=from_us(row["at"]),
    )


def ballot(row: asyncpg.Record) -> Ballot:
    """A ballots row."""
    return Ballot(row["decision_id"], row["member_id"], row["choice_id"], from_us(row["cast_at"]))


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


def check_ending(status: CampaignStatus, ended_at: datetime | None) -> None:
    """An ended campaign has an end time, and only an ended one."""
    if (status is CampaignStatus.ENDED) != (ended_at is not None):
        raise ValueError("ended_at is required for status 'ended' and only for it")


def row_count(status: str) -> int:
    """The number of rows a command changed, from its status tag ("UPDATE 1", "INSERT 0 1")."""
    return int(status.rsplit(" ", 1)[-1])
