"""Rows of the schema as the domain's records, the same on every backend.

Both schemas have the same tables, columns and encodings (times as integer microseconds,
choices as a JSON array, booleans that `bool()` reads), so a row from SQLite (`sqlite3.Row`)
and one from PostgreSQL (`asyncpg.Record`) become the same record here, the same way.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.domain import (
    AuditEntry,
    Ballot,
    Campaign,
    CampaignStatus,
    CloseHow,
    Decision,
    GuildSettings,
    TieBreak,
)
from bot.store.times import from_us, to_us

#: The columns of a campaigns row and a decisions row, in the order the mappers read them
#: (the same on every backend).
CAMPAIGN_COLUMNS = (
    "id, guild_id, channel_id, story_id, story_hash, status, status_reason, state_json, seed, "
    "started_at, ended_at"
)
DECISION_COLUMNS = (
    "id, campaign_id, seq, scene_id, choices, message_id, opened_at, deadline, remaining_us, "
    "extended, closed_at, outcome, how"
)


class Row(Protocol):
    """What a mapper needs of a row: its columns by name."""

    def __getitem__(self, name: str, /) -> Any: ...


#: What `before` means when no bound is given: after every stored moment.
NO_BOUND_US = 2**63 - 1


class Prefixed:
    """A row's columns named with a prefix, read as if the prefix were not there (a
    campaign's columns in a joined row)."""

    def __init__(self, row: Row, prefix: str) -> None:
        self._row = row
        self._prefix = prefix

    def __getitem__(self, name: str) -> Any:
        return self._row[self._prefix + name]


def campaign_from_row(row: Row) -> Campaign:
    """A `campaigns` row (the columns of `CAMPAIGN_COLUMNS`) as a Campaign."""
    return Campaign(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        story_id=row["story_id"],
        story_hash=row["story_hash"],
        status=CampaignStatus(row["status"]),
        status_reason=row["status_reason"],
        state_json=row["state_json"],
        seed=row["seed"],
        started_at=from_us(row["started_at"]),
        ended_at=None if row["ended_at"] is None else from_us(row["ended_at"]),
    )


def decision_from_row(row: Row) -> Decision:
    """A `decisions` row (the columns of `DECISION_COLUMNS`) as a Decision."""
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


def audit_from_row(row: Row) -> AuditEntry:
    """An `audit_log` row as an AuditEntry."""
    return AuditEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        campaign_id=row["campaign_id"],
        actor_id=row["actor_id"],
        action=row["action"],
        detail=row["detail"],
        at=from_us(row["at"]),
    )


def settings_from_row(row: Row) -> GuildSettings:
    """A `guild_settings` row as GuildSettings."""
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


def optional_us(moment: datetime | None) -> int | None:
    """`to_us` of a moment that may be missing."""
    return None if moment is None else to_us(moment)


def before_us(moment: datetime | None) -> int:
    """An upper bound in microseconds; no bound is after every stored moment."""
    return to_us(moment) if moment is not None else NO_BOUND_US


def ballot_from_row(row: Row) -> Ballot:
    """A `ballots` row as a Ballot."""
    return Ballot(row["decision_id"], row["member_id"], row["choice_id"], from_us(row["cast_at"]))
