"""The checks every backend runs on what it is asked to write, before it writes anything:
one set of rules, so that SQLite and PostgreSQL refuse the same calls the same way."""

from __future__ import annotations

from datetime import datetime

from bot.domain import OUTCOMELESS, CampaignStatus, CloseHow, NewDecision


def check_ending(status: CampaignStatus, ended_at: datetime | None) -> None:
    """`ended_at` goes with status 'ended' and only with it (ValueError otherwise)."""
    if (status is CampaignStatus.ENDED) != (ended_at is not None):
        raise ValueError("ended_at is required for status 'ended' and only for it")


def check_close(
    how: CloseHow,
    outcome: str | None,
    status: CampaignStatus,
    ended_at: datetime | None,
    next_decision: NewDecision | None,
) -> None:
    """A close's arguments agree with each other (ValueError otherwise): an outcome exactly
    when the way of closing has one, an end time exactly for an ended campaign, and no next
    vote for it."""
    check_ending(status, ended_at)
    if (how in OUTCOMELESS) != (outcome is None):
        raise ValueError(f"how={how.value!r} and outcome={outcome!r} do not go together")
    if next_decision is not None and status is CampaignStatus.ENDED:
        raise ValueError("an ended campaign opens no next decision")
