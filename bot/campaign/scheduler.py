"""The deadline scheduler: one task that sleeps until the earliest open deadline.

No polling: the task sleeps exactly until the next deadline and is restarted whenever a
deadline is added, moved or removed, so a vote closes on time however far away it is and an
idle bot does no work. What is due is handed to `on_due` one decision at a time; whether it
is still open is the close's business (it is closed exactly once by the store). A close that
fails (the database cannot be written, say) is tried again a minute later: its deadline has
passed, so nothing else would ever close the vote until the next start.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

from .clock import Clock

log = logging.getLogger(__name__)

DueHandler = Callable[[int], Awaitable[object]]

#: How long after a failed close it is tried again.
RETRY_AFTER = timedelta(seconds=60)


class DeadlineScheduler:
    """Deadlines by decision id, and the one task that waits for the earliest."""

    def __init__(
        self,
        clock: Clock,
        on_due: DueHandler | None = None,
        *,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._on_due = on_due
        self._sleep = sleep  # tests pass one that moves their clock instead of waiting
        self._deadlines: dict[int, datetime] = {}
        self._heap: list[tuple[datetime, int]] = []
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[object]] = set()
        self._started = False

    def set_handler(self, on_due: DueHandler) -> None:
        """Who closes a due vote (the Discord layer renders what the close returns)."""
        self._on_due = on_due

    @property
    def pending(self) -> int:
        """How many deadlines are scheduled."""
        return len(self._deadlines)

    def deadline_of(self, decision_id: int) -> datetime | None:
        """The scheduled deadline of a vote, if any."""
        return self._deadlines.get(decision_id)

    def start(self) -> None:
        """Begin waiting (call from an async context, e.g. setup_hook)."""
        self._started = True
        self._restart()

    async def stop(self) -> None:
        """Stop waiting; deadlines stay in the database for the next start."""
        self._started = False
        tasks = [t for t in (self._task, *self._running) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._running.clear()

    def load(self, deadlines: Iterable[tuple[int, datetime]]) -> None:
        """Schedule many at once (start-up), waking the task once."""
        for decision_id, deadline in deadlines:
            self._deadlines[decision_id] = deadline
            self._heap.append((deadline, decision_id))
        heapq.heapify(self._heap)
        self._restart()

    def schedule(self, decision_id: int, deadline: datetime) -> None:
        """Add or move a vote's deadline."""
        self._deadlines[decision_id] = deadline
        heapq.heappush(self._heap, (deadline, decision_id))
        if self._heap[0] == (deadline, decision_id):
            self._restart()

    def cancel(self, decision_id: int) -> None:
        """Forget a vote's deadline (closed, paused, waiting for a moderator)."""
        if self._deadlines.pop(decision_id, None) is not None and not self._deadlines:
            self._heap.clear()
            self._restart()

    def _restart(self) -> None:
        if not self._started:
            return
        if self._task is not None and not self._task.done():
            if asyncio.current_task() is self._task:
                return  # the loop itself rescheduled; it looks at the heap again anyway
            self._task.cancel()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="deadlines")

    def _next(self) -> tuple[datetime, int] | None:
        """The earliest live entry; stale heap entries (moved or cancelled) are dropped."""
        while self._heap:
            deadline, decision_id = self._heap[0]
            if self._deadlines.get(decision_id) == deadline:
                return deadline, decision_id
            heapq.heappop(self._heap)
        return None

    async def _run(self) -> None:
        while True:
            upcoming = self._next()
            if upcoming is None:
                return  # nothing to wait for; schedule() starts a new task
            deadline, decision_id = upcoming
            delay = (deadline - self._clock()).total_seconds()
            if delay > 0:
                await self._sleep(delay)
                continue  # time has moved; look again (the heap may have changed)
            heapq.heappop(self._heap)
            del self._deadlines[decision_id]
            self._fire(decision_id)

    def _fire(self, decision_id: int) -> None:
        if self._on_due is None:
            log.warning("vote %s is due but nothing handles deadlines", decision_id)
            return
        task = asyncio.get_running_loop().create_task(
            self._call(decision_id), name=f"close-{decision_id}"
        )
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _call(self, decision_id: int) -> object:
        assert self._on_due is not None
        try:
            return await self._on_due(decision_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(
                "closing vote %s failed; trying again in %d s",
                decision_id,
                RETRY_AFTER.total_seconds(),
            )
            if self._started and decision_id not in self._deadlines:
                self.schedule(decision_id, self._clock() + RETRY_AFTER)
            return None
