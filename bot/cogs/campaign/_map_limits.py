"""How often `/campaign map` may draw, and how many pictures are drawn at once.

Each map runs Graphviz's `dot` for up to a minute. Without limits any member could queue
dozens of those jobs and take the machine's cores (and the default thread pool, which
discord.py and asyncio use for DNS and more) from every other server. So: one map per member
per MEMBER_COOLDOWN, SERVER_COOLDOWN maps per server, and RENDERS_AT_ONCE pictures in
progress on this bot's own threads; past any of them the member is told privately when to
try again. The buckets are discord.py's `app_commands.Cooldown`, held by this bot object
(the `checks.cooldown` decorator keeps its buckets per process, shared by every bot in it).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TypeVar

from discord import app_commands

from ..tree import Refused

T = TypeVar("T")

MEMBER_COOLDOWN = 30.0  # seconds between two maps of one member
SERVER_COOLDOWN = (4, 60.0)  # maps per server in so many seconds
RENDERS_AT_ONCE = 2


class MapRefused(Refused):
    """A map the limits do not allow now; the message says when to try again."""


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


class _Buckets:
    """One cooldown per key, dropped once it has fully recovered."""

    def __init__(self, rate: int, per: float) -> None:
        self.rate, self.per = rate, per
        self._buckets: dict[Hashable, app_commands.Cooldown] = {}

    def retry_after(self, key: Hashable, now: float) -> float:
        """Seconds until `key` may go again (0: now)."""
        for stale in [k for k, b in self._buckets.items() if b.get_tokens(now) == self.rate]:
            del self._buckets[stale]
        bucket = self._buckets.get(key)
        return 0.0 if bucket is None or bucket.get_tokens(now) else bucket.get_retry_after(now)

    def take(self, key: Hashable, now: float) -> None:
        """Spend one go of `key`."""
        self._buckets.setdefault(key, app_commands.Cooldown(self.rate, self.per))
        self._buckets[key].update_rate_limit(now)

    def __len__(self) -> int:
        return len(self._buckets)


class MapLimits:
    """The map command's cooldowns and its own small pool of drawing threads."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock  # the bot's one clock (SimCord moves it in tests)
        self._members = _Buckets(1, MEMBER_COOLDOWN)
        self._servers = _Buckets(*SERVER_COOLDOWN)
        self._renders = asyncio.Semaphore(RENDERS_AT_ONCE)
        self._pool = ThreadPoolExecutor(RENDERS_AT_ONCE, thread_name_prefix="deck-map")

    def admit(self, guild_id: int, member_id: int) -> None:
        """Count a map about to be drawn, or raise MapRefused (nothing counted)."""
        now = self._clock().timestamp()
        wait = self._members.retry_after((guild_id, member_id), now)
        if wait:
            raise MapRefused(f"You drew a map moments ago; try again in {_seconds(wait)} seconds.")
        wait = self._servers.retry_after(guild_id, now)
        if wait:
            rate, per = SERVER_COOLDOWN
            raise MapRefused(
                f"This server has drawn {rate} maps in the last {per:.0f} seconds; try again in"
                f" {_seconds(wait)} seconds."
            )
        self._members.take((guild_id, member_id), now)
        self._servers.take(guild_id, now)

    def check_free(self) -> None:
        """Raise MapRefused when RENDERS_AT_ONCE maps are being drawn already."""
        if self._renders.locked():
            raise MapRefused("Two maps are being drawn right now; try again in a minute.")

    async def render(self, draw: Callable[..., T], *args: object) -> T:
        """Run `draw(*args)` on a map thread, or raise MapRefused when none is free."""
        self.check_free()
        async with self._renders:
            return await asyncio.get_running_loop().run_in_executor(self._pool, draw, *args)

    def close(self) -> None:
        """Stop the drawing threads (a picture in progress finishes on its own)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
