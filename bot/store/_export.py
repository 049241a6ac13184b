"""Operator reads: one guild's data as plain JSON, and a consistent backup of an SQLite file.

`export_guild` reads only through the store's contract (`Store.guild_snapshot`), so it works
for every backend; `backup_database` copies an SQLite file (`bot.store.sqlite.backup`).
Neither writes to the live database, and both work while the bot has it open.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.domain import Campaign, Decision, GuildSettings
from bot.store.contract import Store
from bot.store.sqlite.backup import backup_database

EXPORT_FORMAT = "command-deck-guild-export"
EXPORT_VERSION = 1


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


def _settings_json(settings: GuildSettings) -> dict[str, Any]:
    return {
        "vote_seconds": settings.vote_seconds,
        "tie_break": settings.tie_break.value,
        "quorum": settings.quorum,
        "blind": settings.blind,
        "share_choices": settings.share_choices,
        "voter_role_id": _snowflake(settings.voter_role_id),
        "moderator_role_id": _snowflake(settings.moderator_role_id),
    }


async def export_guild(store: Store, guild_id: int) -> dict[str, Any]:
    """One guild's voting rules, campaigns, decisions and ballot counts, as JSON-ready data.

    Read at one consistent moment (`Store.guild_snapshot`), even while the bot writes.
    Ballots leave only as counts per choice: no member id is in the result.
    """
    snapshot = await store.guild_snapshot(guild_id)
    by_campaign: dict[int, list[dict[str, Any]]] = {}
    for decision in snapshot.decisions:
        by_campaign.setdefault(decision.campaign_id, []).append(
            _decision_json(decision, dict(snapshot.tallies.get(decision.id, {})))
        )
    settings = snapshot.settings
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "schema_version": snapshot.schema_version,
        "guild_id": _snowflake(guild_id),
        "settings": None if settings is None else _settings_json(settings),  # None: defaults
        "campaigns": [_campaign_json(c, by_campaign.get(c.id, [])) for c in snapshot.campaigns],
    }


__all__ = ["EXPORT_FORMAT", "EXPORT_VERSION", "backup_database", "export_guild"]
