"""Time for the campaign layer: a function returning an aware UTC datetime.

Production passes `discord.utils.utcnow` (see bot/app.py), which the SimCord test harness
moves; engine tests pass a clock they move by hand. Nothing in bot/campaign reads the time
any other way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


class ManualClock:
    """A clock that only moves when told to: for tests and benchmarks."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)
