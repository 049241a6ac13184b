"""Records to the SQLite statements' named parameters; rows to records are shared with
every backend (bot/store/rows.py, re-exported here for the table groups)."""

from __future__ import annotations

import json
from typing import Any

from bot.domain import NewDecision, Shards
from bot.store.rows import (
    NO_BOUND_US,
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
    "NO_BOUND_US",
    "Prefixed",
    "audit_from_row",
    "ballot_from_row",
    "before_us",
    "campaign_from_row",
    "decision_from_row",
    "decision_params",
    "optional_us",
    "settings_from_row",
    "shard_params",
]


def decision_params(campaign_id: int, seq: int, new: NewDecision) -> dict[str, Any]:
    """The parameters of `INSERT_DECISION` for a new vote."""
    return {
        "campaign_id": campaign_id,
        "seq": seq,
        "scene_id": new.scene_id,
        "choices": json.dumps(list(new.choices)),
        "opened_at": to_us(new.opened_at),
        "deadline": optional_us(new.deadline),
        "remaining_us": None if new.remaining is None else duration_us(new.remaining),
    }


def shard_params(shards: Shards | None) -> dict[str, Any]:
    """The parameters of `ON_MY_SHARDS`: the shards as ",0,3," (None: all) and their count."""
    if shards is None:
        return {"shards": None, "shard_count": 1}
    listed = "," + ",".join(map(str, sorted(shards.ids))) + ","
    return {"shards": listed, "shard_count": shards.count}
