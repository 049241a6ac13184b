"""Helpers for the store tests: fixed times and a started campaign."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import Campaign, Decision, NewDecision
from bot.store import Store

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
GUILD = 111_111_111_111_111_111
CHANNEL = 222_222_222_222_222_222


def at(seconds: float) -> datetime:
    """A moment `seconds` after the fixed test epoch T0 (the store has no clock)."""
    return T0 + timedelta(seconds=seconds)


def offer(
    scene: str = "standoff",
    choices: tuple[str, ...] = ("run", "fight", "talk"),
    opened: float = 0,
    seconds: float | None = 120,
) -> NewDecision:
    """A new vote opened at `opened` and closing `seconds` later (None: no clock)."""
    deadline = None if seconds is None else at(opened + seconds)
    return NewDecision(scene, choices, at(opened), deadline)


async def start(
    store: Store,
    channel_id: int = CHANNEL,
    *,
    guild_id: int = GUILD,
    first: NewDecision | None = None,
) -> tuple[Campaign, Decision]:
    """A running campaign with its first vote open."""
    campaign, decision = await store.create_campaign(
        guild_id,
        channel_id,
        "claim-jumpers",
        "sha256:abc",
        '{"scene": "standoff", "vars": {"exotic_kg": 30}}',
        1234567,
        at(0),
        first or offer(),
    )
    assert decision is not None
    return campaign, decision
